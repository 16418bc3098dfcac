"""A gateway event is stored once per delivered body, not per claimed id: ``digest`` (SHA-256 of the
payload) joins the key, so a forged delivery that arrives first under a genuine event id (or PayPal
transmission id) no longer blocks the genuine one; only one delivery of an id is ever applied.
Rows kept from before get an empty digest.  Indexes for the backlog cap and the retention purge."""

_COLUMNS = (
    "gateway, event_id, type, payment_id, status, detail, transmission_id, headers, payload, received_at, "
    "applied_at, swept_at"
)

STATEMENTS = [
    """CREATE TABLE gateway_event_keyed (
        gateway TEXT NOT NULL,
        event_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        type TEXT NOT NULL,
        payment_id TEXT REFERENCES payment (id),
        status TEXT NOT NULL,
        detail TEXT,
        transmission_id TEXT,
        headers TEXT,
        payload TEXT NOT NULL,
        received_at TIMESTAMP NOT NULL,
        applied_at TIMESTAMP,
        swept_at TIMESTAMP,
        PRIMARY KEY (gateway, event_id, digest))""",
    f"INSERT INTO gateway_event_keyed (digest, {_COLUMNS}) SELECT '', {_COLUMNS} FROM gateway_event",
    "DROP TABLE gateway_event",
    "ALTER TABLE gateway_event_keyed RENAME TO gateway_event",
    "CREATE INDEX gateway_event_received ON gateway_event (gateway, received_at) WHERE status = 'received'",
    "CREATE INDEX gateway_event_settled ON gateway_event (received_at)"
    " WHERE status IN ('ignored', 'rejected')",
]
