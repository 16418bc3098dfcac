"""Stripe's events in: signed with the endpoint's secret (``Stripe-Signature``), so verified at the door."""

import dataclasses

import stripe

from gateways.base import Delivery, Fact, Webhooks
from gateways.errors import InvalidSignature
from shared.config import Config

#: Stripe event type -> ``Fact.kind``.  ``charge.refunded`` is not one: its charge no longer lists its
#: refunds (API 2022-11-15 on), so it cannot say which refund it counts; ``refund.*`` events can.
EVENT_KINDS = {
    "payment_intent.succeeded": "captured",
    "payment_intent.amount_capturable_updated": "authorized",
    "payment_intent.payment_failed": "failed",
    "refund.created": "refund",
    "refund.updated": "refund",
    "refund.failed": "refund",
    "charge.dispute.created": "disputed",
}
#: Refund status -> ``Fact.refunded`` (absent: still pending).
REFUNDED = {"succeeded": True, "failed": False, "canceled": False}


class StripeWebhooks(Webhooks):
    """``POST /webhooks/stripe``: the SDK's own check of ``Stripe-Signature`` (a local HMAC) against
    ``PAYWAVE_STRIPE_WEBHOOK_SECRET``."""

    title = "Stripe"
    verified_at_door = True
    id_field = "id"
    type_field = "type"

    def admit(self, config: Config, headers: dict, raw_body: bytes, body: dict) -> Delivery:
        try:  # without a secret (PAYWAVE_STRIPE_WEBHOOK_SECRET unset) nothing verifies: refused too
            event = stripe.Webhook.construct_event(
                raw_body,
                headers.get("stripe-signature"),
                config.stripe_webhook_secret,
                tolerance=self.tolerance_seconds,
            )
        except stripe.SignatureVerificationError as exc:  # unsigned, mis-signed or stale
            raise InvalidSignature(str(exc)) from None
        return Delivery(event.to_dict())

    def read(self, event: dict) -> Fact:
        kind = EVENT_KINDS.get(event["type"])
        if kind is None:
            return Fact(None)
        obj = event["data"]["object"]
        fact = Fact(
            kind,
            payment_id=(obj.get("metadata") or {}).get("payment_id"),
            reference=obj["id"] if obj["object"] == "payment_intent" else obj.get("payment_intent"),
        )
        if kind == "captured":
            return dataclasses.replace(fact, amount=obj["amount_received"])
        if kind == "refund":
            return dataclasses.replace(
                fact, amount=obj["amount"], refund_id=obj["id"], refunded=REFUNDED.get(obj["status"])
            )
        return fact
