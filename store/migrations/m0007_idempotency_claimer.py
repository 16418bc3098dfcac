"""The Postgres backend holding an in-progress Idempotency-Key claim: when it is gone (its
process died mid-request), the claim is taken over at once instead of after two minutes."""

STATEMENTS = [
    "ALTER TABLE idempotency_record ADD COLUMN claimer_pid INTEGER",
]
