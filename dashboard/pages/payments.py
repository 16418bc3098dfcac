"""``/dashboard/payments``: the search (every filter of ``GET /payments``), its CSV export, a payment's page
with its timeline, and capture, cancel and refund, each through the store function the API's route calls."""

import dataclasses
import datetime
import re

import falcon

from dashboard import PREFIX, format
from dashboard.timeline import timeline
from dashboard.web import form, redirect, render
from shared import money
from shared.csv_export import csv_lines
from shared.queues import GATEWAYS
from store import payments, radar
from store.errors import FieldInvalid, NotFound, StateConflict
from store.objects import payment_object
from store.states import PaymentStatus
from store.unit import Unit
from store.vault import CARD_BRANDS

PAGE_SIZE = 25
PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{24}")
CUSTOMER_ID = re.compile(r"cus_[A-Za-z0-9]{24}")
LAST4 = re.compile(r"[0-9]{4}")
TEXT_MAX = 320
#: The reasons a refund can give here; ``fraudulent`` also labels the card, email and IP (``store.radar``).
REFUND_REASONS = ("requested_by_customer", "duplicate", radar.FRAUDULENT)
#: Export header: the API's (``ingress.resources.payments.EXPORT_HEADER``), the same columns.
EXPORT_HEADER = tuple(column.name for column in payments.EXPORT_COLUMNS)


@dataclasses.dataclass
class Search:
    """The search form as given (``values``, to draw it again), what it asks the store (``filters``) and
    what is wrong with it (``errors``: field -> reason)."""

    values: dict
    filters: payments.Filters
    errors: dict


def _date(text: str, end: bool) -> datetime.datetime:
    day = datetime.date.fromisoformat(text)
    return datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)


def search(req) -> Search:
    """The search parameters, each checked as ``GET /payments`` checks its own; amounts in the currency's
    major units (``10.50``), dates as days (UTC, both ends included)."""
    values: dict = {name: (req.get_param(name) or "").strip() for name in SEARCH_FIELDS}
    values["status"] = [s for s in req.get_param_as_list("status") or [] if s]
    errors: dict[str, str] = {}
    found: dict = {"statuses": tuple(s for s in values["status"] if s in set(PaymentStatus))}
    if len(found["statuses"]) < len(values["status"]):
        errors["status"] = "unknown status"
    for name, pattern, reason in (
        ("customer", CUSTOMER_ID, "a customer id: cus_…"),
        ("card_last4", LAST4, "4 digits"),
    ):
        if values[name] and not pattern.fullmatch(values[name]):
            errors[name] = reason
        found[name] = values[name] or None
    if len(values["email"]) > TEXT_MAX:
        errors["email"] = f"at most {TEXT_MAX} characters"
    found["email"] = values["email"] or None
    for name, allowed in (("currency", money.EXPONENTS), ("gateway", GATEWAYS), ("card_brand", CARD_BRANDS)):
        value = values[name].upper() if name == "currency" else values[name]
        if value and value not in allowed:
            errors[name] = "not one of the choices"
        found[name] = value or None
    _ranges(values, found, errors)
    key, value = values["metadata_key"], values["metadata_value"]
    if bool(key) != bool(value):
        errors["metadata_key"] = "give both a key and a value"
    found["metadata"] = ((key, value),) if key and value else ()
    return Search(values, payments.Filters(**found), errors)


def _ranges(values: dict, found: dict, errors: dict) -> None:
    """The date and amount bounds into ``found`` (``Filters``' fields), their problems into ``errors``."""
    for name, field, end in (("created_from", "created_gte", False), ("created_to", "created_lte", True)):
        try:
            found[field] = _date(values[name], end) if values[name] else None
        except ValueError:
            errors[name] = "a date: YYYY-MM-DD"
    for name, field in (("amount_min", "amount_gte"), ("amount_max", "amount_lte")):
        found[field] = None
        if not values[name]:
            continue
        if not found["currency"]:
            errors[name] = "choose a currency to search by amount"
            continue
        try:
            found[field] = format.parse_amount(values[name], found["currency"])
        except ValueError:
            errors[name] = f"an amount in {found['currency']}, like 10.50"


SEARCH_FIELDS = (
    "email",
    "customer",
    "created_from",
    "created_to",
    "amount_min",
    "amount_max",
    "currency",
    "gateway",
    "card_brand",
    "card_last4",
    "metadata_key",
    "metadata_value",
)


class Collection:
    """``GET /dashboard/payments``: newest first, ``PAGE_SIZE`` a page, the next page after the last shown."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp):
        viewer, found = req.context.viewer, search(req)
        after = req.get_param("starting_after")
        rows, has_more = [], False
        if after and not PAYMENT_ID.fullmatch(after):
            found.errors["starting_after"] = "no such payment"
        if not found.errors:
            try:
                rows, has_more = payments.list_(
                    viewer.merchant_id,
                    livemode=viewer.livemode,
                    limit=PAGE_SIZE,
                    starting_after=after,
                    filters=found.filters,
                )
            except NotFound:
                found.errors["starting_after"] = "no such payment"
        query = [(k, v) for k, v in found.values.items() if k != "status" and v] + [
            ("status", s) for s in found.values["status"]
        ]
        render(
            req,
            resp,
            "payments.html",
            status=422 if found.errors else 200,
            payments=rows,
            has_more=has_more,
            after=after,
            search=found,
            query=query,
            statuses=list(PaymentStatus),
            currencies=sorted(money.EXPONENTS),
            gateways=GATEWAYS,
            brands=CARD_BRANDS,
        )


class Export:
    """``GET /dashboard/payments/export``: what the search selects, as ``GET /payments/export`` writes it."""

    actions = {"GET": "payments.export"}

    def on_get(self, req, resp):
        viewer, found = req.context.viewer, search(req)
        if found.errors:
            raise falcon.HTTPBadRequest(
                title="Invalid search",
                description="; ".join(f"{field}: {reason}" for field, reason in found.errors.items()),
            )
        resp.content_type = "text/csv; charset=utf-8"
        resp.downloadable_as = "payments.csv"
        resp.stream = csv_lines(
            EXPORT_HEADER, payments.export_rows(viewer.merchant_id, found.filters, livemode=viewer.livemode)
        )


def _payment(req, payment_id: str):
    """The viewer's payment (its merchant and mode).

    Raises:
      falcon.HTTPNotFound: no such payment for them.
    """
    viewer = req.context.viewer
    try:
        if not PAYMENT_ID.fullmatch(payment_id):
            raise NotFound(payment_id)
        return payments.get(viewer.merchant_id, payment_id, livemode=viewer.livemode)
    except NotFound:
        raise falcon.HTTPNotFound() from None


class Item:
    """``GET /dashboard/payments/{id}``: the payment, its risk decision and its timeline, with the forms the
    viewer's role allows."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp, payment_id):
        payment = _payment(req, payment_id)
        obj = payment_object(payment, payments.attempts_of_one(payment.id))
        render(
            req,
            resp,
            "payment.html",
            payment=obj,
            timeline=timeline(obj, req.context.viewer.merchant_id),
            refundable=payment.amount_captured - payment.amount_refunded,
            reasons=REFUND_REASONS,
        )


def _amount(fields: dict, currency: str) -> int | None:
    """The form's ``amount`` in minor units; None when left empty (all of it).

    Raises:
      FieldInvalid: not an amount of ``currency``.
    """
    text = fields.get("amount", "").strip()
    if not text:
        return None
    try:
        value = format.parse_amount(text, currency)
    except ValueError:
        raise FieldInvalid("amount", f"the amount must be in {currency}, like 10.50") from None
    if value <= 0:
        raise FieldInvalid("amount", "the amount must be more than zero")
    return value


class Action:
    """``POST /dashboard/payments/{id}/capture``, ``/cancel`` and ``/refunds``: each calls the store function
    of the API's route, in a unit of work that updates the payment cache and wakes the job relay; a refusal
    (state, amount) comes back to the payment's page as a message."""

    def __init__(self, cache, relay, action: str):
        self.actions = {
            "POST": {"capture": "payments.capture", "cancel": "payments.cancel"}.get(action, "refunds.write")
        }
        self.cache = cache
        self.relay = relay
        self.action = action

    def on_post(self, req, resp, payment_id):
        viewer, fields = req.context.viewer, form(req)
        payment = _payment(req, payment_id)
        page = f"{PREFIX}/payments/{payment.id}"
        try:
            with Unit(cache=self.cache, notify=self.relay.notify):
                message = self.act(viewer, payment, fields)
        except (FieldInvalid, StateConflict) as exc:
            text = str(exc)
            redirect(req, resp, page, text[:1].upper() + text[1:] + ".", "error")
        redirect(req, resp, page, message)

    def act(self, viewer, payment, fields) -> str:
        merchant, live = viewer.merchant_id, viewer.livemode
        if self.action == "capture":
            amount = _amount(fields, payment.currency)
            payments.request_capture(merchant, payment.id, amount, livemode=live)
            return "Capture requested: the gateway is being asked now."
        if self.action == "cancel":
            payments.cancel(merchant, payment.id, livemode=live)
            return "Cancellation requested."
        reason = fields.get("reason") or None
        if reason is not None and reason not in REFUND_REASONS:
            raise FieldInvalid("reason", "the reason is not one of the choices")
        refund, _ = payments.create_refund(
            merchant, payment.id, _amount(fields, payment.currency), reason, livemode=live
        )
        return f"Refund {refund.id} of {format.amount(refund.amount, refund.currency)} requested."


def routes(app, cache, relay):
    app.add_route(f"{PREFIX}/payments", Collection())
    app.add_route(f"{PREFIX}/payments/export", Export())
    app.add_route(f"{PREFIX}/payments/{{payment_id}}", Item())
    for action, path in (("capture", "capture"), ("cancel", "cancel"), ("refund", "refunds")):
        app.add_route(f"{PREFIX}/payments/{{payment_id}}/{path}", Action(cache, relay, action))
