"""``/webhook_endpoints``: where a merchant receives its events, and the signing secret
(shown once, at creation and at each rotation)."""

import functools
import socket

import falcon

from ingress import ratelimit, validation
from ingress.resources.common import ENDPOINT_ID, answer_json, answer_list, known_id, unit_of_work
from shared import ssrf
from shared.ratelimit import Policy
from store import deliveries, events
from store.objects import endpoint_object

URL_MAX = 2048


def endpoint_create(body: dict, policy: ssrf.Policy):
    """Returns ``(url, enabled_events, description)``.

    The URL passes the SSRF policy now, with its host resolved; it is checked again
    at every delivery (DNS may change).  A host that does not resolve yet is accepted.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("url", "enabled_events", "description"))
    url = validation.string(errors, "url", body.get("url"), URL_MAX)
    if body.get("url") is None:
        errors.add("url", "is required")
    elif url is not None:
        try:
            policy.resolve(*policy.check_url(url))
        except ssrf.Refused as exc:
            errors.add("url", str(exc))
        except (socket.gaierror, UnicodeError):
            pass
    enabled = _event_types(errors, body.get("enabled_events"))
    description = validation.string(
        errors, "description", body.get("description"), validation.DESCRIPTION_MAX
    )
    errors.raise_if_any()
    return url, enabled, description


def _event_types(errors, value):
    if value == ["*"]:
        return value
    if isinstance(value, list) and value and all(isinstance(t, str) and t in events.TYPES for t in value):
        return list(dict.fromkeys(value))
    errors.add("enabled_events", 'must be a non-empty list of event types, or ["*"] for all')
    return None


class Collection:
    """``POST /webhook_endpoints`` (201, with the secret) and ``GET`` (newest first)."""

    actions = {"GET": "webhook_endpoints.read", "POST": "webhook_endpoints.write"}

    def __init__(self, config, vault):
        self.policy = ssrf.Policy.from_config(config)
        self.vault = vault

    def on_post(self, req, resp):
        url, enabled_events, description = endpoint_create(req.context.body, self.policy)
        with unit_of_work(req):
            endpoint = deliveries.create_endpoint(
                req.context.merchant_id,
                url,
                enabled_events,
                description,
                self.vault,
                livemode=req.context.principal.livemode,
            )
        resp.status = 201
        resp.location = f"/webhook_endpoints/{endpoint['id']}"
        resp.media = endpoint

    def on_get(self, req, resp):
        answer_list(
            req,
            resp,
            functools.partial(
                deliveries.list_endpoints, req.context.merchant_id, livemode=req.context.principal.livemode
            ),
            ENDPOINT_ID,
        )


STATUSES = ("enabled", "disabled")


def endpoint_update(body: dict) -> str:
    """The ``status`` asked (``enabled`` or ``disabled``).

    Raises:
      ValidationFailed: naming the bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("status",))
    if body.get("status") not in STATUSES:
        errors.add("status", "must be enabled or disabled")
    errors.raise_if_any()
    return body["status"]


@falcon.before(known_id)
class Item:
    """``GET``, ``PATCH`` (``status``: disable, or enable again) and ``DELETE /webhook_endpoints/{id}``
    (deleting cancels its pending deliveries)."""

    actions = {
        "GET": "webhook_endpoints.read",
        "PATCH": "webhook_endpoints.write",
        "DELETE": "webhook_endpoints.write",
    }

    def on_get(self, req, resp, endpoint_id):
        resp.media = endpoint_object(
            deliveries.get_endpoint(
                req.context.merchant_id, endpoint_id, livemode=req.context.principal.livemode
            )
        )

    def on_patch(self, req, resp, endpoint_id):
        status = endpoint_update(req.context.body)
        with unit_of_work(req):
            resp.media = deliveries.set_status(
                req.context.merchant_id, endpoint_id, status, livemode=req.context.principal.livemode
            )

    def on_delete(self, req, resp, endpoint_id):
        deliveries.delete_endpoint(
            req.context.merchant_id, endpoint_id, livemode=req.context.principal.livemode
        )
        resp.status = falcon.HTTP_204


@falcon.before(known_id)
class RotateSecret:
    """``POST /webhook_endpoints/{id}/rotate_secret``: the new secret, once; the old one
    keeps signing (a second signature) for 24 hours."""

    actions = {"POST": "webhook_endpoints.write"}

    def __init__(self, vault):
        self.vault = vault

    def on_post(self, req, resp, endpoint_id):
        with unit_of_work(req):
            resp.media = deliveries.rotate_secret(
                req.context.merchant_id, endpoint_id, self.vault, livemode=req.context.principal.livemode
            )


@falcon.before(known_id)
class Test:
    """``POST /webhook_endpoints/{id}/test``: a ``webhook_endpoint.test`` event to this endpoint only (202,
    the event); each sends a request, so on the per-hour budget of a redelivery (429 beyond).

    Parameters:
      limiter: ``shared.ratelimit.Limiter``.
    """

    actions = {"POST": "webhook_endpoints.write"}

    def __init__(self, relay, limiter, per_hour):
        self.relay = relay
        self.limiter = limiter
        self.policy = Policy("webhook_test", per_hour, 3600)

    def on_post(self, req, resp, endpoint_id):
        ratelimit.check(
            req, self.limiter, f"webhook_test:{req.context.merchant_id}:{endpoint_id}", self.policy
        )
        with unit_of_work(req, relay=self.relay):
            body = events.send_test(
                req.context.merchant_id, endpoint_id, livemode=req.context.principal.livemode
            )
        answer_json(resp, body, 202)
