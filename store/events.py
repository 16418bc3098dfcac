"""Payment events (``payment.succeeded``, ``payment.failed``, ...), written in the
same transaction as the change they describe, with their webhook deliveries."""
import orjson
import peewee

from shared.ids import new_id
from store import idempotency, payments, webhooks
from store.db import database
from store.models import Event

TYPES = ("payment.requires_capture", "payment.succeeded", "payment.failed",
         "payment.canceled", "payment.refunded", "payment.refund_failed", "payment.updated",
         "payment.disputed", "payment.dead_lettered", "payment.requires_review")


def emit(payment, type_: str, body: bytes) -> Event:
    """Record event ``type_`` for ``payment`` with ``body`` (its object now, JSON bytes),
    and a webhook delivery for each endpoint subscribed to it. Call in the change's transaction."""
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    event = Event.create(id=new_id("evt"), merchant_id=payment.merchant_id, type=type_,
                         payment_id=payment.id, data=orjson.loads(body), created_at=payment.updated_at)
    webhooks.fan_out(event)
    return event


def event_object(e: Event) -> dict:
    """The API's event object; its JSON is also the webhook body."""
    return {"id": e.id, "object": "event", "type": e.type, "created_at": payments.timestamp(e.created_at), "data": e.data}


def get(merchant_id, event_id) -> Event:
    """Raises:
      payments.NotFound: no such event for this merchant.
    """
    event = Event.select().where((Event.id == event_id) & (Event.merchant_id == merchant_id)).first()
    if event is None:
        raise payments.NotFound(event_id)
    return event


def list_(merchant_id, *, limit, starting_after=None, type_=None):
    """Newest first. Returns ``([event objects], has_more)``."""
    query = Event.select().where(Event.merchant_id == merchant_id)
    if type_:
        query = query.where(Event.type == type_)
    if starting_after:
        cursor = get(merchant_id, starting_after)
        query = query.where(peewee.Tuple(Event.created_at, Event.id) < peewee.Tuple(cursor.created_at, cursor.id))
    rows = list(query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit + 1))
    return [event_object(e) for e in rows[:limit]], len(rows) > limit


def redeliver(merchant_id, event_id, claim=None) -> bytes:
    """New deliveries of the event to every endpoint subscribed to it now.

    Returns:
      The list of the new deliveries (JSON bytes).

    Raises:
      payments.NotFound.
    """
    with database.atomic():
        event = get(merchant_id, event_id)
        data = [webhooks.delivery_object(d, []) for d in webhooks.fan_out(event)]
        body = payments.encode({"object": "list", "data": data, "has_more": False, "url": f"/events/{event_id}/deliveries"})
        if claim:
            idempotency.complete(claim, 202, body)
    return body
