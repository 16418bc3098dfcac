"""``POST /webhooks/stripe`` and ``POST /webhooks/paypal``: gateway events in, stored once,
applied by the ops pool (``apply_gateway_event``).

Public (no ``scopes``): each delivery proves itself.  A Stripe event is verified here with the
SDK's own check of ``Stripe-Signature`` (a local HMAC, at most five minutes old).  A PayPal
event can only be verified by asking PayPal, and the ingress never calls a gateway: it checks
what it can (the transmission headers present and well-formed, sent at most five minutes
ago, an event id and type), stores the event and answers 202; the ops pool verifies it before
applying it.  The same body received before answers 200 and changes nothing; another body under a known
id is stored beside it (only a signature tells the genuine one).  Past ``gateway_event_unverified_max``
events waiting, a delivery gets 503 and nothing is stored.
"""
import datetime
import re

import falcon
import stripe

from gateways.paypal.client import WEBHOOK_HEADERS
from ingress.errors import Problem
from shared.logging import get_logger
from store import gateway_events

TOLERANCE_SECONDS = 300
#: PayPal's transmission headers and what a well-formed value looks like.
_WELL_FORMED = {**dict.fromkeys(WEBHOOK_HEADERS.values(), re.compile(r"[\x20-\x7e]{1,4096}")),
                "paypal-transmission-id": re.compile(r"[A-Za-z0-9._:-]{1,128}")}
log = get_logger("paywave.http")


def routes(app, config, relay):
    """Add both webhook routes to ``app``.

    Parameters:
      config: ``shared.config.Config`` (``stripe_webhook_secret``, ``paypal_webhook_id``).
      relay: ``store.outbox.Relay``, woken after an event and its job are stored.
    """
    app.add_route("/webhooks/stripe", StripeEvents(config.stripe_webhook_secret, relay, config.gateway_event_unverified_max))
    app.add_route("/webhooks/paypal", PayPalEvents(config.paypal_webhook_id, relay, config.gateway_event_unverified_max))


def _refused(gateway, title, detail, slug):
    log.warning("gateway_event_refused", gateway=gateway, reason=detail)
    return Problem(400, title, detail, slug=slug)


def _store(req, resp, relay, gateway, event, type_field, new_status, unverified_max, **verification):
    """Store ``event`` once; ``new_status`` when stored now, 200 for a replay.

    Parameters:
      unverified_max: At most this many of the gateway's events wait to be applied.

    Raises:
      Problem: 400 when the event has no string ``id`` and ``type_field``; 503 past ``unverified_max``.
    """
    event_id, type_ = event.get("id"), event.get(type_field)
    if not (isinstance(event_id, str) and event_id and isinstance(type_, str) and type_):
        raise _refused(gateway, "Invalid webhook", f"the event needs a string id and {type_field}", "invalid-webhook")
    try:
        stored = gateway_events.receive(gateway, event_id, type_, req.context.raw_body.decode(),
                                        unverified_max=unverified_max, **verification)
    except gateway_events.Backlog as exc:  # the ops pool is behind (or flooded): the gateway sends it again later
        log.warning("gateway_event_refused", gateway=gateway, reason=str(exc))
        raise Problem(503, "Service unavailable", str(exc), slug="gateway-event-backlog",
                      headers={"Retry-After": "60"}) from None
    if stored:
        relay.notify()
        resp.status = new_status
    else:
        resp.status = falcon.HTTP_200


class StripeEvents:
    """Stripe's signed events: verified, stored, answered 200 (Stripe's success)."""

    limit_by_address = True  # public: ``ingress.ratelimit`` counts deliveries per source address

    def __init__(self, secret, relay, unverified_max):
        self.secret = secret
        self.relay = relay
        self.unverified_max = unverified_max

    def on_post(self, req, resp):
        try:  # without a secret (PAYWAVE_STRIPE_WEBHOOK_SECRET unset) nothing verifies: refused too
            event = stripe.Webhook.construct_event(req.context.raw_body, req.get_header("Stripe-Signature"),
                                                   self.secret, tolerance=TOLERANCE_SECONDS)
        except stripe.SignatureVerificationError as exc:  # unsigned, mis-signed or stale
            raise _refused("stripe", "Invalid signature", str(exc), "invalid-signature") from None
        _store(req, resp, self.relay, "stripe", event.to_dict(), "type", falcon.HTTP_200, self.unverified_max)


class PayPalEvents:
    """PayPal's events: checked locally, stored, answered 202; verified by the ops pool."""

    limit_by_address = True

    def __init__(self, webhook_id, relay, unverified_max):
        self.webhook_id = webhook_id
        self.relay = relay
        self.unverified_max = unverified_max

    def on_post(self, req, resp):
        if not self.webhook_id:  # PayPal would answer FAILURE: refuse now, so that PayPal sends it again later
            raise _refused("paypal", "Invalid webhook", "PAYWAVE_PAYPAL_WEBHOOK_ID is not set: events cannot be verified",
                           "invalid-webhook")
        headers = {name: req.get_header(name) for name in _WELL_FORMED}
        malformed = [name for name, pattern in _WELL_FORMED.items() if not pattern.fullmatch(headers[name] or "")]
        sent = None if malformed else _time(headers["paypal-transmission-time"])
        if sent is None:
            raise _refused("paypal", "Invalid webhook",
                           f"missing or malformed {', '.join(malformed or ['paypal-transmission-time'])}", "invalid-webhook")
        off = abs((datetime.datetime.now(datetime.timezone.utc) - sent).total_seconds())
        if off > TOLERANCE_SECONDS:  # an old delivery replayed, or a clock far off
            raise _refused("paypal", "Stale webhook",
                           f"the transmission time is {int(off)} s off; at most {TOLERANCE_SECONDS} s is accepted",
                           "stale-webhook")
        _store(req, resp, self.relay, "paypal", req.context.body, "event_type", falcon.HTTP_202, self.unverified_max,
               headers=headers, transmission_id=headers["paypal-transmission-id"])


def _time(value):
    """An ISO 8601 time with its offset (PayPal's ``2026-01-02T03:04:05Z``), else None."""
    try:
        sent = datetime.datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return sent if sent.tzinfo else None
