"""What every resource shares: id forms and the hook that checks them, JSON answers, list
parameters and pages, and the unit of work a change is written in."""

import datetime
import functools
import re

import falcon

from ingress import validation
from shared import money
from shared.cards import find_pans, mask_pans
from shared.queues import GATEWAYS
from store.errors import NotFound
from store.payments import Filters
from store.states import PaymentStatus
from store.unit import Unit
from store.vault import CARD_BRANDS

PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{24}")
REFUND_ID = re.compile(r"re_[A-Za-z0-9]{24}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")
ENDPOINT_ID = re.compile(r"we_[A-Za-z0-9]{24}")
AUDIT_EVENT_ID = re.compile(r"aev_[1-9][0-9]{0,17}")  # a BIGINT row number: 18 digits always fit
CUSTOMER_ID = re.compile(validation.CUSTOMER_ID)
KEY_ID = re.compile(r"key_[A-Za-z0-9]{24}")
USER_ID = re.compile(r"usr_[A-Za-z0-9]{24}")
RULE_ID = re.compile(r"rule_[A-Za-z0-9_]{1,40}")  # rule_ and 24 characters, or a built-in rule_default_…
VALUE_LIST_ID = re.compile(r"rsl_[A-Za-z0-9]{24}")
VALUE_LIST_ITEM_ID = re.compile(r"rsli_[A-Za-z0-9]{24}")
REVIEW_ID = re.compile(r"rev_[A-Za-z0-9]{24}")
LAST4 = re.compile(r"[0-9]{4}")
#: Route parameter -> what its ids look like.
ID_FORMS = {
    "payment_id": PAYMENT_ID,
    "refund_id": REFUND_ID,
    "event_id": EVENT_ID,
    "endpoint_id": ENDPOINT_ID,
    "audit_event_id": AUDIT_EVENT_ID,
    "customer_id": CUSTOMER_ID,
    "key_id": KEY_ID,
    "user_id": USER_ID,
    "rule_id": RULE_ID,
    "value_list_id": VALUE_LIST_ID,
    "item_id": VALUE_LIST_ITEM_ID,
    "review_id": REVIEW_ID,
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


def parse_timestamp(text: str) -> datetime.datetime:
    """An ISO 8601 timestamp as a naive UTC datetime (naive ones are read as UTC)."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.astimezone(datetime.UTC).replace(tzinfo=None) if value.tzinfo else value


def _minor_units(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > validation.MAX_AMOUNT:
        raise ValueError(text)
    return int(text)


#: Range parameter -> ``(parse, reason when it fails)``; ``parse`` raises ValueError.
RANGES = {
    "created": (parse_timestamp, "must be an ISO 8601 timestamp"),
    "amount": (_minor_units, f"must be an integer from 0 to {validation.MAX_AMOUNT}, in minor units"),
}


def bounds(req, errors, name) -> dict:
    """The ``NAME[gte]`` and ``NAME[lte]`` parameters given, parsed as ``RANGES[name]`` says:
    ``{"gte"|"lte": value}``."""
    parse, reason = RANGES[name]
    found = {}
    for bound in ("gte", "lte"):
        text = single(req, errors, f"{name}[{bound}]")
        if text:
            try:
                found[bound] = parse(text)
            except ValueError:
                errors.add(f"{name}[{bound}]", reason)
    return found


def single(req, errors, name) -> str | None:
    """The parameter ``name``, given at most once (a repeated one is a problem, not a silent pick)."""
    value = req.params.get(name)
    if isinstance(value, list):
        errors.add(name, "give it once")
        return None
    return value


def one_of(req, errors, name, allowed, normalize=str, reason=None) -> str | None:
    """The parameter ``name`` (``normalize``d), which must be one of ``allowed``, or None.

    Parameters:
      reason: The problem when it is not (default: the list of ``allowed``).
    """
    value = single(req, errors, name)
    if value is None:
        return None
    if normalize(value) not in allowed:
        errors.add(name, reason or f"must be one of {', '.join(allowed)}")
        return None
    return normalize(value)


def bracketed(req, errors, name) -> dict[str, str]:
    """The ``NAME[KEY]=VALUE`` parameters given, as ``{KEY: VALUE}`` (each key at most once)."""
    found = {}
    for param in req.params:
        if param.startswith(f"{name}[") and param.endswith("]"):
            value = single(req, errors, param)
            if value is not None:
                found[param[len(name) + 1 : -1]] = value
    return found


def payment_filters(req, errors) -> Filters:
    """The payment search parameters of ``GET /payments`` and its export, each checked (problems
    go to ``errors``, by parameter)."""
    statuses = req.get_param_as_list("status") or []
    for status in statuses:
        if status not in set(PaymentStatus):
            errors.add("status", f"each must be one of {', '.join(PaymentStatus)}")
    created, amount = bounds(req, errors, "created"), bounds(req, errors, "amount")
    last4 = single(req, errors, "card_last4")
    if last4 is not None and not LAST4.fullmatch(last4):
        errors.add("card_last4", "must be 4 digits")
    metadata = bracketed(req, errors, "metadata")
    for key, value in metadata.items():
        field = f"metadata[{mask_pans(key)[: validation.METADATA_KEY_MAX + 1]}]"  # never echo a card number
        if not 1 <= len(key) <= validation.METADATA_KEY_MAX or "\x00" in key or find_pans(key):
            errors.add(
                field, f"keys are 1 to {validation.METADATA_KEY_MAX} characters, no NUL, no card number"
            )
        validation.string(errors, field, value, validation.METADATA_VALUE_MAX)
    return Filters(
        statuses=tuple(statuses),
        customer=validation.customer_id(errors, "customer", single(req, errors, "customer")),
        email=validation.string(errors, "email", single(req, errors, "email"), validation.EMAIL_MAX),
        created_gte=created.get("gte"),
        created_lte=created.get("lte"),
        amount_gte=amount.get("gte"),
        amount_lte=amount.get("lte"),
        currency=one_of(
            req, errors, "currency", money.EXPONENTS, str.upper, "is not an ISO 4217 currency code"
        ),
        gateway=one_of(req, errors, "gateway", GATEWAYS),
        card_last4=last4,
        card_brand=one_of(req, errors, "card_brand", CARD_BRANDS),
        metadata=tuple(metadata.items()),
    )


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
