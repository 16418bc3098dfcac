"""The sweeper: finds work that stopped moving and drives it again.

Payments left ``pending``/``processing`` (a lost or dead-lettered message, an
unknown outcome still unresolved) or ``requires_action`` (the customer's outcome read
again at the gateway each period, expired past ``action_expires_at``), captures,
cancels and refunds left pending, gateway events never applied, webhook
deliveries and payer notifications long overdue: each gets its job queued again, and the normal
idempotent actors take it from there (a duplicate job is harmless).  It also folds the dashboard's rollup
deltas (``store.rollups``).  Several replicas may run it: one
at a time wins a database lock, and touched rows wait a full period again.
"""

import datetime

from shared import jobs, metrics
from shared.jobs import Job
from store import attempts, deliveries, gateway_events, idempotency, notifications, outbox, rollups, tokens
from store.db import try_lock
from store.models import Payment, Refund, utcnow
from store.states import AttemptStatus, PaymentStatus

_LOCK = 0x73776570  # "swep"
#: ``payment.pending_operation`` -> the job that performs it.
OPERATIONS = {"capture": jobs.capture_payment, "cancel": jobs.cancel_payment}


def job_for(payment) -> Job:
    """The job that moves ``payment`` on from where it stopped."""
    if payment.status == PaymentStatus.REQUIRES_CAPTURE:
        return OPERATIONS[payment.pending_operation](payment.id)
    if payment.status == PaymentStatus.PENDING:
        first = payment.route.split(",")[0]
        return jobs.process_payment(payment.id, first)
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        # Read the customer's outcome again (a return or webhook may have been lost); past its expiry,
        # the same job cancels it.
        return jobs.process_payment(payment.id, payment.gateway)
    last = attempts.current_attempt(payment.id)
    if (
        last is not None
        and last.gateway == payment.gateway
        and last.status in (AttemptStatus.DECLINED, AttemptStatus.ERROR)
        and not attempts.unresolved(payment.id)
    ):
        return jobs.route_payment(payment.id)
    return jobs.process_payment(payment.id, payment.gateway)


def measure(stuck_after_seconds: float) -> None:
    """Set the gauges the alerts read: payments left waiting, webhook endpoints disabled.

    Every pass of every replica, lock or not: a replica that stops winning the lock keeps no stale value.
    """
    for status, count in attempts.count_aged(stuck_after_seconds).items():
        metrics.payments_stuck.labels(status).set(count)
    metrics.webhook_endpoints_disabled.set(deliveries.count_disabled_endpoints())


def sweep(ctx) -> dict:
    """One pass. Returns what it queued again: ``{"payments", "refunds", "gateway_events", "deliveries",
    "notifications"}``."""
    done = dict.fromkeys(("payments", "refunds", "gateway_events", "deliveries", "notifications"), 0)
    measure(ctx.config.stuck_after_seconds)
    with ctx.unit():  # wakes the relay after commit when it queued anything
        if not try_lock(_LOCK):
            return done
        payments, refunds = attempts.stuck(ctx.config.stuck_after_seconds)
        outbox.add_all([job_for(p) for p in payments] + [jobs.refund_payment(r.id) for r in refunds])
        attempts.touch(Payment, [p.id for p in payments])
        attempts.touch(Refund, [r.id for r in refunds])
        cutoff = utcnow() - datetime.timedelta(seconds=ctx.config.stuck_after_seconds)
        done.update(
            payments=len(payments),
            refunds=len(refunds),
            gateway_events=gateway_events.redrive_stuck(cutoff),
            deliveries=deliveries.redrive_stuck(cutoff),
            notifications=notifications.redrive_stuck(cutoff),
        )
        idempotency.purge_expired()
        tokens.purge_expired()
        outbox.purge_published()
        gateway_events.purge_settled(ctx.config.gateway_event_retention_days)
        rollups.fold()  # the dashboard's figures are exact without it; it keeps their reads short
    return done
