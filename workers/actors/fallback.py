"""``route_payment(payment_id)``: send a payment whose gateway gave up (soft
decline, or retries spent) to the next gateway of its route, or fail it when
every gateway was tried."""

from shared import jobs, metrics
from store import attempts
from store.models import Attempt
from store.states import UNRESOLVED, AttemptStatus, PaymentStatus
from workers import radar


def route_payment(ctx, payment_id):
    with ctx.unit():
        payment = attempts.lock(payment_id)
        last = attempts.current_attempt(payment_id)
        if (
            payment.status != PaymentStatus.PROCESSING
            or last is None
            or last.status in (*UNRESOLVED, AttemptStatus.SUCCEEDED)
        ):
            return  # finished, or the last attempt may still have charged: not ours to move
        tried = {
            a.gateway
            for a in Attempt.select(Attempt.gateway).where(
                (Attempt.payment_id == payment_id) & Attempt.operation.in_(attempts.PAYMENT_OPERATIONS)
            )
        }
        untried = [g for g in payment.route.split(",") if g not in tried]
        if not untried:
            if last.error_class in radar.DECLINES:
                ctx.radar.record_decline(payment)
            attempts.save(
                payment,
                status=PaymentStatus.FAILED,
                event="payment.failed",
                failure_code=last.error_code,
                failure_message=last.error_message,
            )
            metrics.payments.labels(PaymentStatus.FAILED, last.gateway).inc()
        else:
            # Prefer a gateway whose circuit is closed; if all are open, try anyway rather than fail.
            target = next((g for g in untried if ctx.circuit.allows(g)), untried[0])
            attempts.save(payment, gateway=target, jobs=[jobs.process_payment(payment_id, target)])
            metrics.fallbacks.labels(last.gateway, target).inc()
