"""A merchant can be deleted (``DELETE /merchant``): the row stays, with when, so its payments, events and
audit trail stay readable to operators, and its credentials are refused."""

STATEMENTS = ["ALTER TABLE merchant ADD COLUMN deleted_at TIMESTAMP"]
