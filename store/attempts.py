"""Attempts and the workers' forward-only state changes of a payment.

Every change is made under a row lock on the payment, in one transaction with
its attempt row, its event and the jobs it causes (outbox).  A change that
would move a payment backwards (``store.states.FORWARD``: a late or duplicate job) is refused and
reported, never applied.
"""

import datetime
import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import orjson
import peewee

from shared import tracing
from shared.ids import new_id
from shared.jobs import Job
from store import deliveries, notifications, radar, unit
from store.db import database, fetch_model, is_postgres, locked, prepared
from store.models import Attempt, Event, Payment, Refund, utcnow
from store.payments import attempts_of_one, record
from store.states import FORWARD, UNRESOLVED, WORKER_DRIVEN, AttemptStatus, PaymentStatus, RefundStatus

PAYMENT_OPERATIONS = ("authorize", "charge")
#: Actors that drive a payment's own status (refunds, updates and deliveries do not).
DRIVERS = ("process_payment", "route_payment", "capture_payment", "cancel_payment")
#: Dead letters of one payment's jobs after which it awaits a person (see ``report_dead_letter``).
DEAD_LETTERS_BEFORE_REVIEW = 3


class Backwards(Exception):
    """The change would move the payment back; it was not applied."""


def lock(payment_id: str) -> Payment:
    return prepared(
        "lock_payment", lambda: locked(Payment.select().where(Payment.id == "")), payment_id
    ).get()


#: The locked payment and its attempts in one round trip (the attempts as one JSON array of their rows),
#: with what its change may read next, ahead: the merchant's enabled webhook endpoints of the payment's mode
#: and its settings (an event's deliveries and notification), the card's learned facts (the fraud decision).
_LOCK_WITH_ATTEMPTS = (
    "SELECT p.*, (SELECT coalesce(json_agg(a ORDER BY a.number), '[]') FROM attempt a"
    " WHERE a.payment_id = p.id) AS attempts_json,"
    " (SELECT coalesce(json_agg(json_build_array(e.id, e.enabled_events)), '[]') FROM webhook_endpoint e"
    " WHERE e.merchant_id = p.merchant_id AND e.livemode = p.livemode AND e.status = 'enabled')"
    " AS endpoints_json,"
    " (SELECT m.settings FROM merchant m WHERE m.id = p.merchant_id) AS merchant_settings,"
    " (SELECT json_build_array(c.country, c.funding) FROM card_facts c WHERE c.merchant_id = p.merchant_id"
    " AND c.livemode = p.livemode AND c.card_fingerprint = p.card_fingerprint) AS card_facts_json"
    " FROM payment p WHERE p.id = %s FOR UPDATE OF p"
)


def lock_with_attempts(payment_id: str) -> tuple[Payment, list[Attempt]]:
    """The payment, locked, and its attempts in order: one round trip on Postgres (``store.payments.
    attempts_of_one`` and ``lock`` elsewhere). The open unit of work keeps what the query read ahead
    (``store.unit.read``): the event and the fraud decision that may follow read nothing more.

    Raises:
      Payment.DoesNotExist: no such payment.
    """
    if not is_postgres():
        return lock(payment_id), attempts_of_one(payment_id)
    payment, row = fetch_model(Payment, _LOCK_WITH_ATTEMPTS, (payment_id,))
    endpoints, settings, facts = row["endpoints_json"], row["merchant_settings"], row["card_facts_json"]
    work = unit.current()
    if work is not None:
        work.read_ahead(
            deliveries.endpoints_key(payment.merchant_id, payment.livemode),
            [(endpoint_id, orjson.loads(events)) for endpoint_id, events in endpoints],
        )
        work.read_ahead(notifications.settings_key(payment.merchant_id), orjson.loads(settings or "{}"))
        if payment.card_fingerprint:
            work.read_ahead(radar.card_facts_key(payment), tuple(facts) if facts else None)
    return payment, [_attempt(attempt) for attempt in cast(list, row["attempts_json"])]


@functools.cache
def _attempt_columns() -> list[tuple[str, str, bool, Callable[[object], object]]]:
    """``(field name, column, is a timestamp, converter)`` of each field of ``Attempt``."""
    return [
        (f.name, f.column_name, isinstance(f, peewee.DateTimeField), f.python_value)
        for f in Attempt._meta.sorted_fields
    ]


def _attempt(row: dict) -> Attempt:
    """An ``Attempt`` read from its row as JSON (timestamps as ISO 8601 text, ``request`` as JSON text)."""
    values = {}
    for name, column, timestamp, convert in _attempt_columns():
        value = row.get(column)
        if timestamp and isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        elif value is not None:
            value = convert(value)
        values[name] = value
    attempt = Attempt(__no_default__=1)
    attempt.__data__ = values
    return attempt


def idempotency_key(payment_id: str, number: int) -> str:
    """Derived, never random: a redelivered job finds and reuses it."""
    return f"paywave_{payment_id}_{number}"


def start_attempt(
    payment: Payment,
    gateway: str,
    operation: str,
    amount: int | None = None,
    key: str | None = None,
    attempts: Sequence[Attempt] | None = None,
    request: dict | None = None,
    tries: int = 0,
) -> Attempt:
    """A new attempt row (``started``), numbered after the payment's last one. In a transaction (the open
    unit's: ``store.unit.insert``).

    Parameters:
      key: The idempotency key, when it derives from something else than the attempt
        number (a refund's key derives from the refund's id).
      attempts: The payment's attempts in order, when the caller has just read them.
      request: What the call sends that the payment may change later, kept so that every
        try sends the same (``{"description", "metadata"}`` of a charge).
      tries: 1 when the first call's try is counted here (``count_try``'s: the transaction commits before
        the call).
    """
    if attempts is not None:
        last = attempts[-1].number if attempts else 0
    else:
        last = (
            Attempt.select(Attempt.number)
            .where(Attempt.payment_id == payment.id)
            .order_by(Attempt.number.desc())
            .limit(1)
            .scalar()
        ) or 0
    now = utcnow()
    attempt = Attempt(
        id=new_id("att"),
        payment_id=payment.id,
        number=last + 1,
        gateway=gateway,
        operation=operation,
        idempotency_key=key or idempotency_key(payment.id, last + 1),
        status=AttemptStatus.STARTED,
        amount=amount,
        request=request,
        trace_id=tracing.current_trace_id(),  # the actor's: an operator opens the trace from the attempt
        tries=tries,
        created_at=now,
        updated_at=now,
    )
    unit.insert(attempt)
    return attempt


def is_open(attempt: Attempt, retry_max: int) -> bool:
    """Whether ``attempt`` is still to be run again with its key (not finished, tries left)."""
    return attempt.status in UNRESOLVED or (
        attempt.status == AttemptStatus.ERROR and attempt.tries < retry_max
    )


def open_attempt(
    payment: Payment, operation: str, retry_max: int, amount: int | None = None, key: str | None = None
) -> Attempt:
    """The unfinished attempt of ``operation`` to run again (same key), else a new one."""
    query = Attempt.select().where((Attempt.payment_id == payment.id) & (Attempt.operation == operation))
    if key:
        query = query.where(Attempt.idempotency_key == key)
    last = query.order_by(Attempt.number.desc()).first()
    if last and is_open(last, retry_max):
        return last
    if last and key:
        return last  # a refund's one key: its attempt is never replaced
    # Operations run on payments a gateway holds: payment.gateway is set.
    return start_attempt(payment, payment.gateway, operation, amount, key)  # type: ignore[arg-type]


def current_attempt(payment_id: str, operations: Sequence[str] = PAYMENT_OPERATIONS) -> Attempt | None:
    return (
        Attempt.select()
        .where((Attempt.payment_id == payment_id) & Attempt.operation.in_(operations))
        .order_by(Attempt.number.desc())
        .first()
    )


def unresolved(payment_id: str) -> bool:
    """True while an attempt may have moved money without us knowing (started or unknown)."""
    return (
        Attempt.select().where((Attempt.payment_id == payment_id) & Attempt.status.in_(UNRESOLVED)).exists()
    )


def count_try(attempt: Attempt) -> Attempt:
    """Record that a call with this attempt's key is about to be made.  Call outside a
    transaction: the single statement commits at once, before the call.

    Raises:
      RuntimeError: inside a transaction, where the count could be lost with a crash during the call.
    """
    if database.in_transaction():
        raise RuntimeError("count a try outside any transaction: it must be committed before the call")
    Attempt.update(tries=Attempt.tries + 1, updated_at=utcnow()).where(Attempt.id == attempt.id).execute()
    attempt.tries += 1
    return attempt


def save(
    payment: Payment,
    *,
    status: str | None = None,
    attempt: Attempt | None = None,
    event: str | None = None,
    jobs: Iterable[Job] = (),
    attempts: Iterable[Attempt] | None = None,
    **changes: object,
) -> bytes:
    """Apply ``changes`` (and ``status``) to the locked ``payment``, save ``attempt``,
    record ``event`` and queue ``jobs``. Call inside a transaction.

    Parameters:
      attempts: The payment's attempts, when the caller has just read them (saves a query); ``attempt``
        stands in for its stored row there.

    Returns:
      The payment object as JSON bytes (for the cache).

    Raises:
      Backwards: when ``status`` may not follow the current one.
    """
    if status is not None and status != payment.status:
        if status not in FORWARD[payment.status]:
            raise Backwards(f"{payment.id}: {payment.status} -> {status} refused")
        payment.status = status
    now = utcnow()
    if attempt is not None:
        attempt.updated_at = now
        unit.save(attempt)
        if attempts is not None:
            attempts = [attempt if a.id == attempt.id else a for a in attempts]
    for field, value in changes.items():
        setattr(payment, field, value)
    return record(payment, jobs, event, now, attempts)


# ``changes``: payment columns, each value of its field's own type (``object`` would admit ``save``'s
# keywords too).
def review(payment: Payment, reason: str, **changes: Any) -> bytes:
    """Move the locked ``payment`` to ``requires_review`` (the sweeper leaves it there) with
    ``payment.requires_review``; only ``payments.settle`` moves it on. Call inside a transaction.

    Returns:
      The payment object as JSON bytes (for the cache).
    """
    return save(
        payment,
        status=PaymentStatus.REQUIRES_REVIEW,
        event="payment.requires_review",
        review_reason=reason,
        **changes,
    )


def lock_refund(refund_id: str) -> Refund:
    return locked(Refund.select().where(Refund.id == refund_id)).get()


def stuck(older_than_seconds: float, limit: int = 500) -> tuple[list[Payment], list[Refund]]:
    """Work the sweeper must drive again: ``(payments, refunds)`` untouched for too long.

    Payments: ``pending``/``processing``, ``requires_action`` (its outcome read again at the gateway, at
    this cadence, and past ``action_expires_at`` expired), or ``requires_capture`` with an operation
    pending; never ``requires_review`` (it waits for a person).  Refunds: ``pending``.
    """
    cutoff = utcnow() - datetime.timedelta(seconds=older_than_seconds)
    payments = list(
        Payment.select()
        .where(
            (Payment.updated_at < cutoff)
            & (
                Payment.status.in_(WORKER_DRIVEN)
                | (
                    (Payment.status == PaymentStatus.REQUIRES_CAPTURE)
                    & Payment.pending_operation.is_null(False)
                )
            )
        )
        .order_by(Payment.updated_at)
        .limit(limit)
    )
    refunds = list(
        Refund.select()
        .where((Refund.status == RefundStatus.PENDING) & (Refund.updated_at < cutoff))
        .order_by(Refund.updated_at)
        .limit(limit)
    )
    return payments, refunds


#: Where a payment must not stay long: ``processing`` (the machine's) and ``requires_review`` (a person's).
AWAITED = (PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_REVIEW)


def count_aged(older_than_seconds: float) -> dict[str, int]:
    """How many payments sit in each ``AWAITED`` status, created more than ``older_than_seconds`` ago.

    Creation time, not ``updated_at``: the sweeper touches what it drives again, which must not hide it.
    """
    cutoff = utcnow() - datetime.timedelta(seconds=older_than_seconds)
    return {
        status: Payment.select().where((Payment.status == status) & (Payment.created_at < cutoff)).count()
        for status in AWAITED
    }


def touch(model: type[Payment] | type[Refund], ids: Iterable[str]) -> None:
    """Mark rows as just handled, so several sweepers don't redo the same work at once."""
    if ids:
        model.update(updated_at=utcnow()).where(model.id.in_(list(ids))).execute()


def report_dead_letter(actor: str, args: Sequence[object]) -> tuple[Payment, bytes] | None:
    """Record ``payment.dead_lettered`` on the payment a dead-lettered job was about.

    A job dead-letters after Dramatiq's retries (``workers.actors.OPTIONS``: 100, backing off
    to a minute, about an hour and a half) all failed.  Once may be the infrastructure (RabbitMQ,
    Postgres or a worker down that long): the payment keeps its status and the sweeper drives it
    again.  When the jobs driving one payment (``DRIVERS``) have dead-lettered
    ``DEAD_LETTERS_BEFORE_REVIEW`` times, each after a full round of retries and a sweep, the
    payment itself is what fails (a card that no longer decrypts, data no code path accepts):
    it moves to ``requires_review`` (reason ``dead_lettered``) and waits for a person. The rule
    counts dead letters, not exception types: the same exception (a missing key, a bug) may come
    from one misconfigured worker or a release that the next one fixes.

    Returns:
      ``(payment, body)`` when a payment was found and marked, else None; the open unit of work caches
      ``body``.
    """
    ref = args[0] if args else None
    if actor == "refund_payment":
        refund = Refund.get_or_none(Refund.id == ref)
        ref = refund.payment_id if refund else None
    with unit.joined():
        payment = locked(Payment.select().where(Payment.id == ref)).first() if ref else None
        if payment is None:
            return None
        body = record(payment, event="payment.dead_lettered")
        driven = payment.status in WORKER_DRIVEN or (
            payment.status == PaymentStatus.REQUIRES_CAPTURE and payment.pending_operation
        )
        if (
            actor in DRIVERS
            and driven
            and Event.select()
            .where((Event.payment_id == payment.id) & (Event.type == "payment.dead_lettered"))
            .count()
            >= DEAD_LETTERS_BEFORE_REVIEW
        ):
            body = review(payment, "dead_lettered")
    return payment, body
