"""People: users, their membership (a role) in merchants, invitations, and login sessions.

Nothing moves: the merchants that exist become merchants with no users, and their JWT service tokens keep
working.  Secrets are never stored in clear: a password as its Argon2id hash, a TOTP secret sealed with the
vault's symmetric keys, an invitation or refresh token as its SHA-256 digest.  An email is unique whatever
its case (the index is on ``lower(email)``, which both databases can index).
"""

STATEMENTS = [
    """CREATE TABLE app_user (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT,
        password_hash TEXT NOT NULL,
        totp_key_id TEXT,
        totp_ciphertext TEXT,
        totp_enabled {bool} NOT NULL DEFAULT {false},
        failed_logins INTEGER NOT NULL DEFAULT 0,
        last_failed_login_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL
    )""",
    "CREATE UNIQUE INDEX app_user_email ON app_user (lower(email))",
    """CREATE TABLE membership (
        id {id},
        user_id TEXT NOT NULL REFERENCES app_user (id),
        merchant_id TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL
    )""",
    "CREATE UNIQUE INDEX membership_user_merchant ON membership (user_id, merchant_id)",
    "CREATE INDEX membership_merchant ON membership (merchant_id, created_at)",
    """CREATE TABLE invitation (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        token_digest TEXT NOT NULL UNIQUE,
        invited_by TEXT,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        accepted_at TIMESTAMP
    )""",
    """CREATE TABLE auth_session (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES app_user (id),
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP
    )""",
    "CREATE INDEX auth_session_user ON auth_session (user_id, merchant_id)",
    """CREATE TABLE refresh_token (
        id {id},
        session_id TEXT NOT NULL REFERENCES auth_session (id),
        token_digest TEXT NOT NULL UNIQUE,
        created_at TIMESTAMP NOT NULL,
        rotated_at TIMESTAMP
    )""",
]
