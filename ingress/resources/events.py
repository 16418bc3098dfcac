"""``/events``: what happened to the merchant's payments, newest first, and the webhook
deliveries of each event (with every attempt)."""
import functools
import re

import falcon

from ingress import ratelimit, validation
from ingress.resources.payments import READ, WRITE
from shared.ratelimit import Policy
from store import events, payments, webhooks

EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")


def known(pattern, param):
    """Hook: an id that cannot exist is unknown at once (a NUL in it would break the query)."""
    def hook(req, resp, resource, params):
        if not pattern.fullmatch(params[param]):
            raise payments.NotFound(params[param][:64])
    return hook


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
    limit = req.get_param_as_int("limit", default=10)
    if not 1 <= limit <= validation.LIST_LIMIT_MAX:
        errors.add("limit", f"must be between 1 and {validation.LIST_LIMIT_MAX}")
    starting_after = req.get_param("starting_after")
    if starting_after and not id_pattern.fullmatch(starting_after):
        errors.add("starting_after", "no such object")
    errors.raise_if_any()
    try:
        data, has_more = fetch(limit=limit, starting_after=starting_after)
    except payments.NotFound:
        raise validation.ValidationFailed([{"field": "starting_after", "reason": "no such object"}]) from None
    resp.media = {"object": "list", "data": data, "has_more": has_more, "url": req.path}


class Collection:
    """``GET /events``, optionally of one ``type``."""

    scopes = {"GET": READ}

    def on_get(self, req, resp):
        errors = validation.Errors()
        type_ = req.get_param("type")
        if type_ is not None and type_ not in events.TYPES:
            errors.add("type", "is not an event type")
        answer_list(req, resp, functools.partial(events.list_, req.context.merchant_id, type_=type_), EVENT_ID, errors)


@falcon.before(known(EVENT_ID, "event_id"))
class Item:
    scopes = {"GET": READ}

    def on_get(self, req, resp, event_id):
        resp.media = events.event_object(events.get(req.context.merchant_id, event_id))


@falcon.before(known(EVENT_ID, "event_id"))
class Deliveries:
    """``GET /events/{id}/deliveries``: one per endpoint and (re)delivery, attempts included."""

    scopes = {"GET": READ}

    def on_get(self, req, resp, event_id):
        events.get(req.context.merchant_id, event_id)
        resp.media = {"object": "list", "data": webhooks.deliveries_of(event_id), "has_more": False, "url": req.path}


@falcon.before(known(EVENT_ID, "event_id"))
class Redeliver:
    """``POST /events/{id}/redeliver``: new deliveries to every endpoint subscribed now (202), at most
    ``per_hour`` times per event (each one makes a request to every endpoint): 429 beyond.

    Parameters:
      limiter: ``shared.ratelimit.Limiter``.
    """

    scopes = {"POST": WRITE}

    def __init__(self, relay, limiter, per_hour):
        self.relay = relay
        self.limiter = limiter
        self.policy = Policy("redeliver", per_hour, 3600)

    def on_post(self, req, resp, event_id):
        ratelimit.check(req, self.limiter, f"redeliver:{req.context.merchant_id}:{event_id}", self.policy)
        body = events.redeliver(req.context.merchant_id, event_id, req.context.claim)
        self.relay.notify()
        resp.status = 202
        resp.data = body
        resp.content_type = falcon.MEDIA_JSON
