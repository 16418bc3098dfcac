"""Events (``payment.succeeded``, ``customer.deleted``, ...), written in the same transaction as the change
they describe, with their webhook deliveries."""

import datetime
import functools

import orjson

from shared.ids import new_id
from store import audit, deliveries, notifications, unit
from store.errors import NotFound, StateConflict
from store.models import Event, Payment, utcnow
from store.objects import delivery_object, encode, endpoint_object, event_object
from store.pages import page

TYPES = (
    "payment.requires_action",  # the customer must act (3-D Secure, PayPal approval): ``next_action``
    "payment.requires_capture",
    "payment.succeeded",
    "payment.failed",
    "payment.canceled",
    "payment.refunded",
    "payment.refund_failed",
    "payment.updated",
    "payment.disputed",
    "payment.dead_lettered",
    "payment.requires_review",
    "customer.deleted",
    "review.opened",  # a fraud rule's review (store.reviews)
    "review.closed",
)
#: What ``send_test`` sends: to the one endpoint asked, never fanned out (no endpoint subscribes to it).
TEST = "webhook_endpoint.test"


def emit(payment: Payment, type_: str, body: bytes) -> Event:
    """Record event ``type_`` for ``payment`` with ``body`` (its object now, JSON bytes). Call in the change's
    transaction."""
    return record(
        payment.merchant_id, payment.livemode, type_, orjson.loads(body), payment.updated_at, payment.id
    )


def record(
    merchant_id: str,
    livemode: bool,
    type_: str,
    data: dict,
    created_at: datetime.datetime,
    payment_id: str | None = None,
) -> Event:
    """Record event ``type_`` with ``data`` (the object it is about, as the API shows it), a webhook
    delivery for each endpoint of its mode subscribed to it, and the payer's notification when its merchant
    enabled it (``store.notifications.queue``). Call in the change's transaction.

    Raises:
      ValueError: ``type_`` is not in ``TYPES``.
    """
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    event = Event(
        id=new_id("evt"),
        merchant_id=merchant_id,
        livemode=livemode,
        type=type_,
        payment_id=payment_id,
        data=data,
        created_at=created_at,
    )
    unit.insert(event)  # with the COMMIT of a batched unit of work
    deliveries.fan_out(event)
    notifications.queue(event)
    return event


def get(merchant_id: str, event_id: str, *, livemode: bool) -> Event:
    """Raises:
    NotFound: no such event for this merchant and mode.
    """
    event = (
        Event.select()
        .where((Event.id == event_id) & (Event.merchant_id == merchant_id) & (Event.livemode == livemode))
        .first()
    )
    if event is None:
        raise NotFound(event_id)
    return event


def list_(
    merchant_id: str,
    *,
    livemode: bool,
    limit: int,
    starting_after: str | None = None,
    type_: str | None = None,
) -> tuple[list[dict], bool]:
    """The merchant's events of mode ``livemode``, newest first. Returns ``([event objects], has_more)``."""
    query = Event.select().where((Event.merchant_id == merchant_id) & (Event.livemode == livemode))
    if type_:
        query = query.where(Event.type == type_)
    rows, has_more = page(
        query, limit, starting_after, functools.partial(get, merchant_id, livemode=livemode)
    )
    return [event_object(e) for e in rows], has_more


def of_payment(merchant_id: str, payment_id: str, *, livemode: bool) -> list[dict]:
    """The events of one payment of the merchant in mode ``livemode``, oldest first (a payment's timeline)."""
    query = Event.select().where(
        (Event.merchant_id == merchant_id) & (Event.livemode == livemode) & (Event.payment_id == payment_id)
    )
    return [event_object(e) for e in query.order_by(Event.created_at, Event.id)]


def redeliver(merchant_id: str, event_id: str, *, livemode: bool) -> bytes:
    """New deliveries of the event to every endpoint subscribed to it now.

    Returns:
      The list of the new deliveries (JSON bytes).

    Raises:
      NotFound.
    """
    with unit.joined() as work:
        event = get(merchant_id, event_id, livemode=livemode)
        if event.type == TEST:  # again to its endpoint only, if it is still there and enabled
            try:
                tested = deliveries.get_endpoint(merchant_id, event.data["id"], livemode=livemode)
            except NotFound:
                tested = None
            sent = [deliveries.deliver(event, tested.id)] if tested and tested.status == "enabled" else []
        else:
            sent = deliveries.fan_out(event)
        data = [delivery_object(d, []) for d in sent]
        new = [delivery["id"] for delivery in data]
        audit.record(merchant_id, "event.redelivered", event_id, after={"deliveries": new})
        body = encode(
            {"object": "list", "data": data, "has_more": False, "url": f"/events/{event_id}/deliveries"}
        )
        work.respond(202, body)
    return body


def send_test(merchant_id: str, endpoint_id: str, *, livemode: bool) -> bytes:
    """A ``webhook_endpoint.test`` event (its data: the endpoint) delivered to this endpoint only, signed and
    retried as any other, so a merchant sees their receiver's answer before a real payment's event.

    Returns:
      The event (JSON bytes); its deliveries are at ``/events/{id}/deliveries``.

    Raises:
      NotFound: no such endpoint for this merchant and mode.
      StateConflict: the endpoint is disabled.
    """
    with unit.joined() as work:
        endpoint = deliveries.get_endpoint(merchant_id, endpoint_id, lock=True, livemode=livemode)
        if endpoint.status != "enabled":
            raise StateConflict("the endpoint is disabled: enable it to send it events", "endpoint_disabled")
        event = Event.create(
            id=new_id("evt"),
            merchant_id=merchant_id,
            livemode=livemode,
            type=TEST,
            data=endpoint_object(endpoint),
            created_at=utcnow(),
        )
        deliveries.deliver(event, endpoint.id)
        audit.record(merchant_id, "webhook_endpoint.tested", endpoint.id, after={"event": event.id})
        body = encode(event_object(event))
        work.respond(202, body)
        return body
