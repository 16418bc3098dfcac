"""When the sweeper last queued a gateway event again (its job was lost, or dead-lettered):
it waits a full period before the next time."""

STATEMENTS = [
    "ALTER TABLE gateway_event ADD COLUMN swept_at TIMESTAMP",
]
