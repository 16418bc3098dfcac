"""``/payments`` and the actions on one payment. No gateway is ever called here:
every change is written with its job, and the workers do the rest."""

import functools

import falcon

from ingress import validation
from ingress.errors import Problem
from ingress.resources.common import (
    PAYMENT_ID,
    answer_json,
    answer_page,
    known_id,
    limit,
    one_of,
    payment_filters,
    starting_after,
    unit_of_work,
)
from shared.csv_export import EXPORT_FORMATS, csv_lines
from store import customers, payments, tokens

#: The export's header row: the columns of ``store.payments.EXPORT_COLUMNS``, named as in the API.
EXPORT_HEADER = tuple(column.name for column in payments.EXPORT_COLUMNS)


class Collection:
    """``POST /payments`` (202, charged later) and ``GET /payments`` (newest first)."""

    actions = {"GET": "payments.read", "POST": "payments.write"}

    def __init__(self, config, vault, cache, relay, rules):
        self.config = config
        self.vault = vault
        self.cache = cache
        self.relay = relay
        self.rules = rules

    def route_for(self, method, preference, merchant_route):
        """Gateways to try, in order: the one gateway a gateway-bound method can be charged at, else the
        preference first, then the merchant's route, else the configured one."""
        if method.gateway:
            return [method.gateway]
        route = list(merchant_route or self.config.route)
        if preference:
            route = [preference] + [g for g in route if g != preference]
        return route

    def method_columns(self, principal, method):
        """``f(payment_id) -> columns`` for ``payments.create``: a raw card sealed for the payment, a token's
        sealed card (the token used up in the payment's transaction), or the method without a card."""
        if method.type == "token":
            return lambda payment_id: tokens.consume(principal.merchant_id, principal.livemode, method.token)
        if method.card is not None:
            return lambda payment_id: self.vault.seal_card(payment_id, *method.card)
        return lambda payment_id: {"method": method.type, "method_id": method.id}

    def on_post(self, req, resp):
        rules = self.rules.get(req.context.merchant_id)
        if not rules.raw_card_data and validation.is_raw_card(req.context.body.get("payment_method")):
            raise Problem(
                403,
                "Raw card data not allowed",
                "this merchant may not send card numbers (payment_method.type card): tokenize the card in "
                "the customer's browser (/v1/paywave.js, POST /tokens with a publishable key) and send "
                '{"type": "token", "token": "tok_…"}; an operator can allow raw cards (SAQ D)',
                slug="raw-card-data-not-allowed",
                errors=[
                    {"field": "payment_method", "reason": "raw card data is not allowed for this merchant"}
                ],
            )
        fields, method = validation.payment_create(
            req.context.body, rules.accepted_currencies, local_return_urls=self.config.env != "production"
        )
        principal = req.context.principal
        if fields["customer"] and not customers.exists(
            principal.merchant_id, principal.livemode, fields["customer"]
        ):
            raise validation.ValidationFailed([{"field": "customer", "reason": "no such customer"}])
        fields["route"] = ",".join(self.route_for(method, fields["gateway_preference"], rules.route))
        # No cache write: a new payment has no entry to make stale, and its first GET misses, reads it
        # from Postgres and fills the cache (read-your-write holds); the request thread saves the round trip.
        with unit_of_work(req, relay=self.relay):
            payment, body = payments.create(
                req.context.merchant_id,
                fields,
                self.method_columns(principal, method),
                livemode=req.context.principal.livemode,
            )
        req.context.payment_id = payment.id
        resp.location = f"/payments/{payment.id}"
        answer_json(resp, body, 202)

    def on_get(self, req, resp):
        errors = validation.Errors()
        size = limit(req, errors)
        filters = payment_filters(req, errors)
        after = starting_after(req, errors, PAYMENT_ID, "no such payment")
        errors.raise_if_any()
        answer_page(
            req,
            resp,
            functools.partial(
                payments.list_,
                req.context.merchant_id,
                livemode=req.context.principal.livemode,
                limit=size,
                starting_after=after,
                filters=filters,
            ),
            "no such payment",
        )


class Export:
    """``GET /payments/export``: every payment the filters of ``GET /payments`` select, newest first,
    as CSV streamed from a server-side cursor (memory stays flat however many rows)."""

    actions = {"GET": "payments.export"}

    def on_get(self, req, resp):
        errors = validation.Errors()
        one_of(req, errors, "format", EXPORT_FORMATS)
        filters = payment_filters(req, errors)
        errors.raise_if_any()
        resp.content_type = "text/csv; charset=utf-8"
        resp.downloadable_as = "payments.csv"
        # read when the server sends the body, after the request's connection went back to the
        # pool: the rows are read on a connection of their own (store.db.streamed)
        resp.stream = csv_lines(
            EXPORT_HEADER,
            payments.export_rows(req.context.merchant_id, filters, livemode=req.context.principal.livemode),
        )


@falcon.before(known_id)
class Item:
    """``GET /payments/{id}`` (read through the cache) and ``PUT /payments/{id}``."""

    actions = {"GET": "payments.read", "PUT": "payments.write"}

    def __init__(self, cache, relay):
        self.cache = cache
        self.relay = relay

    def on_get(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        merchant_id, livemode = req.context.merchant_id, req.context.principal.livemode
        body = self.cache.get_payment(merchant_id, livemode, payment_id)
        if body is None:
            payment = payments.get(merchant_id, payment_id, livemode=livemode)
            body = payments.snapshot(payment)
            self.cache.put_payment(merchant_id, livemode, payment_id, payment.version, body)
        answer_json(resp, body)

    def on_put(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        changes = validation.payment_update(req.context.body)
        with unit_of_work(req, self.cache, self.relay):
            _, body = payments.update(
                req.context.merchant_id, payment_id, changes, livemode=req.context.principal.livemode
            )
        answer_json(resp, body)


@falcon.before(known_id)
class Redact:
    """``POST /payments/{id}/redact``: erase the customer's personal data from a finished payment (one with
    no customer object to delete), 409 while it is not finished."""

    actions = {"POST": "payments.write"}

    def __init__(self, cache, relay):
        self.cache = cache
        self.relay = relay

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        errors = validation.Errors()
        validation.unknown(errors, req.context.body, ())
        errors.raise_if_any()
        with unit_of_work(req, self.cache, self.relay):
            body = payments.redact(
                req.context.merchant_id, payment_id, livemode=req.context.principal.livemode
            )
        answer_json(resp, body)


@falcon.before(known_id)
class Action:
    """``POST /payments/{id}/capture`` and ``/cancel``: queued for the ops pool (202)."""

    def __init__(self, cache, relay, action):
        self.actions = {"POST": f"payments.{action}"}
        self.cache = cache
        self.relay = relay
        self.action = action

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        merchant_id, livemode = req.context.merchant_id, req.context.principal.livemode
        if self.action == "capture":
            amount = validation.optional_amount(req.context.body)
            with unit_of_work(req, self.cache, self.relay):
                _, body = payments.request_capture(merchant_id, payment_id, amount, livemode=livemode)
        else:
            validation.optional_amount(req.context.body, allowed=())
            with unit_of_work(req, self.cache, self.relay):
                _, body = payments.cancel(merchant_id, payment_id, livemode=livemode)
        answer_json(resp, body, 202)


@falcon.before(known_id)
class Refunds:
    """``POST /payments/{id}/refunds`` (202, refunded by the ops pool) and ``GET`` (list)."""

    actions = {"GET": "payments.read", "POST": "refunds.write"}

    def __init__(self, relay):
        self.relay = relay

    def on_post(self, req, resp, payment_id):
        req.context.payment_id = payment_id
        body = req.context.body
        amount = validation.optional_amount(body, allowed=("amount", "reason"))
        with unit_of_work(req, relay=self.relay):
            refund, data = payments.create_refund(
                req.context.merchant_id,
                payment_id,
                amount,
                body.get("reason"),
                livemode=req.context.principal.livemode,
            )
        resp.location = f"/payments/{payment_id}/refunds/{refund.id}"
        answer_json(resp, data, 202)

    def on_get(self, req, resp, payment_id):
        data = payments.refunds_of(
            req.context.merchant_id, payment_id, livemode=req.context.principal.livemode
        )
        resp.media = {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/payments/{payment_id}/refunds",
        }


@falcon.before(known_id)
class Refund:
    """``GET /payments/{id}/refunds/{refund_id}``: one refund, where a refund's ``Location`` points."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp, payment_id, refund_id):
        req.context.payment_id = payment_id
        resp.media = payments.refund_of(
            req.context.merchant_id, payment_id, refund_id, livemode=req.context.principal.livemode
        )


def not_found(req, resp):
    raise Problem(404, "Not found", f"no route for {req.method} {req.path}", slug="not-found")
