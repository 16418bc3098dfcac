"""What gateways told of a card (issue 15): its issuing country and funding, learned from a gateway's answer
(``workers.radar.learn_card``) and kept per merchant, mode and card fingerprint, so the next payment with the
card knows ``:card_country:`` and ``:card_funding:`` before any gateway call.  Neither is personal data."""

STATEMENTS = [
    """CREATE TABLE card_facts (
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        card_fingerprint TEXT NOT NULL,
        country TEXT,
        funding TEXT,
        gateway TEXT NOT NULL,
        learned_at TIMESTAMP NOT NULL,
        PRIMARY KEY (merchant_id, livemode, card_fingerprint)
    )""",
]
