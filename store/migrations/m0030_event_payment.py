"""The index of a payment's events (the dashboard's timeline, ``store.events.of_payment``; a refund's
notification reads the previous ``payment.refunded`` of its payment the same way).

Without it the timeline read every event of the merchant and mode (``event_merchant_created``) to keep one
payment's few.  Partial: customer and review events have no payment and never take this path.

On a large table, create it by hand with ``CREATE INDEX CONCURRENTLY`` (same name and definition) before
deploying: the migration runs in a transaction and would hold writes on ``event`` while it built it;
``IF NOT EXISTS`` then skips it.
"""

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS event_payment_created ON event (payment_id, created_at, id)"
    " WHERE payment_id IS NOT NULL",
]
