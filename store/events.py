"""Payment events (``payment.succeeded``, ``payment.failed``, ...), written in the
same transaction as the change they describe."""
import orjson

from shared.ids import new_id
from store.models import Event

TYPES = ("payment.processing", "payment.requires_capture", "payment.succeeded", "payment.failed",
         "payment.canceled", "payment.refunded", "payment.refund_failed", "payment.updated",
         "payment.disputed", "payment.dead_lettered")


def emit(payment, type_: str, body: bytes) -> Event:
    """Record event ``type_`` for ``payment`` with ``body`` (its object now, JSON bytes)."""
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    return Event.create(id=new_id("evt"), merchant_id=payment.merchant_id, type=type_,
                        payment_id=payment.id, data=orjson.loads(body), created_at=payment.updated_at)
