"""Payments that wait for a person: ``requires_review`` with its ``review_reason``, a partial
index for the operators' list, and ``audit_log``, one row per operator action."""

STATEMENTS = [
    "ALTER TABLE payment ADD COLUMN review_reason TEXT",
    "CREATE INDEX payment_requires_review ON payment (created_at, id) WHERE status = 'requires_review'",
    """CREATE TABLE audit_log (
        id {id},
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        payment_id TEXT NOT NULL,
        status_before TEXT NOT NULL,
        status_after TEXT NOT NULL,
        reference TEXT NOT NULL,
        reason TEXT,
        created_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX audit_log_payment ON audit_log (payment_id, created_at)",
]
