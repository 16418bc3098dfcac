"""The sweeper: finds work that stopped moving and drives it again.

Payments left ``pending``/``processing`` (a lost or dead-lettered message, an
unknown outcome still unresolved), captures, cancels and refunds left pending,
gateway events never applied and webhook deliveries long overdue: each gets its
job queued again, and the normal idempotent actors take it
from there (a duplicate job is harmless).  Several replicas may run it: one
at a time wins a database lock, and touched rows wait a full period again.
"""
import datetime

from shared.queues import gateway_queue
from store import gateway_events, idempotency, outbox, processing, webhooks
from store.db import try_lock
from store.models import Payment, Refund, utcnow

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
    """One pass. Returns what it queued again: ``{"payments", "refunds", "gateway_events", "deliveries"}``."""
    done = dict.fromkeys(("payments", "refunds", "gateway_events", "deliveries"), 0)
    with ctx.unit():  # wakes the relay after commit when it queued anything
        if not try_lock(_LOCK):
            return done
        payments, refunds = processing.stuck(ctx.config.stuck_after_seconds)
        outbox.add_all([job_for(p) for p in payments] + [("ops", "refund_payment", r.id) for r in refunds])
        processing.touch(Payment, [p.id for p in payments])
        processing.touch(Refund, [r.id for r in refunds])
        cutoff = utcnow() - datetime.timedelta(seconds=ctx.config.stuck_after_seconds)
        done.update(payments=len(payments), refunds=len(refunds),
                    gateway_events=gateway_events.redrive_stuck(cutoff), deliveries=webhooks.redrive_stuck(cutoff))
        idempotency.purge_expired()
        outbox.purge_published()
        gateway_events.purge_settled(ctx.config.gateway_event_retention_days)
    return done
