"""What every page shares: the templates, the request's viewer, flash messages, forms, and the middleware
that signs in, checks CSRF and permissions, audits refusals and sets the security headers."""

import dataclasses
import hmac
import secrets
import urllib.parse
import uuid

import falcon
import jinja2

from dashboard import PREFIX, format
from dashboard.session import (
    COOKIE,
    CSRF_FIELD,
    FLASH_COOKIE,
    LOGIN_CSRF_COOKIE,
    Sessions,
    SignedIn,
    clear_cookie,
    set_cookie,
)
from shared import tracing
from shared.logging import get_logger
from shared.permissions import ROLES, grants
from shared.ratelimit import client_address
from store import audit, users
from store.db import database

log = get_logger("paywave.dashboard")

#: No inline script or style anywhere: every script and stylesheet is a file under ``/dashboard/static``.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",  # for browsers without frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclasses.dataclass(frozen=True)
class Viewer:
    """The signed-in user as pages see them: the sign-in, their email and the merchants they may switch to."""

    signed_in: SignedIn
    email: str
    merchants: tuple[str, ...]
    csrf_token: str

    @property
    def role(self) -> str:
        return self.signed_in.role

    @property
    def merchant_id(self) -> str:
        return self.signed_in.merchant_id

    @property
    def livemode(self) -> bool:
        return self.signed_in.livemode

    def may(self, action: str) -> bool:
        """Whether the user's role grants ``action`` (a key of ``shared.permissions.PERMISSIONS``)."""
        return grants(ROLES[self.role], action)


TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dashboard", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals["prefix"] = PREFIX
#: The navigation: ``(path under PREFIX, label, the action that shows it)``; a page added is a line here.
TEMPLATES.globals["nav"] = (
    ("", "Home", "payments.read"),
    ("payments", "Payments", "payments.read"),
    ("customers", "Customers", "customers.read"),
    ("reviews", "Reviews", "reviews.read"),
    ("radar/rules", "Fraud rules", "radar.read"),
    ("api_keys", "API keys", "api_keys.read"),
    ("webhook_endpoints", "Webhooks", "webhook_endpoints.read"),
    ("events", "Events", "events.read"),
    ("audit_events", "Audit log", "audit_events.read"),
    ("users", "Team", "users.read"),
)
TEMPLATES.filters["money"] = format.amount
TEMPLATES.filters["moment"] = format.moment


def render(req, resp, template: str, status: int = 200, **context) -> None:
    """Answer the page ``template`` with the layout's context (the viewer, the flash message)."""
    flash = getattr(req.context, "flash", None)
    if flash:
        clear_cookie(req, resp, FLASH_COOKIE)
    resp.status = status
    resp.content_type = falcon.MEDIA_HTML
    resp.text = TEMPLATES.get_template(template).render(
        viewer=getattr(req.context, "viewer", None), flash=flash, path=req.path, **context
    )


def redirect(req, resp, location: str, message: str | None = None, kind: str = "success"):
    """Answer 303 to ``location`` (a path under ``PREFIX``), with a message for the next page.

    Raises:
      falcon.HTTPSeeOther: always.
    """
    if message:
        set_cookie(req, resp, FLASH_COOKIE, req.context.signer.sign("flash", {"kind": kind, "text": message}))
    raise falcon.HTTPSeeOther(location)  # the cookies set on resp go with it


def form(req) -> dict[str, str]:
    """The POSTed form (``application/x-www-form-urlencoded``), one value per field (the last one given)."""
    if not hasattr(req.context, "form"):
        media = req.get_media(default_when_empty={}) if req.content_length else {}
        req.context.form = {k: (v[-1] if isinstance(v, list) else v) for k, v in (media or {}).items()}
    return req.context.form


def form_list(req, name: str) -> list[str]:
    """Every value of the POSTed form's field ``name`` (checkboxes)."""
    form(req)
    value = (req.get_media(default_when_empty={}) if req.content_length else {}).get(name)
    return [value] if isinstance(value, str) else list(value or [])


def refused(req, reason: str, action: str | None = None) -> falcon.HTTPForbidden:
    """A refused request, audited as ``request.refused`` by the user who sent it."""
    viewer = getattr(req.context, "viewer", None)
    merchant = viewer.merchant_id if viewer else None
    audit.record(
        merchant,
        "request.refused",
        None,
        after={"reason": reason, "method": req.method, "path": req.path, "action": action},
    )
    log.warning("dashboard request refused", reason=reason, path=req.path, action=action)
    return falcon.HTTPForbidden(title="Forbidden", description=_REFUSALS[reason])


_REFUSALS = {
    "csrf": "The form had expired or did not come from this dashboard. Reload the page and try again.",
    "forbidden": "Your role does not allow this. Ask an owner or admin of this merchant.",
}


class Context:
    """Per request: an id, the audit trail's anonymous actor at the client's address, a database connection
    (unless the resource says ``uses_database = False``), the flash message, and the security headers on
    every answer (error pages included)."""

    def __init__(self, signer, trusted=()):
        """Parameters:
        trusted: Proxy networks whose ``X-Forwarded-For`` is believed (``Config.trusted_networks()``), as
          the API's: behind the chart's Ingress the peer is the proxy, not the user.
        """
        self.signer = signer
        self.trusted = trusted

    def process_request(self, req, resp):
        req.context.request_id = uuid.uuid4().hex
        req.context.signer = self.signer
        req.context.client_ip = client_address(req, self.trusted)
        audit.acting(
            audit.Actor("anonymous", None, req.context.request_id, req.context.client_ip, req.user_agent)
        )
        req.context.flash = self.signer.open("flash", req.cookies.get(FLASH_COOKIE))

    def process_resource(self, req, resp, resource, params):
        if getattr(resource, "uses_database", True):
            database.connect(reuse_if_open=True)

    def process_response(self, req, resp, resource, req_succeeded):
        for name, value in SECURITY_HEADERS.items():
            resp.set_header(name, value)
        if not req.path.startswith(f"{PREFIX}/static/"):
            resp.set_header("Cache-Control", "no-store")
        resp.set_header("X-Request-Id", req.context.request_id)
        if tracing.enabled():  # the OpenTelemetry Falcon instrumentation, after this, reads it as text
            resp.status = falcon.code_to_http_status(resp.status)
        if not database.is_closed():
            database.close()


class Guard:
    """Signs in, then checks CSRF and the role, closed by default like the API's ``Authentication``.

    A resource declares ``actions = {"GET": "payments.read", "POST": ...}`` (keys of
    ``shared.permissions.PERMISSIONS``), or ``public = True`` (sign-in, static files).  Without a valid
    sign-in a page redirects to the sign-in form; every POST must carry the session's CSRF token (a public
    form: the double-submit cookie's); a responder no action names, or one the role does not grant, is a 403
    page, audited; a method the resource has no responder for is falcon's 405 page.
    """

    def __init__(self, sessions: Sessions):
        self.sessions = sessions

    def process_resource(self, req, resp, resource, params):
        if resource is None:
            return
        if getattr(resource, "public", False):
            if req.method == "POST":
                expected = req.cookies.get(LOGIN_CSRF_COOKIE) or ""
                if not expected or not hmac.compare_digest(expected, form(req).get(CSRF_FIELD, "")):
                    raise refused(req, "csrf")
            return
        signed_in = self.sessions.read(req.cookies.get(COOKIE))
        if signed_in is None:
            back = urllib.parse.quote(req.relative_uri if req.method == "GET" else PREFIX + "/")
            raise falcon.HTTPSeeOther(f"{PREFIX}/login?next={back}")
        if signed_in.refreshed:
            set_cookie(
                req, resp, COOKIE, signed_in.refreshed, self.sessions.remaining(signed_in.signed_in_at)
            )
        user = users.member(signed_in.merchant_id, signed_in.user_id)
        merchants = tuple(m.merchant_id for m in users.memberships(signed_in.user_id))
        token = self.sessions.signer.csrf_token(signed_in.session_id)
        req.context.viewer = Viewer(signed_in, user["email"], merchants, token)
        audit.acting(dataclasses.replace(audit.actor(), type="user", id=signed_in.user_id))
        if req.method == "POST" and not hmac.compare_digest(token, form(req).get(CSRF_FIELD, "")):
            raise refused(req, "csrf")
        if not hasattr(resource, f"on_{req.method.lower()}"):
            return  # no responder (a GET of a form's address): falcon's 405 page, nothing refused
        action = getattr(resource, "actions", {}).get(req.method)
        if action is None or not req.context.viewer.may(action):
            raise refused(req, "forbidden", action)


def login_csrf(req, resp) -> str:
    """The sign-in form's token: the double-submit cookie's, set now if the browser has none."""
    token = req.cookies.get(LOGIN_CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        set_cookie(req, resp, LOGIN_CSRF_COOKIE, token, same_site="Strict")
    return token


def error_page(req, resp, exc: falcon.HTTPError, params) -> None:
    """Every HTTP error as the layout's error page (a 405 included), never a JSON body."""
    status = exc.status_code
    titles = {403: "Not allowed", 404: "Page not found", 405: "Not a page"}
    title = titles.get(status, exc.title or "Error")
    details = {
        404: "There is nothing here. The link may be wrong, or it is another merchant's or mode's.",
        405: f"This address does not take a {req.method}: go back to the page and use its links and forms.",
    }
    detail = details.get(status, exc.description or "")
    render(req, resp, "error.html", status=status, title=title, detail=detail, code=status)
    resp.set_headers(exc.headers or {})


def not_found(req, resp, exc: Exception, params) -> None:
    """The store found no such object for the viewer's merchant and mode: the 404 page."""
    error_page(req, resp, falcon.HTTPNotFound(), params)


def crash_page(req, resp, exc: Exception, params) -> None:
    """An unexpected error: logged with the request's id, shown as a 500 page that names the id."""
    if isinstance(exc, falcon.HTTPStatus):  # a redirect raised by a page
        raise exc
    log.exception("dashboard page failed", path=req.path, request_id=req.context.request_id)
    render(
        req,
        resp,
        "error.html",
        status=500,
        title="Something went wrong",
        detail=f"The page failed on our side. Quote this id if you contact support: {req.context.request_id}",
        code=500,
    )
