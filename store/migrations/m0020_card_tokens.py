"""Card tokens (``store.tokens``, ``POST /tokens``), the payments paid with one, and which merchants may still
send raw card numbers.

A token holds a card sealed by the vault exactly as a payment holds it, bound to the token's id; a payment
paid with it takes its sealed columns as they are and names the token in ``card_token`` (the id the vault's
ciphertexts are bound to), so the ingress, which cannot open a card, never re-encrypts one.  Existing
payments have none (their card is bound to their own id).  Every existing merchant keeps sending raw cards
(``raw_card_data`` true); ``paywave admin create-merchant`` creates new ones without it.
"""

STATEMENTS = [
    """CREATE TABLE card_token (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        card_brand TEXT NOT NULL,
        card_last4 TEXT NOT NULL,
        card_exp_month INTEGER NOT NULL,
        card_exp_year INTEGER NOT NULL,
        card_fingerprint TEXT NOT NULL,
        card_key_id TEXT NOT NULL,
        card_ciphertext TEXT NOT NULL,
        cvc_ciphertext TEXT,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        used_at TIMESTAMP
    )""",
    "ALTER TABLE payment ADD COLUMN card_token TEXT",
    "ALTER TABLE merchant ADD COLUMN raw_card_data {bool} NOT NULL DEFAULT TRUE",
]
