"""Operators' routes (scope ``admin``): list the payments that await a person and settle one,
whichever merchant it belongs to. Every settlement is audited (``store.payments.settle``)."""

import dataclasses
import functools

import falcon

from ingress import validation
from ingress.resources.common import PAYMENT_ID, answer_json, answer_list, known_id, unit_of_work
from store import audit, payments
from store.states import PaymentStatus


class Review:
    """``GET /admin/payments``: payments in ``requires_review`` of every merchant, newest first."""

    actions = {"GET": "review.read"}

    def on_get(self, req, resp):
        answer_list(
            req,
            resp,
            functools.partial(
                payments.list_,
                None,
                livemode=None,  # operators settle payments of both modes
                filters=payments.Filters(statuses=(PaymentStatus.REQUIRES_REVIEW,)),
            ),
            PAYMENT_ID,
        )


@falcon.before(known_id)
class Resolve:
    """``POST /admin/payments/{id}/resolve``: settle a ``requires_review`` payment (409 otherwise)."""

    actions = {"POST": "review.resolve"}

    def __init__(self, cache, relay):
        self.cache = cache
        self.relay = relay

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        status, reference, reason = validation.resolution(req.context.body)
        # An operator settles, whichever merchant's payment it is: the token's sub names them.
        audit.acting(dataclasses.replace(audit.actor(), type="operator", id=f"api:{req.context.merchant_id}"))
        with unit_of_work(req, self.cache, self.relay):
            _, body = payments.settle(payment_id, status, reference, reason)
        answer_json(resp, body)


def routes(app, cache, relay):
    app.add_route("/admin/payments", Review())
    app.add_route("/admin/payments/{payment_id}/resolve", Resolve(cache, relay))
