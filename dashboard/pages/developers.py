"""The developers' pages: webhook endpoints (``store.deliveries``: create with the secret shown once, rotate
the secret, disable and enable, send a test event, delete), events with their deliveries and the answers
they got (``store.events``: redeliver, on the API's per-event budget), and the audit log (``store.audit``)."""

import re
import socket

import falcon
import orjson

from dashboard import PREFIX
from dashboard.web import form, form_list, redirect, render
from shared import ssrf
from shared.ratelimit import Limiter, Policy
from store import audit, deliveries, events
from store.errors import StateConflict
from store.objects import event_object
from store.unit import Unit

PAGE_SIZE = 25
URL_MAX = 2048
DESCRIPTION_MAX = 1000
ENDPOINT_ID = re.compile(r"we_[A-Za-z0-9]{24}")
EVENT_ID = re.compile(r"evt_[A-Za-z0-9]{24}")
AUDIT_EVENT_ID = re.compile(r"aev_[1-9][0-9]{0,17}")
TEXT_MAX = 255


def _known(pattern: re.Pattern, value: str | None) -> str | None:
    """``value`` when it has the form of ``pattern``'s ids (or is empty: None).

    Raises:
      falcon.HTTPNotFound: it cannot be such an id.
    """
    if value and not pattern.fullmatch(value):
        raise falcon.HTTPNotFound()
    return value or None


def _endpoints_page(req, resp, status=200, secret=None, error=None, values=None):
    viewer = req.context.viewer
    found, _ = deliveries.list_endpoints(
        viewer.merchant_id, livemode=viewer.livemode, limit=deliveries.MAX_ENDPOINTS
    )
    render(
        req,
        resp,
        "webhooks.html",
        status,
        endpoints=found,
        types=events.TYPES,
        secret=secret,
        error=error,
        values=values or {"url": "", "description": "", "events": ["*"]},
    )


class Endpoints:
    """``GET /dashboard/webhook_endpoints`` and ``POST`` (a new endpoint: URL checked against the SSRF policy
    as ``POST /webhook_endpoints`` checks it; the signing secret shown once)."""

    actions = {"GET": "webhook_endpoints.read", "POST": "webhook_endpoints.write"}

    def __init__(self, config, vault):
        self.policy = ssrf.Policy.from_config(config)
        self.vault = vault

    def on_get(self, req, resp):
        _endpoints_page(req, resp)

    def on_post(self, req, resp):
        viewer, fields = req.context.viewer, form(req)
        url, description = fields.get("url", "").strip(), fields.get("description", "").strip() or None
        chosen = form_list(req, "events")
        values = {"url": url, "description": description or "", "events": chosen}
        problem = self.problem(url, description, chosen)
        if problem:
            return _endpoints_page(req, resp, 422, error=problem, values=values)
        enabled = ["*"] if "*" in chosen else chosen
        try:
            with Unit():
                created = deliveries.create_endpoint(
                    viewer.merchant_id, url, enabled, description, self.vault, livemode=viewer.livemode
                )
        except StateConflict as exc:
            return _endpoints_page(
                req, resp, 409, error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.", values=values
            )
        _endpoints_page(req, resp, 201, secret=created)

    def problem(self, url: str, description: str | None, chosen: list[str]) -> str | None:
        """What is wrong with the form, in a sentence; None when nothing is."""
        if not url or len(url) > URL_MAX:
            return f"Give the endpoint's URL (at most {URL_MAX} characters)."
        try:
            self.policy.resolve(*self.policy.check_url(url))
        except ssrf.Refused as exc:
            return f"This URL is refused: {exc}."
        except (socket.gaierror, UnicodeError):
            pass  # a host that does not resolve yet is accepted: every delivery checks it again
        if description and len(description) > DESCRIPTION_MAX:
            return f"The description is at most {DESCRIPTION_MAX} characters."
        if not chosen or not set(chosen) <= {"*", *events.TYPES}:
            return "Choose the events to send: all, or some of the list."
        return None


class RotateSecret:
    """``POST /dashboard/webhook_endpoints/{id}/rotate_secret``: the new secret, once; the old one signs too
    for 24 hours."""

    actions = {"POST": "webhook_endpoints.write"}

    def __init__(self, vault):
        self.vault = vault

    def on_post(self, req, resp, endpoint_id):
        viewer = req.context.viewer
        with Unit():
            rotated = deliveries.rotate_secret(
                viewer.merchant_id, _known(ENDPOINT_ID, endpoint_id), self.vault, livemode=viewer.livemode
            )
        _endpoints_page(req, resp, 201, secret=rotated)


class DeleteEndpoint:
    """``POST /dashboard/webhook_endpoints/{id}/delete``: no more deliveries; its pending ones canceled."""

    actions = {"POST": "webhook_endpoints.write"}

    def on_post(self, req, resp, endpoint_id):
        viewer = req.context.viewer
        endpoint = deliveries.get_endpoint(
            viewer.merchant_id, _known(ENDPOINT_ID, endpoint_id), livemode=viewer.livemode
        )
        deliveries.delete_endpoint(viewer.merchant_id, endpoint.id, livemode=viewer.livemode)
        redirect(req, resp, f"{PREFIX}/webhook_endpoints", f"The endpoint {endpoint.url} is deleted.")


class Switch:
    """``POST /dashboard/webhook_endpoints/{id}/disable`` and ``.../enable``, as
    ``PATCH /webhook_endpoints/{id} {status}``: disabling cancels the pending deliveries."""

    actions = {"POST": "webhook_endpoints.write"}

    def __init__(self, status: str):
        self.status = status

    def on_post(self, req, resp, endpoint_id):
        viewer = req.context.viewer
        with Unit():
            endpoint = deliveries.set_status(
                viewer.merchant_id, _known(ENDPOINT_ID, endpoint_id), self.status, livemode=viewer.livemode
            )
        redirect(
            req, resp, f"{PREFIX}/webhook_endpoints", f"The endpoint {endpoint['url']} is {self.status}."
        )


class SendTest:
    """``POST /dashboard/webhook_endpoints/{id}/test``: a ``webhook_endpoint.test`` event to this endpoint
    only, on the budget of ``POST /webhook_endpoints/{id}/test``; then the event's page, with its delivery."""

    actions = {"POST": "webhook_endpoints.write"}

    def __init__(self, config, relay, limiter: Limiter):
        self.relay = relay
        self.limiter = limiter
        self.policy = Policy("webhook_test", config.redeliver_per_hour, 3600)

    def on_post(self, req, resp, endpoint_id):
        viewer = req.context.viewer
        endpoint_id = _known(ENDPOINT_ID, endpoint_id)
        back = f"{PREFIX}/webhook_endpoints"
        if not self.limiter.hit(f"webhook_test:{viewer.merchant_id}:{endpoint_id}", self.policy).allowed:
            redirect(
                req, resp, back, "This endpoint was sent test events too often this hour: try later.", "error"
            )
        try:
            with Unit(notify=self.relay.notify):
                event = orjson.loads(
                    events.send_test(viewer.merchant_id, endpoint_id, livemode=viewer.livemode)
                )
        except StateConflict:
            redirect(req, resp, back, "This endpoint is disabled: enable it to send it events.", "error")
        redirect(req, resp, f"{PREFIX}/events/{event['id']}", "Test event sent: its delivery shows below.")


class Events:
    """``GET /dashboard/events`` (``?type=`` one type), newest first."""

    actions = {"GET": "events.read"}

    def on_get(self, req, resp):
        viewer = req.context.viewer
        kind = req.get_param("type") or None
        if kind is not None and kind not in (*events.TYPES, events.TEST):
            kind = None
        found, has_more = events.list_(
            viewer.merchant_id,
            livemode=viewer.livemode,
            limit=PAGE_SIZE,
            starting_after=_known(EVENT_ID, req.get_param("starting_after")),
            type_=kind,
        )
        types = (*events.TYPES, events.TEST)
        render(req, resp, "events.html", events=found, has_more=has_more, kind=kind, types=types)


class Event:
    """``GET /dashboard/events/{id}``: the event's body (what endpoints receive) and each delivery with the
    request's answers."""

    actions = {"GET": "events.read"}

    def on_get(self, req, resp, event_id):
        viewer = req.context.viewer
        event = events.get(viewer.merchant_id, _known(EVENT_ID, event_id), livemode=viewer.livemode)
        render(
            req, resp, "event.html", event=event_object(event), deliveries=deliveries.deliveries_of(event.id)
        )


class Redeliver:
    """``POST /dashboard/events/{id}/redeliver``: new deliveries to every endpoint subscribed now, on the same
    budget per event as ``POST /events/{id}/redeliver``."""

    actions = {"POST": "events.redeliver"}

    def __init__(self, config, relay, limiter: Limiter):
        self.relay = relay
        self.limiter = limiter
        self.policy = Policy("redeliver", config.redeliver_per_hour, 3600)

    def on_post(self, req, resp, event_id):
        viewer = req.context.viewer
        page = f"{PREFIX}/events/{_known(EVENT_ID, event_id)}"
        if not self.limiter.hit(f"redeliver:{viewer.merchant_id}:{event_id}", self.policy).allowed:
            redirect(req, resp, page, "This event was redelivered too often this hour: try later.", "error")
        with Unit(notify=self.relay.notify):
            events.redeliver(viewer.merchant_id, event_id, livemode=viewer.livemode)
        redirect(req, resp, page, "Redelivery queued to every endpoint subscribed now.")


class AuditLog:
    """``GET /dashboard/audit_events``: who did what, newest first; filters as ``GET /audit_events``'s
    (``action`` exact, or ending with ``.`` for every action it starts)."""

    actions = {"GET": "audit_events.read"}

    def on_get(self, req, resp):
        viewer = req.context.viewer
        values = {
            name: (req.get_param(name) or "").strip()[:TEXT_MAX]
            for name in ("action", "actor_id", "object_id")
        }
        filters = audit.Filters(**{name: value or None for name, value in values.items()})
        found, has_more = audit.list_(
            viewer.merchant_id,
            limit=PAGE_SIZE,
            starting_after=_known(AUDIT_EVENT_ID, req.get_param("starting_after")),
            filters=filters,
        )
        query = [(k, v) for k, v in values.items() if v]
        render(req, resp, "audit.html", entries=found, has_more=has_more, values=values, query=query)


def routes(app, config, vault, relay, limiter):
    app.add_route(f"{PREFIX}/webhook_endpoints", Endpoints(config, vault))
    app.add_route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/rotate_secret", RotateSecret(vault))
    app.add_route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/delete", DeleteEndpoint())
    app.add_route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/disable", Switch("disabled"))
    app.add_route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/enable", Switch("enabled"))
    app.add_route(f"{PREFIX}/webhook_endpoints/{{endpoint_id}}/test", SendTest(config, relay, limiter))
    app.add_route(f"{PREFIX}/events", Events())
    app.add_route(f"{PREFIX}/events/{{event_id}}", Event())
    app.add_route(f"{PREFIX}/events/{{event_id}}/redeliver", Redeliver(config, relay, limiter))
    app.add_route(f"{PREFIX}/audit_events", AuditLog())
