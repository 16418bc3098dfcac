"""``/dashboard/customers``: the merchant's customers in the mode viewed (``store.customers``), by email;
a customer's page with their payments; erasing their personal data as ``DELETE /customers/{id}`` does
(``store.payments.delete_customer``: the customer and the personal data their payments and events hold)."""

import re

import falcon

from dashboard import PREFIX
from dashboard.web import redirect, render
from store import customers, payments
from store.objects import customer_object
from store.unit import Unit

PAGE_SIZE = 25
EMAIL_MAX = 320
CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{24}")


def _known(customer_id: str | None) -> str | None:
    if customer_id and not CUSTOMER_ID.fullmatch(customer_id):
        raise falcon.HTTPNotFound()
    return customer_id or None


class Collection:
    """``GET /dashboard/customers`` (``?email=`` in any case), newest first."""

    actions = {"GET": "customers.read"}

    def on_get(self, req, resp):
        viewer = req.context.viewer
        email = (req.get_param("email") or "").strip()[:EMAIL_MAX]
        found, has_more = customers.list_(
            viewer.merchant_id,
            viewer.livemode,
            limit=PAGE_SIZE,
            starting_after=_known(req.get_param("starting_after")),
            email=email or None,
        )
        render(req, resp, "customers.html", customers=found, has_more=has_more, email=email)


class Item:
    """``GET /dashboard/customers/{id}``: the customer and their latest payments."""

    actions = {"GET": "customers.read"}

    def on_get(self, req, resp, customer_id):
        viewer = req.context.viewer
        customer = customer_object(customers.get(viewer.merchant_id, viewer.livemode, _known(customer_id)))
        paid, has_more = payments.list_(
            viewer.merchant_id,
            livemode=viewer.livemode,
            limit=PAGE_SIZE,
            filters=payments.Filters(customer=customer["id"]),
        )
        render(req, resp, "customer.html", customer=customer, payments=paid, has_more=has_more)


class Erase:
    """``POST /dashboard/customers/{id}/erase``: the customer deleted and their personal data erased from
    their payments and events, in one transaction (the payment cache updated after it)."""

    actions = {"POST": "customers.write"}

    def __init__(self, cache):
        self.cache = cache

    def on_post(self, req, resp, customer_id):
        viewer = req.context.viewer
        with Unit(cache=self.cache):
            payments.delete_customer(viewer.merchant_id, viewer.livemode, _known(customer_id))
        redirect(req, resp, f"{PREFIX}/customers", f"Customer {customer_id}'s personal data is erased.")


def routes(app, cache):
    app.add_route(f"{PREFIX}/customers", Collection())
    app.add_route(f"{PREFIX}/customers/{{customer_id}}", Item())
    app.add_route(f"{PREFIX}/customers/{{customer_id}}/erase", Erase(cache))
