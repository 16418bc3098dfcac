"""``POST /webhooks/<gateway>``, one route per registered gateway: its events in, stored once,
applied by the ops pool (``apply_gateway_event``).

Public (no ``actions``): each delivery proves itself.  The gateway's ``Webhooks.admit`` checks it at
the door without calling the gateway: a gateway that signs with a secret we hold (Stripe) is verified
here and answered 200; one only the gateway itself can verify (PayPal) is checked for form, stored and
answered 202, and the ops pool verifies it before applying it.  The same body received before answers
200 and changes nothing; another body under a known id is stored beside it (only a signature tells the
genuine one).  Past ``gateway_event_unverified_max`` events waiting, a delivery gets 503 and nothing is
stored.
"""

import falcon

from gateways import registry
from gateways.errors import InvalidSignature, InvalidWebhook, StaleWebhook, WebhookRefused
from ingress.errors import Problem
from ingress.resources.common import unit_of_work
from shared.logging import get_logger
from store import gateway_events

log = get_logger("paywave.http")

#: Refusal -> (problem title, slug).
_PROBLEMS = {
    InvalidSignature: ("Invalid signature", "invalid-signature"),
    InvalidWebhook: ("Invalid webhook", "invalid-webhook"),
    StaleWebhook: ("Stale webhook", "stale-webhook"),
}


def routes(app, config, relay):
    """Add every registered gateway's webhook route to ``app``.

    Parameters:
      config: ``shared.config.Config`` (the gateways' webhook settings, ``gateway_event_unverified_max``).
      relay: ``store.outbox.Relay``, woken after an event and its job are stored.
    """
    for name in registry.PACKAGES:
        app.add_route(f"/webhooks/{name}", GatewayEvents(name, registry.webhooks(name), config, relay))


class GatewayEvents:
    """One gateway's events: admitted at the door, stored, answered 200 (verified) or 202 (verified later)."""

    public = True

    limit_by_address = True  # public: ``ingress.ratelimit`` counts deliveries per source address

    def __init__(self, gateway, webhooks, config, relay):
        self.gateway = gateway
        self.webhooks = webhooks
        self.config = config
        self.relay = relay

    def on_post(self, req, resp):
        headers = {name.lower(): value for name, value in req.headers.items()}
        try:
            delivery = self.webhooks.admit(self.config, headers, req.context.raw_body, req.context.body)
            event_id, type_ = self.webhooks.identify(delivery.event)
        except WebhookRefused as exc:
            log.warning("gateway_event_refused", gateway=self.gateway, reason=str(exc))
            title, slug = _PROBLEMS[type(exc)]
            raise Problem(400, title, str(exc), slug=slug) from None
        try:
            with unit_of_work(req, relay=self.relay):
                stored = gateway_events.receive(
                    self.gateway,
                    event_id,
                    type_,
                    req.context.raw_body.decode(),
                    headers=delivery.headers,
                    transmission_id=delivery.transmission_id,
                    unverified_max=self.config.gateway_event_unverified_max,
                )
        # The ops pool is behind (or flooded): the gateway sends it again later.
        except gateway_events.Backlog as exc:
            log.warning("gateway_event_refused", gateway=self.gateway, reason=str(exc))
            raise Problem(
                503,
                "Service unavailable",
                str(exc),
                slug="gateway-event-backlog",
                headers={"Retry-After": "60"},
            ) from None
        if stored:
            resp.status = falcon.HTTP_200 if self.webhooks.verified_at_door else falcon.HTTP_202
        else:
            resp.status = falcon.HTTP_200
