"""``/customers``: who pays, in the credential's merchant and mode. ``DELETE`` erases the personal data and
keeps the customer's payments, erasing what they hold of it too (``store.payments.delete_customer``)."""

import functools

import falcon

from ingress import validation
from ingress.resources.common import CUSTOMER_ID, answer_json, answer_list, known_id, single, unit_of_work
from store import customers, payments
from store.objects import customer_object


def _mode(req) -> tuple[str, bool]:
    """``(merchant_id, livemode)`` of the request's credential."""
    return req.context.merchant_id, req.context.principal.livemode


class Collection:
    """``POST /customers`` (201) and ``GET /customers`` (newest first, optionally by ``email``)."""

    actions = {"GET": "customers.read", "POST": "customers.write"}

    def on_post(self, req, resp):
        fields = validation.customer_fields(req.context.body)
        with unit_of_work(req):
            customer_id, body = customers.create(*_mode(req), fields)
        resp.location = f"/customers/{customer_id}"
        answer_json(resp, body, 201)

    def on_get(self, req, resp):
        errors = validation.Errors()
        email = validation.string(errors, "email", single(req, errors, "email"), validation.EMAIL_MAX)
        answer_list(
            req, resp, functools.partial(customers.list_, *_mode(req), email=email), CUSTOMER_ID, errors
        )


@falcon.before(known_id)
class Item:
    """``GET``, ``PUT`` (replace) and ``DELETE`` (erase) ``/customers/{id}``."""

    actions = {"GET": "customers.read", "PUT": "customers.write", "DELETE": "customers.write"}

    def __init__(self, cache):
        self.cache = cache

    def on_get(self, req, resp, customer_id):
        resp.media = customer_object(customers.get(*_mode(req), customer_id))

    def on_put(self, req, resp, customer_id):
        fields = validation.customer_fields(req.context.body)
        with unit_of_work(req):
            answer_json(resp, customers.replace(*_mode(req), customer_id, fields))

    def on_delete(self, req, resp, customer_id):
        with unit_of_work(req, self.cache):  # the payments' erased objects replace the cached ones
            answer_json(resp, payments.delete_customer(*_mode(req), customer_id))


def routes(app, cache):
    app.add_route("/customers", Collection())
    app.add_route("/customers/{customer_id}", Item(cache))
