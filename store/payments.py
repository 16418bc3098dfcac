"""Payments and refunds as the merchant changes them: every read and write of them the API
makes goes through here (only ``store/`` speaks SQL); ``store.attempts`` holds the workers' changes.

State rules: ``store.states``; a state only moves forward; refunds raise
``amount_refunded`` and never change ``status``.  The CVC lives only while a payment
is ``pending`` or ``processing``: every change that moves it on erases it (``record``); ``next_action``
only while it is ``requires_action``.
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Callable, Collection, Iterable, Iterator

import peewee

from shared import jobs
from shared.ids import new_id
from shared.jobs import Job
from shared.logging import get_logger
from shared.radar.attributes import PERSONAL
from store import audit, customers, events, idempotency, merchants, notifications, outbox, radar, unit
from store.db import insert_statement, is_postgres, locked, prepared, streamed
from store.errors import AmountInvalid, NotFound, StateConflict
from store.models import Attempt, Event, Payment, Refund, Review, utcnow
from store.objects import encode, payment_object, refund_object, timestamp
from store.pages import page
from store.states import AUTHORIZING, REFUNDABLE, TERMINAL, PaymentStatus, RefundStatus
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


def _view(payment: Payment, shown: dict | None = None) -> dict:
    """The payment as its audit events show it: its API object (attempts aside: the workers' doing) and the
    operation it waits for.

    Parameters:
      shown: The payment's API object when the caller built it already (left as it is).
    """
    view = payment_object(payment, ()) if shown is None else dict(shown)
    # Personal data stays out of the append-only trail, which could not erase it with the customer.
    del view["attempts"], view["updated_at"], view["customer_details"], view["billing_address"]
    del view["shipping"], view["risk"]
    view.update(pending_operation=payment.pending_operation, amount_to_capture=payment.amount_to_capture)
    return view


def create(
    merchant_id: str, fields: dict, method_columns_for: Callable[[str], dict], *, livemode: bool
) -> tuple[Payment, bytes]:
    """Write a new ``pending`` payment and its first job (the route's first gateway) in one transaction, in
    one round trip (two with an idempotency claim: its response goes with them, then the COMMIT).

    Parameters:
      fields: Validated payment fields (amount, currency, capture, route, ...).
      method_columns_for: ``f(payment_id) -> dict`` of how it is paid: sealed card columns
        (``Vault.seal_card``, ``store.tokens.consume``), or ``method`` and ``method_id`` without a card.
      livemode: The credential's mode: a test payment is charged with the gateways' test credentials.

    Returns:
      ``(payment, body)``: the model and the response body (JSON bytes).
    """
    payment_id = new_id("pay")
    now = utcnow()
    payment = Payment(
        id=payment_id,
        merchant_id=merchant_id,
        livemode=livemode,
        status=PaymentStatus.PENDING,
        created_at=now,
        updated_at=now,
        version=1,
        **fields,
        **method_columns_for(payment_id),
    )
    shown = payment_object(payment, [])
    body = encode(shown)
    merchants.ensure(merchant_id)
    first_gateway = fields["route"].split(",")[0]
    with unit.joined() as work:
        audit.record(merchant_id, "payment.created", payment_id, after=_view(payment, shown))
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


#: A payment's fields that hold its customer's personal data (``risk`` too: its ``signals``' ``PERSONAL``).
PERSONAL_FIELDS = ("customer_details", "billing_address", "shipping")


def _erased(found: dict) -> dict:
    """``found`` (a payment's object, or its columns) without its customer's personal data."""
    erased = {**found, **dict.fromkeys(PERSONAL_FIELDS)}
    risk = found.get("risk")
    if risk:
        erased["risk"] = {**risk, "signals": {k: v for k, v in risk["signals"].items() if k not in PERSONAL}}
    return erased


def delete_customer(merchant_id: str, livemode: bool, customer_id: str) -> bytes:
    """Erase a customer (``customers.delete``) and the personal data its payments hold (``_erase``), in one
    transaction (the open unit of work caches the payments' new objects).  Returns the deleted customer's
    object.

    Raises:
      NotFound: unknown, or deleted already.
    """
    with unit.joined():
        body = customers.delete(merchant_id, livemode, customer_id)
        query = Payment.select().where(
            (Payment.merchant_id == merchant_id)
            & (Payment.livemode == livemode)
            & (Payment.customer == customer_id)
        )
        for payment in locked(query.order_by(Payment.id)):
            _erase(payment)
    return body


def redact(merchant_id: str, payment_id: str, *, livemode: bool) -> bytes:
    """Erase the personal data of a finished payment (``_erase``: one with ``customer_details`` but no
    customer to delete), write ``payment.updated`` and audit it. Returns the payment object.

    Raises:
      NotFound; StateConflict: the payment is not finished (its data may still reach a gateway).
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True, livemode=livemode)
        if payment.status not in TERMINAL:
            raise StateConflict(
                f"only a succeeded, failed or canceled payment can be redacted (status is {payment.status})",
                "payment_not_final",
            )
        body = _erase(payment, "payment.updated")
        audit.record(merchant_id, "payment.redacted", payment_id, after={"erased": list(PERSONAL_FIELDS)})
        work.respond(200, body)
    return body


def _erase(payment: Payment, event: str | None = None) -> bytes:
    """Erase what the locked ``payment`` holds of its customer: ``customer_details``, addresses and the
    personal signals of its ``risk`` (the digests and counts stay), in the payment, in its events (webhook
    payloads), in its idempotency keys' saved responses and in its notifications' recipients; ``record`` it
    (with ``event``).  Returns the payment object."""
    columns = {name: getattr(payment, name) for name in (*PERSONAL_FIELDS, "risk")}
    for name, value in _erased(columns).items():
        setattr(payment, name, value)
    for found in Event.select().where(Event.payment_id == payment.id):
        if any(found.data.get(name) for name in (*PERSONAL_FIELDS, "risk")):
            found.data = _erased(found.data)
            found.save()
    idempotency.rewrite(payment.merchant_id, bool(payment.livemode), payment.id, _erased)
    notifications.erase_payment(payment.id)
    return record(payment, event=event)


def get(merchant_id: str | None, payment_id: str, lock: bool = False, *, livemode: bool | None) -> Payment:
    """One payment of ``merchant_id`` (None: of any merchant, for operators) in mode ``livemode`` (None:
    either, for operators).

    Raises:
      NotFound: no such payment, or one of another merchant or mode.
    """
    query = Payment.select().where(Payment.id == payment_id)
    if merchant_id is not None:
        query = query.where(Payment.merchant_id == merchant_id)
    if livemode is not None:
        query = query.where(Payment.livemode == livemode)
    payment = (locked(query) if lock else query).first()
    if payment is None:
        raise NotFound(payment_id)
    return payment


@dataclasses.dataclass(frozen=True)
class Filters:
    """What a payment search asks for; every field given must hold (empty: no condition).

    ``amount_gte``/``amount_lte`` are in minor units; ``email`` is the customer's, in any case; ``metadata``
    is ``((key, value), ...)``, each pair present in the payment's metadata.
    """

    statuses: tuple[str, ...] = ()
    customer: str | None = None
    email: str | None = None
    created_gte: datetime.datetime | None = None
    created_lte: datetime.datetime | None = None
    amount_gte: int | None = None
    amount_lte: int | None = None
    currency: str | None = None
    gateway: str | None = None
    card_last4: str | None = None
    card_brand: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()


#: ``Filters`` field -> the column it must equal.
_EQUALS = {
    "customer": Payment.customer,
    "currency": Payment.currency,
    "gateway": Payment.gateway,
    "card_last4": Payment.card_last4,
    "card_brand": Payment.card_brand,
}


def _metadata_is(key: str, value: str) -> peewee.Node:
    """``metadata[key] == value``. The column is TEXT holding JSON on both databases: the condition
    parses it per row (no index can serve it; the merchant's other conditions narrow the rows first)."""
    if is_postgres():
        # jsonb refuses an escaped NUL, which older payments' metadata may hold (validation refuses NUL
        # now): such a row never matches instead of failing the whole search (CASE casts only past the test).
        escaped_nul = peewee.fn.strpos(Payment.metadata, peewee.Value("\\u0000", converter=False)) > 0
        found = peewee.Case(
            None,
            [(escaped_nul, None)],
            peewee.fn.jsonb_extract_path_text(peewee.Cast(Payment.metadata, "jsonb"), key),
        )
        # the value goes through as text, not through JSONField's encoder
        return found == peewee.Value(value, converter=False)
    # SQLite's JSON paths cannot name every key (quotes, dots): json_each compares keys as text
    return peewee.SQL(
        "EXISTS (SELECT 1 FROM json_each(metadata) AS m WHERE m.key = ? AND m.value = ?)", (key, value)
    )


def matching(
    merchant_id: str | None, filters: Filters, columns: Iterable = (), *, livemode: bool | None
) -> peewee.ModelSelect[Payment]:
    """The payments of ``merchant_id`` (None: of every merchant) in mode ``livemode`` (None: either) that
    ``filters`` asks for, unordered.

    Parameters:
      columns: The columns to select (default: all).
    """
    query = Payment.select(*columns)
    if merchant_id is not None:
        query = query.where(Payment.merchant_id == merchant_id)
    if livemode is not None:
        query = query.where(Payment.livemode == livemode)
    if filters.statuses:
        query = query.where(Payment.status.in_(filters.statuses))
    for name, column in _EQUALS.items():
        if getattr(filters, name) is not None:
            query = query.where(column == getattr(filters, name))
    if filters.email is not None:
        # The ids first, then the customer index: as a subquery the planner walked the whole history (97 ms
        # against 0.05 ms on 100k payments, bench.history).
        query = query.where(Payment.customer.in_(customers.named_by_email(merchant_id, filters.email)))
    bounds = (
        (Payment.created_at >= filters.created_gte, filters.created_gte),
        (Payment.created_at <= filters.created_lte, filters.created_lte),
        (Payment.amount >= filters.amount_gte, filters.amount_gte),
        (Payment.amount <= filters.amount_lte, filters.amount_lte),
    )
    for condition, bound in bounds:
        if bound is not None:
            query = query.where(condition)
    for key, value in filters.metadata:
        query = query.where(_metadata_is(key, value))
    return query


def list_(
    merchant_id: str | None,
    *,
    livemode: bool | None,
    limit: int,
    starting_after: str | None = None,
    filters: Filters = Filters(),
) -> tuple[list[dict], bool]:
    """Newest first, of ``merchant_id`` (None: every merchant's) in mode ``livemode`` (None: either).
    Returns ``([payment objects], has_more)``.

    Raises:
      NotFound: ``starting_after`` is no payment of the merchant in that mode.
    """
    rows, has_more = page(
        matching(merchant_id, filters, livemode=livemode),
        limit,
        starting_after,
        functools.partial(get, merchant_id, livemode=livemode),
    )
    attempts = attempts_of([p.id for p in rows])
    return [payment_object(p, attempts[p.id]) for p in rows], has_more


#: The columns of the CSV export, in order: no card data beyond brand and last four (empty for a method
#: without a card), no metadata.
EXPORT_COLUMNS = (
    Payment.id,
    Payment.created_at,
    Payment.status,
    Payment.amount,
    Payment.amount_captured,
    Payment.amount_refunded,
    Payment.currency,
    Payment.gateway,
    Payment.method,
    Payment.card_brand,
    Payment.card_last4,
    Payment.customer,
    Payment.description,
)


def export_rows(merchant_id: str, filters: Filters, *, livemode: bool) -> Iterator[tuple]:
    """Every payment of the merchant in mode ``livemode`` that ``filters`` asks for, newest first, as tuples
    of ``EXPORT_COLUMNS`` (``created_at`` as in the API's objects), streamed (``store.db.streamed``)."""
    query = matching(merchant_id, filters, EXPORT_COLUMNS, livemode=livemode).order_by(
        Payment.created_at.desc(), Payment.id.desc()
    )
    for row in streamed(query):
        yield (row[0], timestamp(row[1]), *row[2:])


def customer_returned(payment_id: str) -> str:
    """A customer's browser is back from an action on ``payment_id`` (``shared.returns``): while the payment
    waits for it, queue the job that reads the outcome at its gateway (the ingress never calls one); the
    payment itself moves only by the gateway's answer.  A payment that moved on already queues nothing.

    Returns:
      The merchant's ``return_url``, where the browser goes on to.

    Raises:
      NotFound: no such payment, or one without a customer to send back (no ``return_url``).
    """
    with unit.joined():
        payment = (
            Payment.select(Payment.status, Payment.gateway, Payment.return_url)
            .where(Payment.id == payment_id)
            .first()
        )
        if payment is None or payment.return_url is None:
            raise NotFound(payment_id)
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            outbox.add(jobs.process_payment(payment_id, payment.gateway))
    return payment.return_url


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
    if payment.next_action is not None and payment.status != PaymentStatus.REQUIRES_ACTION:
        payment.next_action = None  # the customer's action is over, whatever ended it
    unit.save(payment)
    outbox.add_all(jobs)
    body = snapshot(payment, attempts)
    if event:
        events.emit(payment, event, body)
    work = unit.current()
    if work is not None:
        work.changed(payment, body)
    return body


def _save(
    work: Unit,
    payment: Payment,
    status_code: int | None,
    change: tuple[str, dict],
    jobs: Iterable[Job] = (),
    event: str | None = None,
    evidence: dict | None = None,
) -> tuple[Payment, bytes]:
    """``record`` the change, audit it, and save it as the unit's response.

    Parameters:
      status_code: The response's; None: the change is part of another, which answers (a review's).
      change: ``(audit action, the payment's _view before the change)``.
      evidence: What the audit event's ``after`` adds to the changed fields (an operator's reference).
    """
    body = record(payment, jobs, event)
    action, before = change
    audit.record_change(payment.merchant_id, action, payment.id, before, _view(payment), evidence)
    if status_code is not None:
        work.respond(status_code, body)
    return payment, body


def update(merchant_id: str, payment_id: str, changes: dict, *, livemode: bool) -> tuple[Payment, bytes]:
    """Change ``description``/``metadata`` (any time before a final failure) and
    ``amount`` (only while no gateway was tried). Queues propagation to the gateway.

    Raises:
      NotFound, StateConflict.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True, livemode=livemode)
        if "amount" in changes and changes["amount"] != payment.amount:
            tried = Attempt.select().where(Attempt.payment_id == payment_id).exists()
            if payment.status != PaymentStatus.PENDING or tried:
                raise StateConflict("amount can only change before any gateway attempt", "amount_locked")
        if payment.status in (PaymentStatus.FAILED, PaymentStatus.CANCELED):
            raise StateConflict(f"a {payment.status} payment cannot be updated")
        before = _view(payment)
        for field, value in changes.items():
            setattr(payment, field, value)
        propagate = [jobs.propagate_update(payment_id)] if payment.gateway_reference else []
        return _save(work, payment, 200, ("payment.updated", before), propagate, event="payment.updated")


def request_capture(
    merchant_id: str, payment_id: str, amount: int | None = None, *, livemode: bool
) -> tuple[Payment, bytes]:
    """Ask the ops pool to capture ``amount`` (default: all) of an authorized payment.

    Raises:
      NotFound, StateConflict, AmountInvalid.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True, livemode=livemode)
        if payment.status != PaymentStatus.REQUIRES_CAPTURE:
            raise StateConflict(
                f"only a requires_capture payment can be captured (status is {payment.status})"
            )
        if payment.pending_operation:
            raise StateConflict(
                f"a {payment.pending_operation} is already in progress", "operation_in_progress"
            )
        in_review = Review.select(Review.id).where((Review.payment_id == payment_id) & Review.open).first()
        if in_review is not None:
            raise StateConflict(
                f"the payment is in fraud review {in_review.id}: approve the review first", "in_review"
            )
        amount = payment.amount if amount is None else amount
        if amount > payment.amount:
            raise AmountInvalid("amount", f"cannot capture more than the authorized {payment.amount}")
        before = _view(payment)
        payment.pending_operation, payment.amount_to_capture = "capture", amount
        return _save(
            work, payment, 202, ("payment.capture_requested", before), [jobs.capture_payment(payment_id)]
        )


def cancel(
    merchant_id: str, payment_id: str, *, livemode: bool, respond: bool = True
) -> tuple[Payment, bytes]:
    """Cancel a payment no gateway has charged: at once while ``pending`` (its CVC
    erased), through the gateway while ``requires_capture`` (void) or ``requires_action`` (the
    worker cancels the gateway's intent first, as for an expiry: a customer who completed the action
    before keeps the payment).

    Parameters:
      respond: Save the payment as the unit's response (False: a rejected review answers).

    Raises:
      NotFound, StateConflict.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True, livemode=livemode)
        before = _view(payment)
        if payment.status == PaymentStatus.PENDING:
            payment.status = PaymentStatus.CANCELED
            code = 202 if respond else None
            return _save(work, payment, code, ("payment.canceled", before), event="payment.canceled")
        if payment.status not in (PaymentStatus.REQUIRES_CAPTURE, PaymentStatus.REQUIRES_ACTION):
            raise StateConflict(f"a {payment.status} payment cannot be canceled")
        if payment.pending_operation:
            raise StateConflict(
                f"a {payment.pending_operation} is already in progress", "operation_in_progress"
            )
        payment.pending_operation = "cancel"
        if payment.status == PaymentStatus.REQUIRES_ACTION:
            assert payment.gateway is not None  # the gateway that waits for the customer
            cancel_job = jobs.process_payment(payment_id, payment.gateway)
        else:
            cancel_job = jobs.cancel_payment(payment_id)
        code = 202 if respond else None
        return _save(work, payment, code, ("payment.cancel_requested", before), [cancel_job])


def create_refund(
    merchant_id: str,
    payment_id: str,
    amount: int | None = None,
    reason: str | None = None,
    *,
    livemode: bool,
    respond: bool = True,
) -> tuple[Refund, bytes]:
    """Refund part or all of what was captured, never more than captured minus refunded
    (counting refunds still pending).

    Parameters:
      respond: Save the refund as the unit's response (False: a rejected review answers).

    Returns:
      ``(refund, body)``.

    Raises:
      NotFound, StateConflict, AmountInvalid.
    """
    with unit.joined() as work:
        payment = get(merchant_id, payment_id, lock=True, livemode=livemode)
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
            livemode=livemode,
            amount=amount,
            currency=payment.currency,
            status=RefundStatus.PENDING,
            reason=reason,
            created_at=now,
            updated_at=now,
        )
        outbox.add(jobs.refund_payment(refund.id))
        if reason == radar.FRAUDULENT:
            radar.label_fraud(payment, radar.REFUNDED_AS_FRAUD)
        obj = refund_object(refund)
        audit.record(merchant_id, "refund.created", refund.id, after=obj)
        body = encode(obj)
        if respond:
            work.respond(202, body, f"/payments/{payment_id}/refunds/{refund.id}")
    return refund, body


def refunds_of(merchant_id: str, payment_id: str, *, livemode: bool) -> list[dict]:
    get(merchant_id, payment_id, livemode=livemode)
    return [
        refund_object(r)
        for r in Refund.select().where(Refund.payment_id == payment_id).order_by(Refund.created_at)
    ]


def refund_of(merchant_id: str, payment_id: str, refund_id: str, *, livemode: bool) -> dict:
    """The refund object ``refund_id`` of the merchant's payment ``payment_id`` in mode ``livemode``.

    Raises:
      NotFound: no such refund of that payment for this merchant and mode (another's included).
    """
    refund = Refund.get_or_none(
        (Refund.id == refund_id)
        & (Refund.payment_id == payment_id)
        & (Refund.merchant_id == merchant_id)
        & (Refund.livemode == livemode)
    )
    if refund is None:
        raise NotFound(refund_id)
    return refund_object(refund)


def settle(payment_id: str, status: str, reference: str, reason: str | None) -> tuple[Payment, bytes]:
    """An operator's settlement of a ``requires_review`` payment, of any merchant: ``succeeded``
    (captured: ``amount_captured`` is the capture asked for, else the amount) or ``failed``.
    Writes the event, erases the CVC, and records a ``payment.settled`` audit event (by the operator
    acting: ``store.audit.acting``) and a log line.

    Parameters:
      status: ``succeeded`` or ``failed``.
      reference: The operator's evidence (the gateway's charge id, a ticket); it becomes the
        gateway reference of a succeeded payment that had none, so refunds can name it.

    Returns:
      ``(payment, body)``.

    Raises:
      NotFound, StateConflict: the payment does not await review.
    """
    with unit.joined() as work:
        payment = get(None, payment_id, lock=True, livemode=None)
        if payment.status != PaymentStatus.REQUIRES_REVIEW:
            raise StateConflict(
                f"only a requires_review payment can be settled (status is {payment.status})", "not_in_review"
            )
        before = _view(payment)
        payment.status = status
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
        evidence = {"reference": reference, "reason": reason}
        result = _save(
            work, payment, 200, ("payment.settled", before), event=f"payment.{status}", evidence=evidence
        )
    log.warning(
        "payment_settled",
        merchant_id=payment.merchant_id,
        payment_id=payment_id,
        actor=audit.actor().id,
        status_before=before["status"],
        status_after=status,
        **evidence,
    )
    return result
