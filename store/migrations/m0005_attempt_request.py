"""What an attempt sent that the payment may change later (description, metadata).

A retry under the attempt's idempotency key must send exactly the same request: a
merchant's update between two tries would otherwise turn the replay into Stripe's
idempotency_error, and the outcome could not be read."""

STATEMENTS = [
    "ALTER TABLE attempt ADD COLUMN request TEXT",
]
