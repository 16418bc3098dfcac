"""Tracing (issue 16, ``shared.tracing``): each outbox row keeps the W3C ``traceparent`` it was written in, so
the relay's publish, later and from another thread or process, continues the request's trace; each attempt
keeps its trace id, so an operator opens a payment's traces from its attempts.  Both stay empty while
tracing is off."""

STATEMENTS = [
    "ALTER TABLE outbox_job ADD COLUMN traceparent TEXT",
    "ALTER TABLE attempt ADD COLUMN trace_id TEXT",
]
