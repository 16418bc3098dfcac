"""``/payments`` and the actions on one payment. No gateway is ever called here:
every change is written with its job, and the workers do the rest."""
import datetime
import re

import falcon

from ingress import validation
from ingress.errors import Problem
from shared.queues import gateway_queue
from store import payments

READ, WRITE = "payments:read", "payments:write"
PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{24}")
REFUND_ID = re.compile(r"re_[A-Za-z0-9]{24}")
_ID_FORMS = {"payment_id": PAYMENT_ID, "refund_id": REFUND_ID}


def known_id(req, resp, resource, params):
    """Hook: an id that cannot exist is unknown at once (a NUL in it would break the query)."""
    for name, value in params.items():
        if not _ID_FORMS[name].fullmatch(value):
            raise payments.NotFound(value[:64])


def _json(resp, body: bytes, status=200):
    resp.status = status
    resp.data = body
    resp.content_type = falcon.MEDIA_JSON


class Collection:
    """``POST /payments`` (202, charged later) and ``GET /payments`` (newest first)."""

    scopes = {"GET": READ, "POST": WRITE}

    def __init__(self, config, vault, cache, relay):
        self.config = config
        self.vault = vault
        self.cache = cache
        self.relay = relay

    def route_for(self, preference):
        """Gateways to try, in order: the preference first, then the configured route."""
        route = list(self.config.route)
        if preference:
            route = [preference] + [g for g in route if g != preference]
        return route

    def on_post(self, req, resp):
        fields, card = validation.payment_create(req.context.body)
        route = self.route_for(fields["gateway_preference"])
        fields["route"] = ",".join(route)
        payment, body = payments.create(
            req.context.merchant_id, fields,
            lambda payment_id: self.vault.seal_card(payment_id, *card),
            first_job=(gateway_queue(route[0]), "process_payment", route[0]), claim=req.context.claim)
        req.context.payment_id = payment.id
        self.relay.notify()
        self.cache.put_payment(payment.merchant_id, payment.id, payment.version, body)
        resp.location = f"/payments/{payment.id}"
        _json(resp, body, 202)

    def on_get(self, req, resp):
        errors = validation.Errors()
        limit = req.get_param_as_int("limit", default=10)
        if not 1 <= limit <= validation.LIST_LIMIT_MAX:
            errors.add("limit", f"must be between 1 and {validation.LIST_LIMIT_MAX}")
        status = req.get_param("status")
        if status and status not in payments.STATUSES:
            errors.add("status", "is not a payment status")
        customer = validation._string(errors, "customer", req.get_param("customer"), validation.CUSTOMER_MAX)
        starting_after = req.get_param("starting_after")
        if starting_after and not PAYMENT_ID.fullmatch(starting_after):
            errors.add("starting_after", "no such payment")
        created = {}
        for bound in ("gte", "lte"):
            text = req.get_param(f"created[{bound}]")
            if text:
                try:
                    created[bound] = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
                    if created[bound].tzinfo:
                        created[bound] = created[bound].astimezone(datetime.timezone.utc).replace(tzinfo=None)
                except ValueError:
                    errors.add(f"created[{bound}]", "must be an ISO 8601 timestamp")
        errors.raise_if_any()
        try:
            data, has_more = payments.list_(
                req.context.merchant_id, limit=limit, starting_after=starting_after, status=status, customer=customer,
                created_gte=created.get("gte"), created_lte=created.get("lte"))
        except payments.NotFound:
            raise validation.ValidationFailed([{"field": "starting_after", "reason": "no such payment"}]) from None
        resp.media = {"object": "list", "data": data, "has_more": has_more, "url": "/payments"}


@falcon.before(known_id)
class Item:
    """``GET /payments/{id}`` (read through the cache) and ``PUT /payments/{id}``."""

    scopes = {"GET": READ, "PUT": WRITE}

    def __init__(self, cache, relay):
        self.cache = cache
        self.relay = relay

    def on_get(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        merchant_id = req.context.merchant_id
        body = self.cache.get_payment(merchant_id, payment_id)
        if body is None:
            payment = payments.get(merchant_id, payment_id)
            body = payments.snapshot(payment)
            self.cache.put_payment(merchant_id, payment_id, payment.version, body)
        _json(resp, body)

    def on_put(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        changes = validation.payment_update(req.context.body)
        payment, body = payments.update(req.context.merchant_id, payment_id, changes, req.context.claim)
        self.relay.notify()
        self.cache.put_payment(payment.merchant_id, payment.id, payment.version, body)
        _json(resp, body)


@falcon.before(known_id)
class Action:
    """``POST /payments/{id}/capture`` and ``/cancel``: queued for the ops pool (202)."""

    scopes = {"POST": WRITE}

    def __init__(self, cache, relay, action):
        self.cache = cache
        self.relay = relay
        self.action = action

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        merchant_id, claim = req.context.merchant_id, req.context.claim
        if self.action == "capture":
            amount = validation.optional_amount(req.context.body)
            payment, body = payments.request_capture(merchant_id, payment_id, amount, claim)
        else:
            validation.optional_amount(req.context.body, allowed=())
            payment, body = payments.cancel(merchant_id, payment_id, claim)
        self.relay.notify()
        self.cache.put_payment(merchant_id, payment_id, payment.version, body)
        _json(resp, body, 202)


@falcon.before(known_id)
class Refunds:
    """``POST /payments/{id}/refunds`` (202, refunded by the ops pool) and ``GET`` (list)."""

    scopes = {"GET": READ, "POST": WRITE}

    def __init__(self, relay):
        self.relay = relay

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        body = req.context.body
        amount = validation.optional_amount(body, allowed=("amount", "reason"))
        refund, data = payments.create_refund(req.context.merchant_id, payment_id, amount, body.get("reason"),
                                              req.context.claim)
        self.relay.notify()
        resp.location = f"/payments/{payment_id}/refunds/{refund.id}"
        _json(resp, data, 202)

    def on_get(self, req, resp, payment_id):
        data = payments.refunds_of(req.context.merchant_id, payment_id)
        resp.media = {"object": "list", "data": data, "has_more": False, "url": f"/payments/{payment_id}/refunds"}


@falcon.before(known_id)
class Refund:
    """``GET /payments/{id}/refunds/{refund_id}``: one refund, where a refund's ``Location`` points."""

    scopes = {"GET": READ}

    def on_get(self, req, resp, payment_id, refund_id):
        req.context.payment_id = payment_id
        resp.media = payments.refund_of(req.context.merchant_id, payment_id, refund_id)


def not_found(req, resp):
    raise Problem(404, "Not found", f"no route for {req.method} {req.path}", slug="not-found")
