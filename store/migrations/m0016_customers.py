"""Customers (``store.customers``), and the payments that named one.

Before 0016 a payment's ``customer`` was any text the merchant sent.  Each distinct ``(merchant, text)``
becomes a customer with no personal data and ``metadata.reference`` holding the old text, and its payments
name the new ``cus_`` id, so ``GET /payments?customer=cus_…`` finds them and the old value stays readable.
Ids here are 24 random hex characters (base62 ones are made in Python; both fit ``cus_[A-Za-z0-9]{24}``).
"""

STATEMENTS = [
    """CREATE TABLE customer (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL DEFAULT TRUE,
        email TEXT,
        name TEXT,
        phone TEXT,
        metadata TEXT NOT NULL DEFAULT '{{}}',
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL,
        deleted_at TIMESTAMP
    )""",
    # The list (newest first) and the email search, of the merchant's customers that are not deleted.
    "CREATE INDEX customer_merchant_created ON customer (merchant_id, livemode, created_at, id)"
    " WHERE deleted_at IS NULL",
    "CREATE INDEX customer_merchant_email ON customer (merchant_id, lower(email)) WHERE deleted_at IS NULL",
    "CREATE TABLE customer_from_reference"
    " (id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, reference TEXT NOT NULL)",
]

_MOVE = [
    "INSERT INTO customer (id, merchant_id, metadata, created_at, updated_at)"
    " SELECT r.id, r.merchant_id, {metadata}, p.first, p.first FROM customer_from_reference r"
    " JOIN (SELECT merchant_id, customer, MIN(created_at) AS first FROM payment"
    " WHERE customer IS NOT NULL GROUP BY merchant_id, customer) p"
    " ON p.merchant_id = r.merchant_id AND p.customer = r.reference",
    "UPDATE payment SET customer = (SELECT r.id FROM customer_from_reference r"
    " WHERE r.merchant_id = payment.merchant_id AND r.reference = payment.customer)"
    " WHERE customer IS NOT NULL",
    "DROP TABLE customer_from_reference",
]

BY_DIALECT = {
    "postgres": [
        "INSERT INTO customer_from_reference (id, merchant_id, reference)"
        " SELECT 'cus_' || substr(md5(random()::text || clock_timestamp()::text || merchant_id || customer),"
        " 1, 24),"
        " merchant_id, customer FROM (SELECT DISTINCT merchant_id, customer FROM payment"
        " WHERE customer IS NOT NULL) AS named",
        *(s.format(metadata="json_build_object('reference', r.reference)::text") for s in _MOVE),
    ],
    "sqlite": [
        "INSERT INTO customer_from_reference (id, merchant_id, reference)"
        " SELECT 'cus_' || lower(hex(randomblob(12))), merchant_id, customer"
        " FROM (SELECT DISTINCT merchant_id, customer FROM payment WHERE customer IS NOT NULL)",
        *(s.format(metadata="json_object('reference', r.reference)") for s in _MOVE),
    ],
}
