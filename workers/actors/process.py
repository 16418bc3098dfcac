"""``process_payment(payment_id, gateway)``: authorize or charge one payment at one
gateway, on that gateway's queue.

A duplicate or late delivery is harmless: the payment's state and the
attempt's derived idempotency key decide what happens, and the gateway replays
its saved answer for a key it has already seen.
"""

import datetime

from gateways.base import GatewayStatus, PaymentRequest
from gateways.errors import SoftDeclineError, UnknownOutcomeError
from shared import jobs, metrics
from shared.logging import worker_log
from store import attempts
from store.models import utcnow
from store.payments import attempts_of_one
from store.states import AUTHORIZING, AttemptStatus, PaymentStatus
from workers.actors.calls import call, retry_later

#: How long a replay with the same idempotency key is trusted to be answered from the
#: gateway's record (Stripe keeps keys 24 hours).
REPLAY_WINDOW = datetime.timedelta(hours=23)

#: Our reading of a successful call's result: (payment status, event).
RESULT_STATUS = {
    GatewayStatus.CAPTURED: (PaymentStatus.SUCCEEDED, "payment.succeeded"),
    GatewayStatus.AUTHORIZED: (PaymentStatus.REQUIRES_CAPTURE, "payment.requires_capture"),
}


def _claim(ctx, payment_id, gateway):
    """Returns ``(payment, attempt)`` to run, or None when this delivery has nothing to do.
    A status moved to processing is cached after commit (versioned, never backwards)."""
    with ctx.unit():
        payment = attempts.lock(payment_id)
        if payment.status not in AUTHORIZING or payment.gateway not in (None, gateway):
            return None  # finished, canceled, or routed elsewhere meanwhile (a late or duplicate job)
        history = attempts_of_one(payment_id)
        if payment.status == PaymentStatus.PENDING:
            allowed = [g for g in payment.route.split(",") if ctx.circuit.allows(g)]
            if allowed and gateway not in allowed:
                # This gateway's circuit is open: skip it until it half-opens.
                attempts.save(payment, jobs=[jobs.process_payment(payment_id, allowed[0])], attempts=history)
                return None
            attempts.save(payment, status=PaymentStatus.PROCESSING, gateway=gateway, attempts=history)
        charges = [a for a in history if a.operation in attempts.PAYMENT_OPERATIONS]
        attempt = charges[-1] if charges else None
        if attempt is not None and attempt.gateway == gateway:
            if attempts.is_open(attempt, ctx.config.retry_max):
                return payment, attempt
            return None  # declined or retries spent: the fallback router has it
        operation = "charge" if payment.capture == "automatic" else "authorize"
        attempt = attempts.start_attempt(
            payment, gateway, operation, payment.amount, attempts=history, request=_changeable(payment)
        )
        return payment, attempt


def _changeable(payment):
    """What the merchant may still change while the charge runs (``PUT /payments/{id}``)."""
    return {"description": payment.description, "metadata": payment.metadata or {}}


def _request(ctx, payment, attempt):
    """The attempt's request: the same on every try, whatever the merchant changed since."""
    sent = attempt.request or _changeable(payment)  # attempts started before ``request`` was kept
    return PaymentRequest(
        payment_id=payment.id,
        amount=payment.amount,
        currency=payment.currency,
        card=ctx.vault.open_card(payment),
        capture=payment.capture == "automatic",
        idempotency_key=attempt.idempotency_key,
        description=sent["description"],
        metadata=sent["metadata"],
        method=payment.method,
        method_id=payment.method_id,
    )


def process_payment(ctx, payment_id, gateway):
    claimed = _claim(ctx, payment_id, gateway)
    if claimed is None:
        return
    payment, attempt = claimed
    if attempt.tries and not attempt.gateway_reference and utcnow() - attempt.created_at > REPLAY_WINDOW:
        # Gateways forget idempotency keys (Stripe: 24 h): a replay now could charge again.
        worker_log.critical(
            "unknown_outcome_needs_review", payment_id=payment_id, gateway=gateway, attempt=attempt.number
        )
        _give_up(ctx, payment_id, gateway)
        return
    gw = ctx.gateway(gateway, payment.livemode)
    request = _request(ctx, payment, attempt)
    # A second try with the same key is a lookup: the gateway answers what it already did.
    replay, reference = attempt.tries > 0, attempt.gateway_reference
    c = call(ctx, attempt, lambda: gw.retrieve(request, reference) if replay else gw.execute(request))
    if c.error is None and c.result.status not in RESULT_STATUS:
        c = _unfinished(c)
    _finish(ctx, payment_id, c)


def _give_up(ctx, payment_id, gateway):
    """Leave a payment whose outcome no replay can learn any more to a person (``requires_review``)."""
    with ctx.unit():
        payment = attempts.lock(payment_id)
        if payment.status != PaymentStatus.PROCESSING or payment.gateway != gateway:
            return  # another delivery moved it meanwhile
        attempts.review(payment, "unknown_outcome_past_replay_window")


def _unfinished(c):
    """A call that returned, but without money held or moved."""
    status = c.result.status
    if status == GatewayStatus.PROCESSING:
        c.error = UnknownOutcomeError("the gateway is still processing", code="processing")
    else:  # declined, canceled, or needs a customer action we cannot take server-to-server
        c.error = SoftDeclineError(f"gateway status {c.result.vendor_status}", code=f"gateway_{status.value}")
    return c


def _finish(ctx, payment_id, c):
    c.record_on_attempt()
    attempt, error = c.attempt, c.error
    with ctx.unit():
        payment = attempts.lock(payment_id)
        if payment.status != PaymentStatus.PROCESSING or payment.gateway != attempt.gateway:
            attempt.save()  # another delivery finished it first
            return
        if error is None:
            status, event = RESULT_STATUS[c.result.status]
            # An update made while the charge ran reached us, not the gateway: send it now.
            changed = attempt.request not in (None, _changeable(payment))
            attempts.save(
                payment,
                status=status,
                attempt=attempt,
                event=event,
                jobs=[jobs.propagate_update(payment_id)] if changed else (),
                amount_captured=c.result.amount_captured,
                gateway_reference=c.result.reference,
                failure_code=None,
                failure_message=None,
            )
            metrics.payments.labels(status, attempt.gateway).inc()
        elif c.transient and c.tries_left(ctx.config):
            attempts.save(payment, attempt=attempt)
        elif c.transient and attempt.status == AttemptStatus.UNKNOWN:
            # Never fall back while this gateway may have charged: the sweeper keeps asking.
            attempts.save(payment, attempt=attempt)
            worker_log.error(
                "unknown_outcome_unresolved",
                payment_id=payment_id,
                gateway=attempt.gateway,
                tries=attempt.tries,
            )
        elif isinstance(error, SoftDeclineError) or c.transient:
            # The first authorization ended: the next gateway is tried without the CVC.
            attempts.save(
                payment, attempt=attempt, cvc_ciphertext=None, jobs=[jobs.route_payment(payment_id)]
            )
        else:  # hard decline, invalid request, unsupported: final everywhere
            attempts.save(
                payment,
                status=PaymentStatus.FAILED,
                attempt=attempt,
                event="payment.failed",
                failure_code=error.code,
                failure_message=error.message,
            )
            metrics.payments.labels(PaymentStatus.FAILED, attempt.gateway).inc()
    retry_later(ctx, c)
