"""Gateway events (the gateways' webhooks): stored once per delivered body, then folded into
the payment they are about.

``receive`` stores a delivery as ``received`` together with its ``apply_gateway_event``
job; the same body delivered again changes nothing.  An event id is only what the sender
claims: another body under a known id is stored beside it (a forger who sends first must not
block the genuine delivery), each is verified, and only one delivery of an id is ever applied.
``apply`` reads the event (its gateway's ``Webhooks.read``) and changes the payment under the
workers' rules: a status only moves forward (``states.FORWARD``), a refund is counted once, by
the gateway's refund id, and never beyond what was captured.  An event that changes nothing is
``ignored`` with the reason; one that contradicts our records (money moved on a payment we hold as failed, or
on another charge than ours) is also logged as an error.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable
from typing import Any

import orjson
import peewee
from peewee import Expression

from gateways import registry
from gateways.base import Fact
from shared import jobs, metrics
from shared.ids import new_id
from shared.logging import get_logger
from store import attempts, outbox, radar, unit
from store.db import locked
from store.models import GatewayEvent, Payment, Refund, utcnow
from store.states import FORWARD, OPEN, AttemptStatus, GatewayEventStatus, PaymentStatus, RefundStatus

log = get_logger(__name__)


class Backlog(Exception):
    """Too many events of the gateway wait to be verified and applied: nothing was stored."""


class NotYet(Exception):
    """A refund event arrived while our own refund job has not recorded its result: apply it later."""


class Ignored(Exception):
    """The event changes nothing; ``alarming`` when it contradicts our records."""

    def __init__(self, reason: str, alarming: bool = False) -> None:
        super().__init__(reason)
        self.alarming = alarming


def receive(
    gateway: str,
    event_id: str,
    type_: str,
    payload: str,
    headers: dict | None = None,
    transmission_id: str | None = None,
    unverified_max: int | None = None,
) -> bool:
    """Store a delivery as ``received`` and queue its ``apply_gateway_event`` job, in one transaction.

    Parameters:
      payload: The raw body (str), kept as delivered; its digest is part of the key.
      headers: The headers the gateway's later verification needs (``Delivery.headers``), if any.
      transmission_id: The gateway's id of this delivery, if it gives one.
      unverified_max: Refuse the delivery when this many events of ``gateway`` are still ``received``.

    Returns:
      True when stored now; False when this very body was received before (a replay: nothing changes).

    Raises:
      Backlog: ``unverified_max`` events wait already (the gateway sends it again later).
    """
    digest = hashlib.sha256(payload.encode()).hexdigest()
    with unit.joined():
        if (
            unverified_max is not None
            and GatewayEvent.select()
            .where((GatewayEvent.gateway == gateway) & (GatewayEvent.status == GatewayEventStatus.RECEIVED))
            .limit(unverified_max)
            .count()
            >= unverified_max
        ):
            raise Backlog(f"{unverified_max} {gateway} events wait to be verified and applied")
        stored = (
            GatewayEvent.insert(
                gateway=gateway,
                event_id=event_id,
                digest=digest,
                type=type_,
                status=GatewayEventStatus.RECEIVED,
                transmission_id=transmission_id,
                headers=headers,
                payload=payload,
                received_at=utcnow(),
            )
            .on_conflict_ignore()
            .as_rowcount()
            .execute()
        )
        if stored:
            outbox.add(jobs.apply_gateway_event(gateway, event_id))
    return bool(stored)


def _key(gateway: str, event_id: str, digest: str | None = None) -> Expression:
    key = (GatewayEvent.gateway == gateway) & (GatewayEvent.event_id == event_id)
    return key if digest is None else key & (GatewayEvent.digest == digest)


def received(gateway: str, event_id: str) -> GatewayEvent | None:
    """The first delivery of the event still ``received`` (not yet applied, ignored or rejected), else None.

    Each delivery has its own job: a job decides on one delivery, the next job on the next."""
    return (
        GatewayEvent.select()
        .where(_key(gateway, event_id) & (GatewayEvent.status == GatewayEventStatus.RECEIVED))
        .order_by(GatewayEvent.received_at, GatewayEvent.digest)
        .first()
    )


def reject(gateway: str, event_id: str, reason: str, digest: str) -> bool:
    """Mark a ``received`` delivery, the one with ``digest``, ``rejected`` (not genuine: never applied).
    True when it was."""
    return bool(
        GatewayEvent.update(status=GatewayEventStatus.REJECTED, detail=reason)
        .where(_key(gateway, event_id, digest) & (GatewayEvent.status == GatewayEventStatus.RECEIVED))
        .execute()
    )


def purge_settled(retention_days: float) -> int:
    """Delete ``rejected`` and ``ignored`` events received more than ``retention_days`` ago. Returns how
    many."""
    cutoff = utcnow() - datetime.timedelta(days=retention_days)
    return (
        GatewayEvent.delete()
        .where(
            GatewayEvent.status.in_((GatewayEventStatus.REJECTED, GatewayEventStatus.IGNORED))
            & (GatewayEvent.received_at < cutoff)
        )
        .execute()
    )


def apply(gateway: str, event_id: str, digest: str | None = None) -> tuple[Payment, bytes] | None:
    """Fold a ``received`` delivery into its payment, in one transaction with the delivery's new status;
    ``ignored`` when another delivery of the event was applied.

    Parameters:
      digest: Which delivery (the one verified); None: the first still ``received``.

    Returns:
      ``(payment, body)`` when the payment changed (the open unit of work caches ``body``, its object),
      else None (the event was ignored, or is no longer ``received``).

    Raises:
      NotYet: a refund our refund job is still recording; nothing was written.
    """
    with unit.joined():
        # Every delivery of the event locked, in one order: two jobs never apply two of them.
        rows = list(
            locked(GatewayEvent.select().where(_key(gateway, event_id)).order_by(GatewayEvent.digest))
        )
        waiting = sorted(
            (r for r in rows if r.status == GatewayEventStatus.RECEIVED), key=lambda r: r.received_at
        )
        row = next((r for r in waiting if digest in (None, r.digest)), None)
        if row is None:
            return None
        payment = body = None
        try:
            if any(r.status == GatewayEventStatus.APPLIED for r in rows):
                raise Ignored("another delivery of this event was applied")
            fact = _read(gateway, row)
            payment = _payment_of(gateway, fact)
            row.payment_id = payment.id if payment else None
            body = _fold(gateway, payment, fact)
        except Ignored as ignored:
            row.status, row.detail = GatewayEventStatus.IGNORED, str(ignored)
            (log.error if ignored.alarming else log.info)(
                "gateway_event_ignored",
                gateway=gateway,
                event_id=event_id,
                type=row.type,
                payment_id=row.payment_id,
                reason=row.detail,
            )
        else:
            row.status, row.applied_at = GatewayEventStatus.APPLIED, utcnow()
        row.save()
    return (payment, body) if payment is not None and body else None


def _read(gateway: str, row: GatewayEvent) -> Fact:
    try:  # a gateway no longer registered is a KeyError: unreadable too
        return registry.webhooks(gateway).read(orjson.loads(row.payload))
    # A shape we never guess at.
    except (LookupError, AttributeError, TypeError, ValueError, ArithmeticError) as exc:
        raise Ignored(f"unreadable {row.type} event ({type(exc).__name__}: {exc})", alarming=True) from None


def _payment_of(gateway: str, fact: Fact) -> Payment | None:
    """Our payment the event is about, locked: by the gateway's reference, with our id as a
    cross-check that must agree (Stripe's ``metadata.payment_id`` was once merchant-writable).

    By our id alone only when the reference is not ours yet (a charge completed after our call
    timed out: ``_fold`` still refuses a payment holding another reference), or, without any
    reference, where only we write the id (``Webhooks.placed_by_id``).

    Raises:
      Ignored: the event names another payment than the one its reference belongs to (alarming).
    """
    if fact.reference:
        # A gateway gives each reference to one payment; were it ever held twice, the one the event names
        # wins.
        payment = locked(
            Payment.select()
            .where((Payment.gateway == gateway) & (Payment.gateway_reference == fact.reference))
            .order_by((Payment.id == fact.payment_id).desc())
        ).first()
        if payment is not None:
            if fact.payment_id not in (None, payment.id):
                raise Ignored(
                    f"names payment {fact.payment_id}, not {payment.id} that holds {fact.reference}",
                    alarming=True,
                )
            return payment
    if fact.payment_id and (fact.reference or registry.webhooks(gateway).placed_by_id):
        return locked(Payment.select().where(Payment.id == fact.payment_id)).first()
    return None


def _fold(gateway: str, payment: Payment | None, fact: Fact) -> bytes:
    """Apply ``fact`` to the locked ``payment``. Returns its object (JSON bytes).

    Raises:
      Ignored, NotYet.
    """
    if fact.kind is None:
        raise Ignored("not an event type we act on")
    if payment is None:
        raise Ignored("no payment of ours")
    # A decline elsewhere is old news; anything else on another gateway or charge means money
    # moved where we do not expect it.
    if payment.gateway != gateway:
        raise Ignored(f"the payment is held by {payment.gateway}", alarming=fact.kind != "failed")
    if fact.reference and payment.gateway_reference not in (None, fact.reference):
        raise Ignored(
            f"about {fact.reference}, not our {payment.gateway_reference}", alarming=fact.kind != "failed"
        )
    return HANDLERS[fact.kind](gateway, payment, fact)


def _charged(gateway: str, payment: Payment, fact: Fact, *, status: PaymentStatus, event: str) -> bytes:
    """A charge, authorization or capture the gateway completed, perhaps after our call gave up."""
    if payment.status == status:
        raise Ignored(f"already {status}")
    if status not in FORWARD[payment.status]:
        # A late event is harmless; money moved (or held) on a payment we hold as failed is not.
        raise Ignored(
            f"would move {payment.status} to {status}",
            alarming=fact.kind == "captured" or payment.status == PaymentStatus.FAILED,
        )
    charging = payment.status in (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)
    operations = attempts.PAYMENT_OPERATIONS if charging else ("capture",)
    attempt = attempts.current_attempt(payment.id, operations)
    if attempt is None or attempt.gateway != gateway or attempt.status not in OPEN:
        if charging:  # our attempt already ended otherwise (declined)
            raise Ignored(
                f"our {gateway} attempt is {attempt.status if attempt else 'missing'}", alarming=True
            )
        attempt = None  # captured without our asking (e.g. from the gateway's dashboard): still true
    reference = (
        payment.gateway_reference or fact.reference or (attempt.gateway_reference if attempt else None)
    )
    if reference is None:  # captures and refunds need it: our worker's own lookup will find it
        raise Ignored("names no reference we could keep")
    if attempt is not None:
        attempt.status, attempt.gateway_reference = AttemptStatus.SUCCEEDED, reference
        attempt.error_class = attempt.error_code = attempt.error_message = None
    # Payment columns for ``attempts.save``, each of its field's own type.
    changes: dict[str, Any] = {"amount_captured": fact.amount, "gateway_reference": reference}
    if charging:  # the customer's action too, if any, is over (``next_action`` cleared on saving), and a
        # merchant's cancel of it came too late: the charge stands
        changes.update(cvc_ciphertext=None, failure_code=None, failure_message=None, pending_operation=None)
        metrics.payments.labels(status, gateway).inc()
    else:
        changes.update(pending_operation=None, amount_to_capture=None)
    return attempts.save(payment, status=status, attempt=attempt, event=event, **changes)


def _failed(gateway: str, payment: Payment, fact: Fact) -> bytes:
    """A decline: the worker asks the gateway again now (same key) instead of after its backoff
    or the sweeper, and decides between fallback and failure as for its own calls (after a customer's
    action: failure)."""
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return _read_again(gateway, payment, fact)
    attempt = attempts.current_attempt(payment.id)
    if (
        payment.status != PaymentStatus.PROCESSING
        or attempt is None
        or attempt.status not in (AttemptStatus.UNKNOWN, AttemptStatus.ERROR)
    ):
        raise Ignored("our records already have the outcome, or our call will")
    return attempts.save(payment, jobs=[jobs.process_payment(payment.id, gateway)])


def _read_again(gateway: str, payment: Payment, fact: Fact) -> bytes:
    """The customer acted (PayPal's buyer approved, a 3-D Secure challenge failed): the worker reads the
    outcome at the gateway now, and only the gateway's answer moves the payment."""
    if payment.status != PaymentStatus.REQUIRES_ACTION:
        raise Ignored(f"the payment is {payment.status}: no customer action is awaited")
    return attempts.save(payment, jobs=[jobs.process_payment(payment.id, gateway)])


def _refund(gateway: str, payment: Payment, fact: Fact) -> bytes:
    """Count a refund once, by the gateway's refund id, whoever made it (our refund job or
    someone at the gateway's dashboard); a refund that failed after succeeding is taken back."""
    refund = Refund.get_or_none(
        (Refund.payment_id == payment.id) & (Refund.gateway_reference == fact.refund_id)
    )
    pending = Refund.select().where(
        (Refund.payment_id == payment.id) & (Refund.status == RefundStatus.PENDING)
    )
    if refund is None and pending.exists():
        raise NotYet(f"{fact.refund_id} may be our pending refund: its job records it first")
    if fact.refunded is None:
        raise Ignored("the refund is still pending at the gateway")
    if fact.refunded:
        if refund is not None:
            raise Ignored(f"refund {fact.refund_id} already counted")
        if payment.amount_refunded + fact.amount > payment.amount_captured:
            raise Ignored(f"refunding {fact.amount} would exceed the captured amount", alarming=True)
        now = utcnow()
        Refund.create(
            id=new_id("re"),
            payment_id=payment.id,
            merchant_id=payment.merchant_id,
            amount=fact.amount,
            currency=payment.currency,
            status=RefundStatus.SUCCEEDED,
            gateway_reference=fact.refund_id,
            created_at=now,
            updated_at=now,
        )
        return attempts.save(
            payment, event="payment.refunded", amount_refunded=payment.amount_refunded + fact.amount
        )
    if refund is None or refund.status != RefundStatus.SUCCEEDED:
        raise Ignored(f"refund {fact.refund_id} is not a succeeded refund of ours")
    refund.status, refund.failure_code, refund.updated_at = RefundStatus.FAILED, "refund_failed", utcnow()
    refund.failure_message = f"{gateway} reported the refund failed"
    refund.save()
    return attempts.save(
        payment, event="payment.refund_failed", amount_refunded=payment.amount_refunded - refund.amount
    )


def _disputed(gateway: str, payment: Payment, fact: Fact) -> bytes:
    if payment.disputed:
        raise Ignored("already disputed")
    radar.label_fraud(payment, radar.DISPUTED)
    return attempts.save(payment, event="payment.disputed", disputed=True)


HANDLERS: dict[str, Callable[[str, Payment, Fact], bytes]] = {
    "captured": functools.partial(_charged, status=PaymentStatus.SUCCEEDED, event="payment.succeeded"),
    "authorized": functools.partial(
        _charged, status=PaymentStatus.REQUIRES_CAPTURE, event="payment.requires_capture"
    ),
    "failed": _failed,
    "action_completed": _read_again,
    "refund": _refund,
    "disputed": _disputed,
}


def redrive_stuck(cutoff: datetime.datetime, limit: int = 500) -> int:
    """Queue ``apply_gateway_event`` again for events still ``received`` since before ``cutoff``
    (their job was lost or dead-lettered), and mark them so the next pass waits a period.
    Call in a transaction.

    Returns:
      How many were queued.
    """
    rows = list(
        GatewayEvent.select(GatewayEvent.gateway, GatewayEvent.event_id)
        .where(
            (GatewayEvent.status == GatewayEventStatus.RECEIVED)
            & (peewee.fn.COALESCE(GatewayEvent.swept_at, GatewayEvent.received_at) < cutoff)
        )
        .limit(limit)
    )
    keys = [(row.gateway, row.event_id) for row in rows]
    outbox.add_all([jobs.apply_gateway_event(*key) for key in keys])
    if keys:
        (
            GatewayEvent.update(swept_at=utcnow())
            .where(peewee.Tuple(GatewayEvent.gateway, GatewayEvent.event_id).in_(keys))
            .execute()
        )
    return len(keys)
