"""The sweeper: finds work that stopped moving and drives it again.

Payments left ``pending``/``processing`` (a lost or dead-lettered message, an
unknown outcome still unresolved), captures, cancels and refunds left pending:
each gets its job queued again, and the normal idempotent actors take it
from there (a duplicate job is harmless).  Several replicas may run it: one
at a time wins a database lock, and touched rows wait a full period again.
"""
from store import idempotency, outbox, processing
from store.db import database, try_lock
from store.models import Payment, Refund
from workers.pools import gateway_queue

_LOCK = 0x73776570  # "swep"


def job_for(payment):
    """The job that moves ``payment`` on from where it stopped."""
    if payment.status == "requires_capture":
        return ("ops", f"{payment.pending_operation}_payment", payment.id)
    if payment.status == "pending":
        first = payment.route.split(",")[0]
        return (gateway_queue(first), "process_payment", payment.id, first)
    last = processing.current_attempt(payment.id)
    if last is not None and last.gateway == payment.gateway and last.status in ("declined", "error") \
            and not processing.unresolved(payment.id):
        return ("payments.fallback", "route_payment", payment.id)
    return (gateway_queue(payment.gateway), "process_payment", payment.id, payment.gateway)


def sweep(ctx) -> dict:
    """One pass. Returns what it queued again: ``{"payments": n, "refunds": m}``."""
    with database.atomic():
        if not try_lock(_LOCK):
            return {"payments": 0, "refunds": 0}
        payments, refunds = processing.stuck(ctx.config.stuck_after_seconds)
        for payment in payments:
            outbox.add(*job_for(payment))
        for refund in refunds:
            outbox.add("ops", "refund_payment", refund.id)
        processing.touch(Payment, [p.id for p in payments])
        processing.touch(Refund, [r.id for r in refunds])
        idempotency.purge_expired()
        outbox.purge_published()
    if payments or refunds:
        ctx.notify()
    return {"payments": len(payments), "refunds": len(refunds)}
