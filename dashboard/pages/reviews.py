"""``/dashboard/reviews``: the payments a fraud rule sent to a person (``store.reviews``), with each one's
signals and the rule that opened it; approve or reject as ``POST /reviews/{id}/approve`` and ``/reject``
do."""

import re

import falcon

from dashboard import PREFIX
from dashboard.web import redirect, render
from store import payments, reviews
from store.errors import NotFound, StateConflict
from store.objects import payment_object
from store.unit import Unit

PAGE_SIZE = 25
REVIEW_ID = re.compile(r"rev_[A-Za-z0-9]{24}")


class Collection:
    """``GET /dashboard/reviews`` (the open ones; ``?state=closed`` for those closed), newest first."""

    actions = {"GET": "reviews.read"}

    def on_get(self, req, resp):
        viewer = req.context.viewer
        closed = req.get_param("state") == "closed"
        after = req.get_param("starting_after")
        if after and not REVIEW_ID.fullmatch(after):
            raise falcon.HTTPNotFound()
        try:
            found, has_more = reviews.list_(
                viewer.merchant_id, viewer.livemode, limit=PAGE_SIZE, starting_after=after, is_open=not closed
            )
        except NotFound:
            raise falcon.HTTPNotFound() from None
        paid = {
            p.id: payment_object(p, ())
            for p in (payments.get(viewer.merchant_id, r["payment"], livemode=viewer.livemode) for r in found)
        }
        render(req, resp, "reviews.html", reviews=found, payments=paid, has_more=has_more, closed=closed)


class Close:
    """``POST /dashboard/reviews/{id}/approve`` and ``/reject``: the review closed (a rejection cancels the
    authorization or refunds the capture as fraudulent), in a unit of work that updates the payment cache and
    wakes the job relay."""

    actions = {"POST": "reviews.write"}

    def __init__(self, cache, relay, verb: str):
        self.cache = cache
        self.relay = relay
        self.verb = verb
        self.close = reviews.approve if verb == "approve" else reviews.reject

    def on_post(self, req, resp, review_id):
        viewer = req.context.viewer
        if not REVIEW_ID.fullmatch(review_id):
            raise falcon.HTTPNotFound()
        try:
            with Unit(cache=self.cache, notify=self.relay.notify):
                self.close(viewer.merchant_id, viewer.livemode, review_id)
        except NotFound:
            raise falcon.HTTPNotFound() from None
        except StateConflict as exc:
            text = str(exc)
            redirect(req, resp, f"{PREFIX}/reviews", text[:1].upper() + text[1:] + ".", "error")
        done = "approved: the payment stands" if self.verb == "approve" else "rejected: the payment is undone"
        redirect(req, resp, f"{PREFIX}/reviews", f"Review {review_id} {done}.")


def routes(app, cache, relay):
    app.add_route(f"{PREFIX}/reviews", Collection())
    for verb in ("approve", "reject"):
        app.add_route(f"{PREFIX}/reviews/{{review_id}}/{verb}", Close(cache, relay, verb))
