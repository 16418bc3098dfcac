"""PayPal's events in: only PayPal can verify one (verify-webhook-signature), so the door checks their
form and the ops pool asks PayPal later."""

import dataclasses
import datetime
import re
from typing import TYPE_CHECKING, cast

from gateways.base import Delivery, Fact, Gateway, Webhooks
from gateways.errors import InvalidWebhook, StaleWebhook
from shared.config import Config
from shared.money import from_money

if TYPE_CHECKING:  # the client imports this module
    from gateways.paypal.client import PayPalGateway

#: Webhook headers → fields of ``POST /v1/notifications/verify-webhook-signature``.
WEBHOOK_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}
#: The transmission headers and what a well-formed value looks like.
_WELL_FORMED = {
    **dict.fromkeys(WEBHOOK_HEADERS.values(), re.compile(r"[\x20-\x7e]{1,4096}")),
    "paypal-transmission-id": re.compile(r"[A-Za-z0-9._:-]{1,128}"),
}

#: PayPal event type -> ``Fact.kind``.
EVENT_KINDS = {
    "PAYMENT.CAPTURE.COMPLETED": "captured",
    "PAYMENT.CAPTURE.DENIED": "failed",
    "PAYMENT.CAPTURE.DECLINED": "failed",
    "PAYMENT.CAPTURE.REFUNDED": "refund",
    "CUSTOMER.DISPUTE.CREATED": "disputed",
    "CHECKOUT.ORDER.APPROVED": "action_completed",
}
#: Refund status -> ``Fact.refunded`` (absent: still pending).
REFUNDED = {"COMPLETED": True, "FAILED": False, "CANCELLED": False}


class PayPalWebhooks(Webhooks):
    """``POST /webhooks/paypal``: the transmission headers well-formed and sent within the tolerance at
    the door; PayPal's verdict for ``PAYWAVE_PAYPAL_WEBHOOK_ID`` later."""

    title = "PayPal"
    verified_at_door = False
    id_field = "id"
    type_field = "event_type"
    #: Only we write ``custom_id`` (orders and refunds), which refund and dispute events carry instead of the
    #: order id.
    placed_by_id = True

    def admit(self, config: Config, headers: dict, raw_body: bytes, body: dict) -> Delivery:
        # PayPal would answer FAILURE: refuse now, so that PayPal sends it again later.
        if not config.paypal_webhook_id:
            raise InvalidWebhook("PAYWAVE_PAYPAL_WEBHOOK_ID is not set: events cannot be verified")
        kept = {name: headers.get(name) for name in _WELL_FORMED}
        malformed = [
            name for name, pattern in _WELL_FORMED.items() if not pattern.fullmatch(kept[name] or "")
        ]
        sent = None if malformed else _time(kept["paypal-transmission-time"])
        if sent is None:
            raise InvalidWebhook(
                f"missing or malformed {', '.join(malformed or ['paypal-transmission-time'])}"
            )
        off = abs((datetime.datetime.now(datetime.UTC) - sent).total_seconds())
        if off > self.tolerance_seconds:
            raise StaleWebhook(
                f"the transmission time is {int(off)} s off; at most {self.tolerance_seconds} s is accepted"
            )
        return Delivery(body, headers=kept, transmission_id=kept["paypal-transmission-id"])

    def verify(self, config: Config, gateway: Gateway, headers: dict, raw_body: bytes) -> bool:
        # The registry hands each gateway's events to its own adapter.
        return cast("PayPalGateway", gateway).verify_webhook(headers, raw_body, config.paypal_webhook_id)

    def read(self, event: dict) -> Fact:
        kind = EVENT_KINDS.get(event["event_type"])
        if kind is None:
            return Fact(None)
        resource = event["resource"]
        if kind == "disputed":
            return Fact(kind, payment_id=resource["disputed_transactions"][0].get("custom"))
        if kind == "action_completed":  # the resource is the order its buyer approved
            return Fact(
                kind, payment_id=resource["purchase_units"][0].get("custom_id"), reference=resource["id"]
            )
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        fact = Fact(kind, payment_id=resource.get("custom_id"), reference=related.get("order_id"))
        if kind == "captured":
            return dataclasses.replace(fact, amount=from_money(resource["amount"]))
        if kind == "refund":
            return dataclasses.replace(
                fact,
                amount=from_money(resource["amount"]),
                refund_id=resource["id"],
                refunded=REFUNDED.get(resource["status"]),
            )
        return fact


def _time(value: str | None) -> datetime.datetime | None:
    """An ISO 8601 time with its offset (PayPal's ``2026-01-02T03:04:05Z``), else None."""
    try:
        sent = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return sent if sent.tzinfo else None
