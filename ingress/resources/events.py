"""``/events``: what happened to the merchant's payments, newest first, and the webhook
deliveries of each event (with every attempt)."""

import functools

import falcon

from ingress import ratelimit, validation
from ingress.resources.common import EVENT_ID, answer_json, answer_list, known_id, unit_of_work
from shared.ratelimit import Policy
from store import deliveries, events
from store.objects import event_object


class Collection:
    """``GET /events``, optionally of one ``type``."""

    actions = {"GET": "events.read"}

    def on_get(self, req, resp):
        errors = validation.Errors()
        type_ = req.get_param("type")
        if type_ is not None and type_ not in (*events.TYPES, events.TEST):
            errors.add("type", "is not an event type")
        answer_list(
            req,
            resp,
            functools.partial(
                events.list_, req.context.merchant_id, livemode=req.context.principal.livemode, type_=type_
            ),
            EVENT_ID,
            errors,
        )


@falcon.before(known_id)
class Item:
    actions = {"GET": "events.read"}

    def on_get(self, req, resp, event_id):
        resp.media = event_object(
            events.get(req.context.merchant_id, event_id, livemode=req.context.principal.livemode)
        )


@falcon.before(known_id)
class Deliveries:
    """``GET /events/{id}/deliveries``: one per endpoint and (re)delivery, attempts included."""

    actions = {"GET": "events.read"}

    def on_get(self, req, resp, event_id):
        events.get(req.context.merchant_id, event_id, livemode=req.context.principal.livemode)
        resp.media = {
            "object": "list",
            "data": deliveries.deliveries_of(event_id),
            "has_more": False,
            "url": req.path,
        }


@falcon.before(known_id)
class Redeliver:
    """``POST /events/{id}/redeliver``: new deliveries to every endpoint subscribed now (202), at most
    ``per_hour`` times per event (each one makes a request to every endpoint): 429 beyond.

    Parameters:
      limiter: ``shared.ratelimit.Limiter``.
    """

    actions = {"POST": "events.redeliver"}

    def __init__(self, relay, limiter, per_hour):
        self.relay = relay
        self.limiter = limiter
        self.policy = Policy("redeliver", per_hour, 3600)

    def on_post(self, req, resp, event_id):
        ratelimit.check(req, self.limiter, f"redeliver:{req.context.merchant_id}:{event_id}", self.policy)
        with unit_of_work(req, relay=self.relay):
            body = events.redeliver(
                req.context.merchant_id, event_id, livemode=req.context.principal.livemode
            )
        answer_json(resp, body, 202)
