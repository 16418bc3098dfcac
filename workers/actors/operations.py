"""Ops pool actors: capture, cancel (void), refund, update propagation, and fraud labels into Redis.

Same discipline as charging: an attempt row with a derived idempotency key
before the call, retries with backoff on the same key, an unknown outcome is
retried (never assumed failed), and every outcome is recorded.
"""

import dramatiq

from gateways.errors import UnknownOutcomeError
from shared.logging import worker_log
from shared.radar.counters import CountersUnavailable
from store import attempts
from store.db import database
from store.states import PaymentStatus, RefundStatus
from workers.actors.calls import call, retry_later


def _settle(ctx, payment_id, pending, operation, invoke, *, status, event):
    """Run the ``pending`` capture or cancel of a ``requires_capture`` payment as
    gateway ``operation`` (capture or void)."""
    with database.atomic():
        payment = attempts.lock(payment_id)
        if payment.status != PaymentStatus.REQUIRES_CAPTURE or payment.pending_operation != pending:
            return
        attempt = attempts.open_attempt(
            payment,
            operation,
            ctx.config.retry_max,
            amount=payment.amount_to_capture if operation == "capture" else None,
        )
    c = call(ctx, attempt, lambda: invoke(ctx.gateway(payment.gateway, payment.livemode), payment, attempt))
    c.record_on_attempt()
    with ctx.unit():
        payment = attempts.lock(payment_id)
        if payment.pending_operation != pending:
            c.attempt.save()
            return
        if c.error is None:
            captured = c.result.amount_captured if operation == "capture" else payment.amount_captured
            attempts.save(
                payment,
                status=status,
                attempt=c.attempt,
                event=event,
                amount_captured=captured,
                pending_operation=None,
                amount_to_capture=None,
            )
        elif c.transient:
            attempts.save(payment, attempt=c.attempt)
            if not c.tries_left(ctx.config):
                worker_log.error(f"{operation}_unresolved", payment_id=payment_id, outcome=c.outcome)
        else:  # refused: the payment stays authorized; the merchant may capture or cancel again
            attempts.save(payment, attempt=c.attempt, pending_operation=None, amount_to_capture=None)
    retry_later(ctx, c)


def capture_payment(ctx, payment_id):
    _settle(
        ctx,
        payment_id,
        "capture",
        "capture",
        lambda gw, p, a: gw.capture(p.gateway_reference, p.amount_to_capture, p.currency, a.idempotency_key),
        status=PaymentStatus.SUCCEEDED,
        event="payment.succeeded",
    )


def cancel_payment(ctx, payment_id):
    _settle(
        ctx,
        payment_id,
        "cancel",
        "void",
        lambda gw, p, a: gw.void(p.gateway_reference, a.idempotency_key),
        status=PaymentStatus.CANCELED,
        event="payment.canceled",
    )


def refund_payment(ctx, refund_id):
    with database.atomic():
        refund = attempts.lock_refund(refund_id)
        if refund.status != RefundStatus.PENDING:
            return
        payment = attempts.lock(refund.payment_id)
        attempt = attempts.open_attempt(
            payment, "refund", ctx.config.retry_max, refund.amount, key=f"paywave_{refund.id}"
        )
    gw = ctx.gateway(payment.gateway, payment.livemode)
    c = call(
        ctx,
        attempt,
        lambda: gw.refund(
            payment.gateway_reference, refund.amount, refund.currency, attempt.idempotency_key, payment.id
        ),
    )
    if c.error is None and not c.result.succeeded:
        c.error = UnknownOutcomeError("the refund is still pending at the gateway", code="refund_pending")
    c.record_on_attempt()
    with ctx.unit():
        refund = attempts.lock_refund(refund_id)
        payment = attempts.lock(refund.payment_id)
        if refund.status != RefundStatus.PENDING:
            c.attempt.save()
            return
        if c.error is None:
            refund.status, refund.gateway_reference = RefundStatus.SUCCEEDED, c.result.reference
            refund.save()
            attempts.save(
                payment,
                attempt=c.attempt,
                event="payment.refunded",
                amount_refunded=payment.amount_refunded + refund.amount,
            )
        elif c.transient:
            attempts.save(payment, attempt=c.attempt)
        else:
            refund.status, refund.failure_code, refund.failure_message = (
                RefundStatus.FAILED,
                c.error.code,
                c.error.message,
            )
            refund.save()
            attempts.save(payment, attempt=c.attempt, event="payment.refund_failed")
    retry_later(ctx, c)


def propagate_update(ctx, payment_id):
    """Send description/metadata to the gateway that holds the payment, where it allows it."""
    with database.atomic():
        payment = attempts.lock(payment_id)
        if not payment.gateway_reference:
            return
        attempt = attempts.open_attempt(payment, "update", ctx.config.retry_max)
    gw = ctx.gateway(payment.gateway, payment.livemode)
    c = call(
        ctx,
        attempt,
        lambda: gw.update(
            payment.gateway_reference, payment.description, payment.metadata or {}, attempt.idempotency_key
        ),
    )
    c.record_on_attempt()
    with ctx.unit():
        attempts.save(attempts.lock(payment_id), attempt=c.attempt)
    retry_later(ctx, c)


def label_fraud(ctx, merchant_id, livemode, labels):
    """Write fraud labels (``store.radar.label_fraud``) to Redis, for the decision's ``*_seen_as_fraud``.

    Raises:
      dramatiq.Retry: Redis is unreachable (the labels are durable meanwhile).
    """
    try:
        ctx.radar.counters.label_fraud(merchant_id, livemode, labels)
    except CountersUnavailable as exc:
        worker_log.warning("fraud_label_not_written", merchant_id=merchant_id, reason=str(exc))
        raise dramatiq.Retry() from None
