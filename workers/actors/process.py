"""``process_payment(payment_id, gateway)``: authorize or charge one payment at one
gateway, on that gateway's queue.

A duplicate or late delivery is harmless: the payment's state and the
attempt's derived idempotency key decide what happens, and the gateway replays
its saved answer for a key it has already seen.

A customer action (3-D Secure, PayPal approval): when the merchant gave a ``return_url`` the gateway is
sent PayWave's own return address (``shared.returns``), and a call answering that the customer must act
moves the payment to ``requires_action`` with ``next_action``.  The same job then only reads that attempt
again at its gateway (same key), queued by the customer's return, the gateway's webhook or the sweeper:
still waiting changes nothing; a charge or authorization is a success; a decline fails the payment,
never falling back to another gateway (the customer, not another gateway, is the one to ask again).
Past ``action_expires_at``, or once the merchant asked to cancel (``pending_operation`` ``cancel``), the
gateway's intent is canceled first and the payment only then (``action_expired`` for an expiry): a
customer who completed the action meanwhile keeps the payment.
"""

import datetime

from gateways.base import GatewayStatus, PaymentRequest
from gateways.errors import SoftDeclineError, UnknownOutcomeError
from shared import jobs, metrics, returns
from shared.logging import worker_log
from store import attempts
from store.models import utcnow
from store.states import AUTHORIZING, AttemptStatus, PaymentStatus
from workers import radar
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
    """Returns ``(payment, attempt, counted)`` to run (``counted``: the call's try is counted in
    the claim, a new attempt's first), or None when this delivery has nothing to do. One read (the locked
    payment and its attempts) and the writes with the COMMIT: two round trips. A status moved to processing
    is cached after commit (versioned, never backwards)."""
    with ctx.unit(batched=True):
        payment, history = attempts.lock_with_attempts(payment_id)
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            # Only the attempt the customer acts on is read again: no new attempt, no other gateway.
            charges = [a for a in history if a.operation in attempts.PAYMENT_OPERATIONS]
            attempt = charges[-1] if charges else None
            if payment.gateway != gateway or attempt is None or attempt.gateway != gateway:
                return None
            return payment, attempt, False
        if payment.status not in AUTHORIZING or payment.gateway not in (None, gateway):
            return None  # finished, canceled, or routed elsewhere meanwhile (a late or duplicate job)
        if payment.status == PaymentStatus.PENDING:
            # One circuit read while this gateway's is closed: the others only matter when it is open.
            if not ctx.circuit.allows(gateway):
                allowed = [g for g in payment.route.split(",") if g != gateway and ctx.circuit.allows(g)]
                if allowed:
                    # This gateway's circuit is open: skip it until it half-opens.
                    attempts.save(
                        payment, jobs=[jobs.process_payment(payment_id, allowed[0])], attempts=history
                    )
                    return None
            if payment.risk is None and not radar.screen(ctx.radar, payment, history):
                return None  # blocked: failed before any gateway call
            attempts.save(payment, status=PaymentStatus.PROCESSING, gateway=gateway, attempts=history)
        charges = [a for a in history if a.operation in attempts.PAYMENT_OPERATIONS]
        attempt = charges[-1] if charges else None
        if attempt is not None and attempt.gateway == gateway:
            if attempts.is_open(attempt, ctx.config.retry_max):
                return payment, attempt, False
            return None  # declined or retries spent: the fallback router has it
        operation = "charge" if payment.capture == "automatic" else "authorize"
        attempt = attempts.start_attempt(
            payment,
            gateway,
            operation,
            payment.amount,
            attempts=history,
            request=_changeable(payment),
            tries=1,  # committed with the claim, before the call
        )
        return payment, attempt, True


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
        # The merchant's return_url says a customer is present: the gateway sends them back to us first.
        return_url=returns.return_url(ctx.config, payment.id) if payment.return_url else None,
        request_3ds=radar.requests_3ds(payment),
    )


def process_payment(ctx, payment_id, gateway):
    claimed = _claim(ctx, payment_id, gateway)
    if claimed is None:
        return
    payment, attempt, counted = claimed
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
    replay, reference = attempt.tries > counted, attempt.gateway_reference
    c = call(
        ctx,
        attempt,
        lambda: gw.retrieve(request, reference) if replay else gw.execute(request),
        counted=counted,
    )
    if payment.status == PaymentStatus.REQUIRES_ACTION and _waiting(c) and _ending(payment):
        read = _cancel_intent(ctx, gw, payment, request, c)
        if read is None:
            return  # the cancel's outcome is unknown: asked again (retried, then swept)
        if _waiting(read):
            _cancel(ctx, payment_id, read)
            return
        c = read  # the customer acted before the cancel: their outcome stands
    if c.error is None and c.result.status not in RESULT_STATUS and not _awaits_customer(payment, request, c):
        c = _unfinished(c)
    _finish(ctx, payment_id, c)
    if c.error is None and c.result.status in RESULT_STATUS:
        radar.learn_card(gw, payment, c.result)  # for the card's next payment: after this one is committed


def _awaits_customer(payment, request, c) -> bool:
    """Whether the call answered that the customer must act and one can: a customer is present
    (``return_url``) and the gateway said where to send them (or already had)."""
    return (
        c.error is None
        and c.result.status == GatewayStatus.REQUIRES_ACTION
        and request.return_url is not None
        and (c.result.action_url is not None or payment.status == PaymentStatus.REQUIRES_ACTION)
    )


def _waiting(c) -> bool:
    """The gateway still waits for the customer, or holds the intent canceled (by our expiry's cancel)."""
    return c.error is None and c.result.status in (GatewayStatus.REQUIRES_ACTION, GatewayStatus.CANCELED)


def _ending(payment) -> bool:
    """The customer's time is up, or the merchant asked to cancel."""
    expired = payment.action_expires_at is not None and utcnow() >= payment.action_expires_at
    return expired or payment.pending_operation == "cancel"


def _cancel_intent(ctx, gw, payment, request, c):
    """Cancel at the gateway the intent of ``payment`` (expired, or canceled by the merchant), before the
    payment itself.

    The gateway's answer decides: an intent the customer completed meanwhile cannot be canceled (Stripe
    refuses a succeeded PaymentIntent), and a gateway that cannot cancel an unapproved intent (PayPal's
    order) lets it lapse on its own; either way the attempt is read again.

    Returns:
      The read that decides: ``c`` when the intent is canceled (now or before), a new read of the
      attempt after a refused cancel, None when the cancel's outcome is unknown (it is tried again).
    """
    if c.result.status == GatewayStatus.CANCELED:
        return c
    with ctx.unit():
        void = attempts.open_attempt(payment, "void", ctx.config.retry_max)
    v = call(ctx, void, lambda: gw.void(payment.gateway_reference, void.idempotency_key))
    v.record_on_attempt()
    void.save()
    if v.error is None and v.result.status == GatewayStatus.CANCELED:
        return c
    if v.transient:
        retry_later(ctx, v)
        return None  # no tries left: the sweeper queues this job again
    return call(ctx, c.attempt, lambda: gw.retrieve(request, payment.gateway_reference))


def _cancel(ctx, payment_id, c):
    """``requires_action`` -> ``canceled``, the gateway's intent canceled or lapsed: ``action_expired``, or
    no failure at all when the merchant canceled (as a canceled authorization)."""
    attempt = c.attempt
    with ctx.unit():
        payment = attempts.lock(payment_id)
        if payment.status != PaymentStatus.REQUIRES_ACTION:
            attempt.save()  # a webhook or another delivery settled it first
            return
        by_merchant = payment.pending_operation == "cancel"
        attempt.status, attempt.latency_ms = AttemptStatus.DECLINED, c.latency_ms
        attempt.error_class = "soft_decline"
        if by_merchant:
            attempt.error_code, attempt.error_message = "canceled", "the merchant canceled the payment"
        else:
            attempt.error_code = "action_expired"
            attempt.error_message = "the customer did not complete the action in time"
        attempts.save(
            payment,
            status=PaymentStatus.CANCELED,
            attempt=attempt,
            event="payment.canceled",
            failure_code=None if by_merchant else attempt.error_code,
            failure_message=None if by_merchant else attempt.error_message,
            pending_operation=None,
        )
        metrics.payments.labels(PaymentStatus.CANCELED, attempt.gateway).inc()


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
    """Write the call's outcome: one read (the locked payment and its attempts), the event's endpoints,
    and the writes with the COMMIT. The writes wait for the COMMIT: every payment object written (event,
    cache) is built from ``history``, never read back."""
    c.record_on_attempt()
    attempt, error = c.attempt, c.error
    with ctx.unit(batched=True):
        payment, history = attempts.lock_with_attempts(payment_id)
        waiting = payment.status == PaymentStatus.REQUIRES_ACTION
        if not (waiting or payment.status == PaymentStatus.PROCESSING) or payment.gateway != attempt.gateway:
            attempt.save()  # another delivery finished it first
            return
        if error is None and c.result.status == GatewayStatus.REQUIRES_ACTION:
            _await_customer(ctx, payment, attempt, c.result, history)
        elif error is None:
            status, event = RESULT_STATUS[c.result.status]
            # An update made while the charge ran reached us, not the gateway: send it now.
            changed = attempt.request not in (None, _changeable(payment))
            attempts.save(
                payment,
                status=status,
                attempt=attempt,
                attempts=history,
                event=event,
                jobs=[jobs.propagate_update(payment_id)] if changed else (),
                amount_captured=c.result.amount_captured,
                gateway_reference=c.result.reference,
                failure_code=None,
                failure_message=None,
                pending_operation=None,  # a merchant's cancel of a waiting payment: the outcome won
            )
            metrics.payments.labels(status, attempt.gateway).inc()
        elif c.transient and c.tries_left(ctx.config):
            attempts.save(payment, attempt=attempt, attempts=history)
        elif c.transient and (attempt.status == AttemptStatus.UNKNOWN or waiting):
            # Never fall back while this gateway may have charged, or waits for the customer: the sweeper
            # keeps asking.
            attempts.save(payment, attempt=attempt, attempts=history)
            worker_log.error(
                "unknown_outcome_unresolved",
                payment_id=payment_id,
                gateway=attempt.gateway,
                tries=attempt.tries,
            )
        elif not waiting and (isinstance(error, SoftDeclineError) or c.transient):
            # The first authorization ended: the next gateway is tried without the CVC.
            attempts.save(
                payment,
                attempt=attempt,
                attempts=history,
                cvc_ciphertext=None,
                jobs=[jobs.route_payment(payment_id)],
            )
        else:  # hard decline, invalid request, unsupported, any decline after the customer's action: final
            if error.error_class in radar.DECLINES:
                ctx.radar.record_decline(payment)
            attempts.save(
                payment,
                status=PaymentStatus.FAILED,
                attempt=attempt,
                attempts=history,
                event="payment.failed",
                failure_code=error.code,
                failure_message=error.message,
                pending_operation=None,
            )
            metrics.payments.labels(PaymentStatus.FAILED, attempt.gateway).inc()
    retry_later(ctx, c)


def _await_customer(ctx, payment, attempt, result, history):
    """The gateway waits for the customer: ``requires_action`` with where to send them, the first time
    (the CVC is erased by leaving ``processing``: the gateway holds the card now); nothing new after."""
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        attempt.save()
        return
    expires = utcnow() + datetime.timedelta(seconds=ctx.config.action_expiry_seconds)
    attempts.save(
        payment,
        status=PaymentStatus.REQUIRES_ACTION,
        attempt=attempt,
        attempts=history,
        event="payment.requires_action",
        gateway_reference=result.reference,  # the gateway's webhooks name the payment by it
        next_action={
            "type": "redirect_to_url",
            "redirect_to_url": {"url": result.action_url, "return_url": payment.return_url},
        },
        action_expires_at=expires,
    )
