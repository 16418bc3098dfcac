"""Payments and refunds as the merchant changes them: every read and write of them the API
makes goes through here (only ``store/`` speaks SQL); ``store.attempts`` holds the workers' changes.

State rules: ``store.states``; a state only moves forward; refunds raise
``amount_refunded`` and never change ``status``.  The CVC lives only while a payment
is ``pending`` or ``processing``: every change that moves it on erases it (``record``).
"""

import datetime
import functools
from collections.abc import Callable, Collection, Iterable

import peewee

from shared import jobs
from shared.ids import new_id
from shared.jobs import Job
from shared.logging import get_logger
from store import events, merchants, outbox, unit
from store.db import insert_statement, locked, prepared
from store.errors import AmountInvalid, NotFound, StateConflict
from store.models import Attempt, AuditLog, Payment, Refund, utcnow
from store.objects import encode, payment_object, refund_object
from store.pages import page
from store.states import AUTHORIZING, REFUNDABLE, PaymentStatus, RefundStatus
from store.unit import Unit

log = get_logger(__name__)


def attempts_of(payment_ids: Collection[str]) -> dict[str, list[Attempt]]:
    """``{payment_id: [Attempt, ...]}`` in one query (no N+1 on lists)."""
    found: dict[str, list[Attempt]] = {pid: [] for pid in payment_ids}
    if payment_ids:
        for a in Attempt.select().where(Attempt.payment_id.in_(list(payment_ids))).order_by(Attempt.number):
            found[a.payment_id].append(a)
    return found


def attempts_of_one(payment_id: str) -> list[Attempt]:
    return list(
        prepared(
            "attempts_of_one",
            lambda: Attempt.select().where(Attempt.payment_id == "").order_by(Attempt.number),
            payment_id,
        )
    )


def snapshot(payment: Payment, attempts: Iterable[Attempt] | None = None) -> bytes:
    """The payment object as JSON bytes, with ``attempts`` (default: read them)."""
    return encode(payment_object(payment, attempts_of_one(payment.id) if attempts is None else attempts))


def create(merchant_id: str, fields: dict, card_columns_for: Callable[[str], dict]) -> tuple[Payment, bytes]:
    """Write a new ``pending`` payment and its first job (the route's first gateway) in one transaction, in
    one round trip (two with an idempotency claim: its response goes with them, then the COMMIT).

    Parameters:
      fields: Validated payment fields (amount, currency, capture, route, ...).
      card_columns_for: ``f(payment_id) -> dict`` of sealed card columns (``Vault.seal_card``).

    Returns:
      ``(payment, body)``: the model and the response body (JSON bytes).
    """
    payment_id = new_id("pay")
    now = utcnow()
    payment = Payment(
        id=payment_id,
        merchant_id=merchant_id,
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
        version=1,
        **fields,
        **card_columns_for(payment_id),
    )
    body = encode(payment_object(payment, []))
    merchants.ensure(merchant_id)
    first_gateway = fields["route"].split(",")[0]
    with unit.joined() as work:
        work.respond(
            202,
            body,
            f"/payments/{payment_id}",
            together=[
                insert_statement(payment),
                outbox.statement(jobs.process_payment(payment_id, first_gateway)),
            ],
        )
        work.changed(payment, body)
    return payment, body


def get(merchant_id: str | None, payment_id: str, lock: bool = False) -> Payment:
    """One payment of ``merchant_id`` (None: of any merchant, for operators).

    Raises:
      NotFound.
    """
    query = Payment.select().where(Payment.id == payment_id)
    if merchant_id is not None:
        query = query.where(Payment.merchant_id == merchant_id)
    payment = (locked(query) if lock else query).first()
    if payment is None:
        raise NotFound(payment_id)
    return payment


def list_(
    merchant_id: str | None,
    *,
    limit: int,
    starting_after: str | None = None,
    status: str | None = None,
    customer: str | None = None,
    created_gte: datetime.datetime | None = None,
    created_lte: datetime.datetime | None = None,
) -> tuple[list[dict], bool]:
    """Newest first, of ``merchant_id`` (None: every merchant's). Returns ``([payment objects],
    has_more)``."""
    query = Payment.select()
    if merchant_id is not None:
        query = query.where(Payment.merchant_id == merchant_id)
    if status:
        query = query.where(Payment.status == status)
    if customer:
        query = query.where(Payment.customer == customer)
    if created_gte:
        query = query.where(Payment.created_at >= created_gte)
    if created_lte:
        query = query.where(Payment.created_at <= created_lte)
    rows, has_more = page(query, limit, starting_after, functools.partial(get, merchant_id))
    attempts = attempts_of([p.id for p in rows])
    return [payment_object(p, attempts[p.id]) for p in rows], has_more


def record(
    payment: Payment,
    jobs: Iterable[Job] = (),
    event: str | None = None,
    now: datetime.datetime | None = None,
    attempts: Iterable[Attempt] | None = None,
) -> bytes:
    """Bump the version, save, queue ``jobs`` and record ``event``. Call in a transaction; the open
    unit of work, if any, caches the new object after commit.

    Parameters:
      attempts: The payment's attempts for its object, when the caller has them.

    Returns:
      The payment object as JSON bytes (for the response and the cache).
    """
    payment.version += 1
    payment.updated_at = now or utcnow()
    if payment.cvc_ciphertext is not None and payment.status not in AUTHORIZING:
        payment.cvc_ciphertext = None  # the first authorization ended, or was abandoned
    payment.save()
    outbox.add_all(jobs)
    body = snapshot(payment, attempts)
    if event:
        events.emit(payment, event, body)
    work = unit.current()
    if work is not None:
        work.changed(payment, body)
    return body


def _save(
    work: Unit, payment: Payment, status_code: int, jobs: Iterable[Job] = (), event: str | None = None
) -> tuple[Payment, bytes]:
    """``record`` the change and save it as the unit's response."""
    body = record(payment, jobs, event)
    work.respond(status_code, body)
    return payment, body


def update(merchant_id: str, payment_id: str, changes: dict) -> tuple[Payment, bytes]:
    """Change ``description``/``metadata`` (any time before a final failure) and
    ``amount`` (only while no gateway was tried). Queues propagation to the gateway.

    Raises:
      NotFound, StateConflict.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True)
        if "amount" in changes and changes["amount"] != payment.amount:
            tried = Attempt.select().where(Attempt.payment_id == payment_id).exists()
            if payment.status != PaymentStatus.PENDING or tried:
                raise StateConflict("amount can only change before any gateway attempt", "amount_locked")
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
            raise StateConflict(f"a {payment.status} payment cannot be updated")
        for field, value in changes.items():
            setattr(payment, field, value)
        propagate = [jobs.propagate_update(payment_id)] if payment.gateway_reference else []
        return _save(work, payment, 200, propagate, event="payment.updated")


def request_capture(merchant_id: str, payment_id: str, amount: int | None = None) -> tuple[Payment, bytes]:
    """Ask the ops pool to capture ``amount`` (default: all) of an authorized payment.

    Raises:
      NotFound, StateConflict, AmountInvalid.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True)
        if payment.status != PaymentStatus.REQUIRES_CAPTURE:
            raise StateConflict(
                f"only a requires_capture payment can be captured (status is {payment.status})"
            )
        if payment.pending_operation:
            raise StateConflict(
                f"a {payment.pending_operation} is already in progress", "operation_in_progress"
            )
        amount = payment.amount if amount is None else amount
        if amount > payment.amount:
            raise AmountInvalid("amount", f"cannot capture more than the authorized {payment.amount}")
        payment.pending_operation, payment.amount_to_capture = "capture", amount
        return _save(work, payment, 202, [jobs.capture_payment(payment_id)])


def cancel(merchant_id: str, payment_id: str) -> tuple[Payment, bytes]:
    """Cancel a payment no gateway has charged: at once while ``pending`` (its CVC
    erased), through the gateway (void) while ``requires_capture``.

    Raises:
      NotFound, StateConflict.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True)
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.CANCELED
            return _save(work, payment, 202, event="payment.canceled")
        if payment.status != PaymentStatus.REQUIRES_CAPTURE:
            raise StateConflict(f"a {payment.status} payment cannot be canceled")
        if payment.pending_operation:
            raise StateConflict(
                f"a {payment.pending_operation} is already in progress", "operation_in_progress"
            )
        payment.pending_operation = "cancel"
        return _save(work, payment, 202, [jobs.cancel_payment(payment_id)])


def create_refund(
    merchant_id: str, payment_id: str, amount: int | None = None, reason: str | None = None
) -> tuple[Refund, bytes]:
    """Refund part or all of what was captured, never more than captured minus refunded
    (counting refunds still pending).

    Returns:
      ``(refund, body)``.

    Raises:
      NotFound, StateConflict, AmountInvalid.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True)
        if payment.status not in REFUNDABLE or payment.amount_captured <= 0:
            raise StateConflict(f"a {payment.status} payment has nothing captured to refund")
        committed = int(
            Refund.select(peewee.fn.COALESCE(peewee.fn.SUM(Refund.amount), 0))
            .where((Refund.payment_id == payment_id) & (Refund.status != RefundStatus.FAILED))
            .scalar()
        )
        available = payment.amount_captured - committed
        amount = available if amount is None else amount
        if available <= 0:
            raise StateConflict("the payment is already fully refunded", "fully_refunded")
        if amount > available:
            raise AmountInvalid("amount", f"cannot refund more than {available} (captured minus refunded)")
        now = utcnow()
        refund = Refund.create(
            id=new_id("re"),
            payment_id=payment_id,
            merchant_id=merchant_id,
            amount=amount,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        outbox.add(jobs.refund_payment(refund.id))
        body = encode(refund_object(refund))
        work.respond(202, body, f"/payments/{payment_id}/refunds/{refund.id}")
    return refund, body


def refunds_of(merchant_id: str, payment_id: str) -> list[dict]:
    get(merchant_id, payment_id)
    return [
        refund_object(r)
        for r in Refund.select().where(Refund.payment_id == payment_id).order_by(Refund.created_at)
    ]


def refund_of(merchant_id: str, payment_id: str, refund_id: str) -> dict:
    """The refund object ``refund_id`` of the merchant's payment ``payment_id``.

    Raises:
      NotFound: no such refund of that payment for this merchant (another merchant's included).
    """
    refund = Refund.get_or_none(
        (Refund.id == refund_id) & (Refund.payment_id == payment_id) & (Refund.merchant_id == merchant_id)
    )
    if refund is None:
        raise NotFound(refund_id)
    return refund_object(refund)


def settle(
    payment_id: str, status: str, reference: str, reason: str | None, actor: str
) -> tuple[Payment, bytes]:
    """An operator's settlement of a ``requires_review`` payment, of any merchant: ``succeeded``
    (captured: ``amount_captured`` is the capture asked for, else the amount) or ``failed``.
    Writes the event, erases the CVC, and records an ``audit_log`` row and a log line.

    Parameters:
      status: ``succeeded`` or ``failed``.
      reference: The operator's evidence (the gateway's charge id, a ticket); it becomes the
        gateway reference of a succeeded payment that had none, so refunds can name it.
      actor: Who settles: ``api:<token sub>`` or ``cli:<OS user>``.

    Returns:
      ``(payment, body)``.

    Raises:
      NotFound, StateConflict: the payment does not await review.
    """
    with unit.joined() as work:
        payment = get(None, payment_id, lock=True)
        if payment.status != PaymentStatus.REQUIRES_REVIEW:
            raise StateConflict(
                f"only a requires_review payment can be settled (status is {payment.status})", "not_in_review"
            )
        before, payment.status = payment.status, status
        if status == PaymentStatus.SUCCEEDED:
            payment.amount_captured = payment.amount_to_capture or payment.amount
            payment.gateway_reference = payment.gateway_reference or reference
            payment.failure_code = payment.failure_message = None
        else:
            payment.failure_code, payment.failure_message = (
                "settled_by_operator",
                reason or f"settled: {reference}",
            )
        payment.pending_operation = payment.amount_to_capture = None
        AuditLog.create(
            actor=actor,
            action="resolve",
            payment_id=payment_id,
            status_before=before,
            status_after=status,
            reference=reference,
            reason=reason,
            created_at=utcnow(),
        )
        result = _save(work, payment, 200, event=f"payment.{status}")
    log.warning(
        "payment_settled",
        payment_id=payment_id,
        merchant_id=payment.merchant_id,
        actor=actor,
        status_before=before,
        status_after=status,
        reference=reference,
        reason=reason,
    )
    return result
