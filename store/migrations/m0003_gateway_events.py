"""Events received from the gateways (Stripe and PayPal webhooks), and the lookup by gateway reference."""

STATEMENTS = [
    """CREATE TABLE gateway_event (
        gateway TEXT NOT NULL,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        payment_id TEXT REFERENCES payment (id),
        status TEXT NOT NULL,
        detail TEXT,
        transmission_id TEXT,
        headers TEXT,
        payload TEXT NOT NULL,
        received_at TIMESTAMP NOT NULL,
        applied_at TIMESTAMP,
        PRIMARY KEY (gateway, event_id),
        UNIQUE (gateway, transmission_id))""",
    # Events that do not carry our payment id (a Stripe dispute) find it by the gateway's reference.
    "CREATE INDEX payment_gateway_reference ON payment (gateway, gateway_reference)",
]
