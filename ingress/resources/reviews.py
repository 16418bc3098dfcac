"""``/reviews``: the payments a fraud rule sent to review (``store.reviews``), in the credential's mode.
Reading needs ``reviews:read`` (analyst and up), approving or rejecting ``reviews:write`` (admin, owner)."""

import falcon

from ingress import validation
from ingress.resources.common import REVIEW_ID, answer_json, answer_list, known_id, one_of, unit_of_work
from store import reviews
from store.objects import review_object


def _mode(req) -> tuple[str, bool]:
    """``(merchant_id, livemode)`` of the request's credential."""
    return req.context.merchant_id, req.context.principal.livemode


class Collection:
    """``GET /reviews`` (newest first; ``?open=true`` or ``false`` for the open or closed ones)."""

    actions = {"GET": "reviews.read"}

    def on_get(self, req, resp):
        errors = validation.Errors()
        is_open = one_of(req, errors, "open", ("true", "false"), str.lower)
        answer_list(
            req,
            resp,
            lambda **page: reviews.list_(
                *_mode(req), is_open=None if is_open is None else is_open == "true", **page
            ),
            REVIEW_ID,
            errors,
        )


@falcon.before(known_id)
class Item:
    """``GET /reviews/{id}``."""

    actions = {"GET": "reviews.read"}

    def on_get(self, req, resp, review_id):
        resp.media = review_object(reviews.get(*_mode(req), review_id))


@falcon.before(known_id)
class Close:
    """``POST /reviews/{id}/approve`` and ``/reject`` (the authorization canceled, or the capture refunded
    with ``reason: "fraudulent"``): the review closed, 409 when it is already."""

    actions = {"POST": "reviews.write"}

    def __init__(self, cache, relay, close):
        self.cache = cache
        self.relay = relay
        self.close = close

    def on_post(self, req, resp, review_id):
        with unit_of_work(req, self.cache, self.relay):
            answer_json(resp, self.close(*_mode(req), review_id))


def routes(app, cache, relay):
    app.add_route("/reviews", Collection())
    app.add_route("/reviews/{review_id}", Item())
    app.add_route("/reviews/{review_id}/approve", Close(cache, relay, reviews.approve))
    app.add_route("/reviews/{review_id}/reject", Close(cache, relay, reviews.reject))
