"""``GET /v1/actions/{payment_id}/return?sig=…``: where a gateway sends the customer's browser back after an
action (a 3-D Secure challenge, a PayPal approval), made by ``shared.returns``.

Public (browsers carry no credential): the signature is the proof, and a wrong one, an unknown payment
and a payment without a ``return_url`` all answer the same 404.  No gateway is called: the job that reads
the outcome is queued (``store.payments.customer_returned``), and the browser is sent on (303) to the
merchant's ``return_url`` with ``payment_id=pay_…`` appended, where the merchant reads the payment's
status as for any payment.  What the gateway appends (Stripe's ``payment_intent``, PayPal's ``token``) is
ignored: only the gateway's own answer to the worker counts.
"""

import urllib.parse

import falcon

from ingress.resources.common import known_id, unit_of_work
from shared import returns
from store import payments
from store.errors import NotFound


def routes(app, config, relay):
    """Add the return route to ``app``.

    Parameters:
      config: ``shared.config.Config`` (the signature's key).
      relay: ``store.outbox.Relay``, woken after the job is stored.
    """
    app.add_route(returns.PATH, Return(config, relay))


def onward(return_url: str, payment_id: str) -> str:
    """``return_url`` with ``payment_id`` added to its query (before any fragment)."""
    parts = urllib.parse.urlsplit(return_url)
    added = urllib.parse.urlencode({"payment_id": payment_id})
    return urllib.parse.urlunsplit(parts._replace(query=f"{parts.query}&{added}" if parts.query else added))


class Return:
    """The customer is back: the outcome is read by the workers, the browser goes on to the merchant."""

    public = True
    # Public: ``ingress.ratelimit`` counts requests per source address, in the budget of the public routes
    # (``PAYWAVE_RATE_LIMIT_WEBHOOKS_PER_IP`` a second).
    limit_by_address = True

    def __init__(self, config, relay):
        self.config = config
        self.relay = relay

    @falcon.before(known_id)
    def on_get(self, req, resp, payment_id):
        if not returns.verify(self.config, payment_id, req.get_param(returns.SIGNATURE_PARAM)):
            raise NotFound(payment_id)
        with unit_of_work(req, relay=self.relay):
            return_url = payments.customer_returned(payment_id)
        req.context.payment_id = payment_id
        # The address holds the signature: not for the merchant's page (Referer) nor for any cache.
        raise falcon.HTTPSeeOther(
            onward(return_url, payment_id),
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )
