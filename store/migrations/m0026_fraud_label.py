"""Fraud labels (issue 15, ``store.radar.label_fraud``): a payment disputed or refunded as fraudulent labels
its card, email and IP address for the merchant and mode, durably here (Redis holds the copy the decision
reads, ``*_seen_as_fraud``, and ``store.radar.relabel`` writes it again after a loss).  Values are keyed by
their digest (``shared.radar.counters.digest``), never in clear."""

STATEMENTS = [
    """CREATE TABLE fraud_label (
        payment_id TEXT NOT NULL,
        dimension TEXT NOT NULL,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        digest TEXT NOT NULL,
        source TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL,
        PRIMARY KEY (payment_id, dimension)
    )""",
    "CREATE INDEX fraud_label_merchant ON fraud_label (merchant_id, livemode, created_at)",
]
