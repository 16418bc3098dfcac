"""Test and live modes: every object a merchant's credential creates or lists carries ``livemode``.

Rows written before are live (the column's default): live credentials keep seeing them, a test credential
never does.  An Idempotency-Key is per merchant and mode (a key used in test never replays in live), so the
mode joins ``idempotency_record``'s primary key: Postgres swaps the key in place, SQLite (development only)
rebuilds the table.  The merchant-scoped list indexes lead with ``(merchant_id, livemode, ...)``: every list
filters on the mode, so a history page stays one index range.  On a large table, build the new indexes by
hand first with ``CREATE INDEX CONCURRENTLY`` (same names): ``IF NOT EXISTS`` then skips them.
"""

_TABLES = ("payment", "refund", "event", "webhook_endpoint")
#: (table, old index, new index, its columns)
_INDEXES = (
    (
        "payment",
        "payment_merchant_created",
        "payment_merchant_mode_created",
        "(merchant_id, livemode, created_at, id)",
    ),
    (
        "payment",
        "payment_merchant_status_created",
        "payment_merchant_mode_status_created",
        "(merchant_id, livemode, status, created_at, id)",
    ),
    (
        "payment",
        "payment_merchant_customer_created",
        "payment_merchant_mode_customer_created",
        "(merchant_id, livemode, customer, created_at, id) WHERE customer IS NOT NULL",
    ),
    (
        "payment",
        "payment_merchant_last4_created",
        "payment_merchant_mode_last4_created",
        "(merchant_id, livemode, card_last4, created_at, id)",
    ),
    (
        "event",
        "event_merchant_created",
        "event_merchant_mode_created",
        "(merchant_id, livemode, created_at, id)",
    ),
    (
        "webhook_endpoint",
        "webhook_endpoint_merchant_created",
        "webhook_endpoint_merchant_mode_created",
        "(merchant_id, livemode, created_at, id)",
    ),
)

STATEMENTS = [
    *(f"ALTER TABLE {table} ADD COLUMN livemode {{bool}} NOT NULL DEFAULT {{true}}" for table in _TABLES),
    *(f"CREATE INDEX IF NOT EXISTS {new} ON {table} {columns}" for table, _, new, columns in _INDEXES),
    *(f"DROP INDEX IF EXISTS {old}" for _, old, _, _ in _INDEXES),
]

BY_DIALECT = {
    "postgres": [
        "ALTER TABLE idempotency_record ADD COLUMN livemode BOOLEAN NOT NULL DEFAULT TRUE",
        "ALTER TABLE idempotency_record DROP CONSTRAINT idempotency_record_pkey",
        "ALTER TABLE idempotency_record ADD PRIMARY KEY (merchant_id, livemode, key)",
    ],
    "sqlite": [
        """CREATE TABLE idempotency_record_new (
            merchant_id TEXT NOT NULL,
            livemode INTEGER NOT NULL DEFAULT 1,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            state TEXT NOT NULL,
            response_status INTEGER,
            response_body TEXT,
            response_location TEXT,
            claimer_pid INTEGER,
            created_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL,
            PRIMARY KEY (merchant_id, livemode, key))""",
        "INSERT INTO idempotency_record_new (merchant_id, key, request_hash, state, response_status,"
        " response_body, response_location, claimer_pid, created_at, expires_at)"
        " SELECT merchant_id, key, request_hash, state, response_status, response_body, response_location,"
        " claimer_pid, created_at, expires_at FROM idempotency_record",
        "DROP TABLE idempotency_record",
        "ALTER TABLE idempotency_record_new RENAME TO idempotency_record",
        "CREATE INDEX idempotency_record_expires ON idempotency_record (expires_at)",
    ],
}
