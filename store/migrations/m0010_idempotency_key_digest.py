"""Idempotency-Keys are kept as their SHA-256 digest: a key is the client's free text and may hold
a card number (a key made of a timestamp passes the card-number check one time in ten, so refusing
those would refuse good keys)."""

STATEMENTS = [
    "{key_digest}",
]
