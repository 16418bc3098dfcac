"""Payer notifications (issue 16, ``store.notifications``): one row per event a merchant's customer is told of
by email, written in the event's transaction with its ``send_notification`` job.  ``recipient`` is personal
data, erased with the customer (``store.customers.delete``)."""

STATEMENTS = [
    """CREATE TABLE notification (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        payment_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        subject TEXT,
        smtp_code INTEGER,
        smtp_message TEXT,
        message_id TEXT,
        next_attempt_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        sent_at TIMESTAMP
    )""",
    "CREATE INDEX notification_payment ON notification (payment_id, created_at, id)",
    # The sweeper's redrive reads the queued ones only (store.notifications.redrive_stuck).
    "CREATE INDEX notification_queued ON notification (next_attempt_at) WHERE status = 'queued'",
]
