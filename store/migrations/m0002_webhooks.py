"""Outgoing webhooks: merchants' endpoints, one delivery per event and endpoint, every attempt.

Secrets are stored only encrypted (``store.vault``, bound to the endpoint id).  A
delivery keeps its endpoint's id without a foreign key: deleting an endpoint
leaves its deliveries listed under their events.
"""

STATEMENTS = [
    """CREATE TABLE webhook_endpoint (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        url TEXT NOT NULL,
        description TEXT,
        enabled_events TEXT NOT NULL,
        status TEXT NOT NULL,
        disabled_reason TEXT,
        secret_key_id TEXT NOT NULL,
        secret_ciphertext TEXT NOT NULL,
        previous_secret_key_id TEXT,
        previous_secret_ciphertext TEXT,
        previous_secret_expires_at TIMESTAMP,
        failing_since TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX webhook_endpoint_merchant_created ON webhook_endpoint (merchant_id, created_at, id)",
    """CREATE TABLE webhook_delivery (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES event (id),
        endpoint_id TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt_count INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TIMESTAMP,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL)""",
    "CREATE INDEX webhook_delivery_event ON webhook_delivery (event_id, created_at)",
    "CREATE INDEX webhook_delivery_pending ON webhook_delivery (endpoint_id) WHERE status = 'pending'",
    """CREATE TABLE webhook_attempt (
        id {id},
        delivery_id TEXT NOT NULL REFERENCES webhook_delivery (id),
        number INTEGER NOT NULL,
        status_code INTEGER,
        latency_ms INTEGER NOT NULL,
        response_snippet TEXT,
        error TEXT,
        created_at TIMESTAMP NOT NULL,
        UNIQUE (delivery_id, number))""",
]
