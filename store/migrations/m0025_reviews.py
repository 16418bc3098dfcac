"""Fraud reviews (issue 15, ``store.reviews``): a payment a ``review`` rule matched waits for a person's
approval or rejection; a manual-capture payment cannot be captured while its review is open."""

STATEMENTS = [
    """CREATE TABLE review (
        id TEXT PRIMARY KEY,
        payment_id TEXT NOT NULL,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        reason TEXT NOT NULL,
        open {bool} NOT NULL,
        closed_reason TEXT,
        opened_at TIMESTAMP NOT NULL,
        closed_at TIMESTAMP
    )""",
    "CREATE INDEX review_merchant_opened ON review (merchant_id, livemode, opened_at, id)",
    "CREATE INDEX review_payment ON review (payment_id)",
]
