"""Operators' routes (scope ``admin``): list the payments that await a person and settle one,
whichever merchant it belongs to. Every settlement is audited (``store.payments.settle``)."""
import falcon

from ingress import validation
from ingress.auth import ADMIN
from ingress.resources.payments import PAYMENT_ID, _json, known_id
from store import payments


class Review:
    """``GET /admin/payments``: payments in ``requires_review`` of every merchant, newest first."""

    scopes = {"GET": ADMIN}

    def on_get(self, req, resp):
        errors = validation.Errors()
        limit = req.get_param_as_int("limit", default=10)
        if not 1 <= limit <= validation.LIST_LIMIT_MAX:
            errors.add("limit", f"must be between 1 and {validation.LIST_LIMIT_MAX}")
        starting_after = req.get_param("starting_after")
        if starting_after and not PAYMENT_ID.fullmatch(starting_after):
            errors.add("starting_after", "no such payment")
        errors.raise_if_any()
        try:
            data, has_more = payments.list_(None, limit=limit, starting_after=starting_after, status="requires_review")
        except payments.NotFound:
            raise validation.ValidationFailed([{"field": "starting_after", "reason": "no such payment"}]) from None
        resp.media = {"object": "list", "data": data, "has_more": has_more, "url": "/admin/payments"}


@falcon.before(known_id)
class Resolve:
    """``POST /admin/payments/{id}/resolve``: settle a ``requires_review`` payment (409 otherwise)."""

    scopes = {"POST": ADMIN}

    def __init__(self, cache, relay):
        self.cache = cache
        self.relay = relay

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        status, reference, reason = validation.resolution(req.context.body)
        payment, body = payments.settle(payment_id, status, reference, reason, f"api:{req.context.merchant_id}",
                                        req.context.claim)
        self.relay.notify()
        self.cache.put_payment(payment.merchant_id, payment_id, payment.version, body)
        _json(resp, body)


def routes(app, cache, relay):
    app.add_route("/admin/payments", Review())
    app.add_route("/admin/payments/{payment_id}/resolve", Resolve(cache, relay))
