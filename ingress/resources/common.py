"""What every resource shares: id forms and the hook that checks them, JSON answers, list
parameters and pages, and the unit of work a change is written in."""

import datetime
import functools
import re

import falcon

from ingress import validation
from store.errors import NotFound
from store.unit import Unit

PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{24}")
REFUND_ID = re.compile(r"re_[A-Za-z0-9]{24}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")
ENDPOINT_ID = re.compile(r"we_[A-Za-z0-9]{24}")
#: Route parameter -> what its ids look like.
ID_FORMS = {
    "payment_id": PAYMENT_ID,
    "refund_id": REFUND_ID,
    "event_id": EVENT_ID,
    "endpoint_id": ENDPOINT_ID,
}


def known_id(req, resp, resource, params):
    """Hook: an id that cannot exist is unknown at once (a NUL in it would break the query).

    Raises:
      NotFound: a route parameter not in the form of its ids.
    """
    for name, value in params.items():
        if not ID_FORMS[name].fullmatch(value):
            raise NotFound(value[:64])


def answer_json(resp, body: bytes, status=200):
    """Answer ``body``, JSON already encoded (the store's objects are)."""
    resp.status = status
    resp.data = body
    resp.content_type = falcon.MEDIA_JSON


def unit_of_work(req, cache=None, relay=None) -> Unit:
    """The unit of work of a change answered for this request: the request's idempotency claim is
    completed in its transaction; after commit it wakes ``relay`` and writes changed payments to ``cache``."""
    return Unit(claim=req.context.claim, cache=cache, notify=relay.notify if relay else None)


def limit(req, errors) -> int:
    """The ``limit`` parameter (default 10)."""
    value = req.get_param_as_int("limit", default=10)
    if not 1 <= value <= validation.LIST_LIMIT_MAX:
        errors.add("limit", f"must be between 1 and {validation.LIST_LIMIT_MAX}")
    return value


def starting_after(req, errors, id_pattern, unknown="no such object"):
    """The ``starting_after`` parameter: an id of the form ``id_pattern``, or None."""
    value = req.get_param("starting_after")
    if value and not id_pattern.fullmatch(value):
        errors.add("starting_after", unknown)
    return value


def created(req, errors) -> dict:
    """The ``created[gte]`` and ``created[lte]`` parameters given: ``{"gte"|"lte": naive UTC datetime}``."""
    bounds = {}
    for bound in ("gte", "lte"):
        text = req.get_param(f"created[{bound}]")
        if text:
            try:
                bounds[bound] = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
                if bounds[bound].tzinfo:
                    bounds[bound] = bounds[bound].astimezone(datetime.UTC).replace(tzinfo=None)
            except ValueError:
                errors.add(f"created[{bound}]", "must be an ISO 8601 timestamp")
    return bounds


def answer_page(req, resp, fetch, unknown="no such object"):
    """Answer the page ``fetch() -> (data, has_more)`` reads.

    Raises:
      ValidationFailed: ``starting_after`` names no object of the merchant.
    """
    try:
        data, has_more = fetch()
    except NotFound:
        raise validation.ValidationFailed([{"field": "starting_after", "reason": unknown}]) from None
    resp.media = {"object": "list", "data": data, "has_more": has_more, "url": req.path}


def answer_list(req, resp, fetch, id_pattern, errors=None):
    """Answer one page of a list, newest first.

    Parameters:
      fetch: ``f(limit=, starting_after=) -> (data, has_more)``.
      id_pattern: What ``starting_after`` ids look like.
      errors: A ``validation.Errors`` holding the caller's own filter problems.

    Raises:
      ValidationFailed: a bad ``limit``, an unknown ``starting_after``, or the caller's errors.
    """
    errors = errors or validation.Errors()
    size, after = limit(req, errors), starting_after(req, errors, id_pattern)
    errors.raise_if_any()
    answer_page(req, resp, functools.partial(fetch, limit=size, starting_after=after))
