"""Payment methods beyond a card: a payment keeps how it is paid (``method``: ``card``, ``paypal`` or
``stripe_payment_method``) and the gateway's own method id (``method_id``, a ``pm_…``).  Only a card
payment has card columns, so they may be NULL now.  Existing payments are card payments (the default).
SQLite (development only) cannot drop NOT NULL with ALTER TABLE: it edits the stored table definition,
the change SQLite documents as safe for removing NOT NULL constraints (nothing on disk changes)."""

_CARD_COLUMNS = (
    ("card_brand", "TEXT"),
    ("card_last4", "TEXT"),
    ("card_exp_month", "INTEGER"),
    ("card_exp_year", "INTEGER"),
    ("card_fingerprint", "TEXT"),
    ("card_key_id", "TEXT"),
    ("card_ciphertext", "TEXT"),
)

STATEMENTS = [
    "ALTER TABLE payment ADD COLUMN method TEXT NOT NULL DEFAULT 'card'",
    "ALTER TABLE payment ADD COLUMN method_id TEXT",
]

_SQLITE_SQL = "sql"
for _column, _type in _CARD_COLUMNS:
    _SQLITE_SQL = f"replace({_SQLITE_SQL}, '{_column} {_type} NOT NULL', '{_column} {_type}')"

BY_DIALECT = {
    "postgres": [f"ALTER TABLE payment ALTER COLUMN {column} DROP NOT NULL" for column, _ in _CARD_COLUMNS],
    "sqlite": [
        "PRAGMA writable_schema = ON",
        f"UPDATE sqlite_master SET sql = {_SQLITE_SQL} WHERE type = 'table' AND name = 'payment'",
        # RESET (not OFF) also reloads the schema: a later ALTER TABLE on this connection edits the new text.
        "PRAGMA writable_schema = RESET",
    ],
}
