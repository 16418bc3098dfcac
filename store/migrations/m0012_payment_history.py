"""Indexes for the payment history search (``GET /payments`` filters and the CSV export).

Each filter that picks few of a merchant's payments gets a composite index ending in
``(created_at, id)``, so a page is read newest first straight from the index, and the keyset
condition of the next page is an index bound.  A B-tree is read backwards as well as forwards:
``payment_merchant_created`` (m0001) already serves the unfiltered list (ORDER BY created_at DESC,
id DESC), so no DESC copy of it is made.  Currency, gateway and card brand have a handful of values
per merchant: they filter rows read through ``payment_merchant_created`` at little cost, and each
index more is written on every payment insert (and on every status change, for the status one).
Amount ranges and metadata are filters on those rows too (metadata is TEXT holding JSON: see the
README, "Payment history").

On a large table, create them by hand with ``CREATE INDEX CONCURRENTLY`` (same names) before
deploying: the migration runs in a transaction and would hold writes on ``payment`` while it built
them; ``IF NOT EXISTS`` then skips them.
"""

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS payment_merchant_status_created"
    " ON payment (merchant_id, status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS payment_merchant_customer_created"
    " ON payment (merchant_id, customer, created_at, id) WHERE customer IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS payment_merchant_last4_created"
    " ON payment (merchant_id, card_last4, created_at, id)",
]
