"""API keys (``store.api_keys``): a merchant's secret keys, stored only as a keyed digest of the secret.

A new table: no existing data moves (service tokens keep working beside the keys).  ``digest`` is unique:
authentication finds a key by it alone, in one indexed read.
"""

STATEMENTS = [
    """CREATE TABLE api_key (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        name TEXT NOT NULL,
        livemode {bool} NOT NULL,
        type TEXT NOT NULL,
        prefix TEXT NOT NULL,
        last4 TEXT NOT NULL,
        digest TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP,
        last_used_at TIMESTAMP,
        revoked_at TIMESTAMP,
        rolled_to TEXT)""",
    "CREATE INDEX api_key_merchant_created ON api_key (merchant_id, created_at, id)",
]
