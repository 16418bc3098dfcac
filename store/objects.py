"""The API's objects, built from rows: what responses, the cache, events and webhook bodies hold.

Pure functions of the rows given (no query), so every store module may use them.
"""

import datetime
from collections.abc import Iterable

import orjson

from shared.radar.decide import Builtin
from store.models import (
    Attempt,
    AuditEvent,
    Customer,
    Event,
    Merchant,
    Payment,
    RadarBuiltinRule,
    RadarRule,
    RadarValueList,
    RadarValueListItem,
    Refund,
    Review,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from store.states import DeliveryStatus, PaymentMethod


def timestamp(value: datetime.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def encode(obj: object) -> bytes:
    return orjson.dumps(obj)


def attempt_object(a: Attempt) -> dict:
    return {
        "id": a.id,
        "gateway": a.gateway,
        "operation": a.operation,
        "status": a.status,
        "amount": a.amount,
        "error_class": a.error_class,
        "error_code": a.error_code,
        "latency_ms": a.latency_ms,
        "trace_id": a.trace_id,
        "created_at": timestamp(a.created_at),
    }


def card_object(p: Payment) -> dict | None:
    """The payment's card as the API shows it (brand, last four, expiry); None for a method without one."""
    if p.card_last4 is None:
        return None
    return {
        "brand": p.card_brand,
        "last4": p.card_last4,
        "exp_month": p.card_exp_month,
        "exp_year": p.card_exp_year,
    }


def payment_method_object(p: Payment) -> dict:
    """``payment_method`` as the payment was created with it: ``card`` or ``token`` (the ``tok_…``) with
    the card, ``paypal``, or ``stripe_payment_method`` with the PaymentMethod's id."""
    if p.method == PaymentMethod.STRIPE_PAYMENT_METHOD:
        return {"type": p.method, "id": p.method_id}
    if p.method == PaymentMethod.PAYPAL:
        return {"type": p.method}
    if p.card_token:
        return {"type": "token", "token": p.card_token, "card": card_object(p)}
    return {"type": PaymentMethod.CARD, "card": card_object(p)}


def payment_object(p: Payment, attempts: Iterable[Attempt]) -> dict:
    """The API's payment object (also what the cache and events hold)."""
    return {
        "id": p.id,
        "object": "payment",
        "livemode": bool(p.livemode),
        "status": p.status,
        "amount": p.amount,
        "amount_captured": p.amount_captured,
        "amount_refunded": p.amount_refunded,
        "currency": p.currency,
        "capture": p.capture,
        "gateway": p.gateway,
        "attempts": [attempt_object(a) for a in attempts],
        "failure_code": p.failure_code,
        "failure_message": p.failure_message,
        "method": p.method,
        "payment_method": payment_method_object(p),
        "card": card_object(p),  # also in payment_method: kept where clients read it before
        "description": p.description,
        "metadata": p.metadata or {},
        "customer": p.customer,
        "disputed": bool(p.disputed),
        "review_reason": p.review_reason,
        "return_url": p.return_url,
        "next_action": p.next_action,
        "customer_details": p.customer_details,
        "billing_address": p.billing_address,
        "shipping": p.shipping,
        "risk": p.risk,
        "created_at": timestamp(p.created_at),
        "updated_at": timestamp(p.updated_at),
    }


def merchant_object(m: Merchant) -> dict:
    """The API's merchant object: its settings as ``GET``/``PATCH /merchant`` show them."""
    return {
        "id": m.id,
        "object": "merchant",
        # Empty only in a row an ingress of the version before 0011 created during the rollout.
        "display_name": m.display_name or m.id,
        "default_currency": m.default_currency,
        "accepted_currencies": m.accepted_currencies,
        "route": m.route,
        "statement_descriptor": m.statement_descriptor,
        "settings": m.settings,
        "raw_card_data": bool(
            m.raw_card_data
        ),  # read-only: an operator's switch (paywave admin set-raw-cards)
        "deleted": m.deleted_at is not None,
        "created_at": timestamp(m.created_at),
    }


def customer_object(c: Customer) -> dict:
    """The API's customer object; a deleted one keeps its id and dates, its personal data erased."""
    return {
        "id": c.id,
        "object": "customer",
        "livemode": c.livemode,
        "email": c.email,
        "name": c.name,
        "phone": c.phone,
        "metadata": c.metadata or {},
        "deleted": c.deleted_at is not None,
        "created_at": timestamp(c.created_at),
        "updated_at": timestamp(c.updated_at),
    }


def refund_object(r: Refund) -> dict:
    return {
        "id": r.id,
        "object": "refund",
        "livemode": bool(r.livemode),
        "payment_id": r.payment_id,
        "amount": r.amount,
        "currency": r.currency,
        "status": r.status,
        "reason": r.reason,
        "failure_code": r.failure_code,
        "failure_message": r.failure_message,
        "created_at": timestamp(r.created_at),
        "updated_at": timestamp(r.updated_at),
    }


def event_object(e: Event) -> dict:
    """The API's event object; its JSON is also the webhook body."""
    return {
        "id": e.id,
        "object": "event",
        "livemode": bool(e.livemode),
        "type": e.type,
        "created_at": timestamp(e.created_at),
        "data": e.data,
    }


def endpoint_object(e: WebhookEndpoint, secret: str | None = None) -> dict:
    """The API's endpoint object; ``secret`` only in the answers that reveal it."""
    obj = {
        "id": e.id,
        "object": "webhook_endpoint",
        "livemode": bool(e.livemode),
        "url": e.url,
        "description": e.description,
        "enabled_events": e.enabled_events,
        "status": e.status,
        "disabled_reason": e.disabled_reason,
        "created_at": timestamp(e.created_at),
    }
    if secret:
        obj["secret"] = secret
    return obj


def webhook_attempt_object(a: WebhookAttempt) -> dict:
    return {
        "number": a.number,
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "response_snippet": a.response_snippet,
        "error": a.error,
        "created_at": timestamp(a.created_at),
    }


def delivery_object(d: WebhookDelivery, attempts: Iterable[WebhookAttempt]) -> dict:
    return {
        "id": d.id,
        "object": "webhook_delivery",
        "event_id": d.event_id,
        "endpoint_id": d.endpoint_id,
        "status": d.status,
        "next_attempt_at": timestamp(d.next_attempt_at)
        if d.status == DeliveryStatus.PENDING and d.next_attempt_at
        else None,
        "attempts": [webhook_attempt_object(a) for a in attempts],
        "created_at": timestamp(d.created_at),
    }


def audit_event_object(e: AuditEvent) -> dict:
    """The API's audit event object; its id is ``aev_`` and the row's number."""
    return {
        "id": f"aev_{e.id}",
        "object": "audit_event",
        "created_at": timestamp(e.created_at),
        "actor": {"type": e.actor_type, "id": e.actor_id},
        "action": e.action,
        "object_id": e.object_id,
        "request_id": e.request_id,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "summary": e.summary,
    }


def review_object(r: Review) -> dict:
    """The API's fraud review object."""
    return {
        "id": r.id,
        "object": "review",
        "livemode": r.livemode,
        "payment": r.payment_id,
        "reason": r.reason,
        "open": r.open,
        "closed_reason": r.closed_reason,
        "opened_at": timestamp(r.created_at),
        "closed_at": timestamp(r.closed_at) if r.closed_at else None,
    }


def radar_rule_object(r: RadarRule) -> dict:
    """A merchant's own rule (``builtin: false``)."""
    return {
        "id": r.id,
        "object": "radar_rule",
        "livemode": r.livemode,
        "action": r.action,
        "predicate": r.predicate,
        "description": r.description,
        "enabled": r.enabled,
        "builtin": False,
        "threshold": None,
        "created_at": timestamp(r.created_at),
        "updated_at": timestamp(r.updated_at),
    }


def radar_builtin_object(builtin: Builtin, livemode: bool, setting: RadarBuiltinRule | None) -> dict:
    """A built-in rule as the merchant set it (``setting``; None: the defaults)."""
    threshold = builtin.threshold if setting is None or setting.threshold is None else setting.threshold
    return {
        "id": builtin.id,
        "object": "radar_rule",
        "livemode": livemode,
        "action": builtin.action,
        "predicate": builtin.rule(threshold).predicate,
        "description": builtin.description,
        "enabled": True if setting is None else setting.enabled,
        "builtin": True,
        "threshold": threshold,
        "created_at": None,
        "updated_at": None if setting is None else timestamp(setting.updated_at),
    }


def radar_value_list_object(v: RadarValueList, item_count: int) -> dict:
    return {
        "id": v.id,
        "object": "radar_value_list",
        "livemode": v.livemode,
        "alias": v.list_alias,
        "item_type": v.item_type,
        "name": v.name,
        "item_count": item_count,
        "created_at": timestamp(v.created_at),
    }


def radar_value_list_item_object(i: RadarValueListItem) -> dict:
    return {
        "id": i.id,
        "object": "radar_value_list_item",
        "value_list": i.value_list_id,
        "value": i.value,
        "created_at": timestamp(i.created_at),
    }
