"""Stripe sandbox: an in-memory Stripe test account the real ``stripe`` SDK talks to unchanged.

It speaks Stripe's wire format: form-encoded bodies in bracket notation, secret-key
auth (Bearer, or Basic with the key as user), JSON objects carrying ``object``,
``livemode`` and ``created``, a ``Request-Id`` on every answer, ``Idempotency-Key``
replay and errors in the ``{"error": {...}}`` envelope.  Test cards (``sandbox/cards.py``)
decide the issuer's answer; every money movement lands in the ledger.  With a
``webhook_url``, signed events are posted from a background thread.
"""

import base64
import logging
import re
from urllib.parse import parse_qsl

import falcon
import orjson

from sandbox.faults import FaultMiddleware, Faults, FaultsResource
from sandbox.idempotency import IdempotencyCache, InFlight, Mismatch
from sandbox.ledger import CREDENTIAL, Ledger, LedgerResource
from sandbox.stripe.account import Account
from sandbox.stripe.challenge import ORIGIN, ChallengeResource
from sandbox.stripe.challenge import PATH as CHALLENGE_PATH
from sandbox.stripe.wire import API_VERSION, ApiError, get_param, invalid, new_id, parse_form

log = logging.getLogger(__name__)

EXPANDABLE = {
    "payment_intent": {"latest_charge", "payment_method"},
    "refund": {"charge", "payment_intent"},
}

_TEST_KEY = re.compile(r"[sr]k_test_\w{8,}")


def _api_key(req):
    """The secret key from ``Authorization`` (Bearer, or Basic with the key as user)."""
    scheme, _, credentials = (req.get_header("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except ValueError:  # bad base64 or bad UTF-8
            credentials = ""
    elif scheme.lower() != "bearer":
        credentials = ""
    key = credentials.strip()
    if not key:
        raise ApiError(
            401,
            {
                "type": "invalid_request_error",
                "message": (
                    "You did not provide an API key. You need to provide your API key in the Authorization "
                    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
                ),
            },
        )
    if not _TEST_KEY.fullmatch(key):
        masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"
        raise ApiError(
            401, {"type": "invalid_request_error", "message": f"Invalid API Key provided: {masked}"}
        )
    return key


def _expansions(kind, raw):
    fields = [] if raw is None else get_param({"expand": raw}, "expand", list)
    for field in fields:
        if field not in EXPANDABLE.get(kind, ()):
            raise invalid(f"This property cannot be expanded ({field}).", "expand")
    return fields


def _write(resp, status, body):
    resp.set_header("Request-Id", new_id("req"))
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = body
    if status == 401:
        resp.set_header("WWW-Authenticate", 'Basic realm="Stripe"')


def _read_form(req):
    return parse_qsl(req.bounded_stream.read().decode("utf-8", "replace"), keep_blank_values=True)


class StripeApi:
    """The ``/v1`` routes: auth, form parsing, idempotent replay and rendering around the ``Account``'s
    rules."""

    def __init__(self, account):
        self.account = account
        self.idempotency = IdempotencyCache()

    def on_post_payment_methods(self, req, resp):
        self._serve(req, resp, "payment_method", self.account.payment_methods.create)

    def on_get_payment_method(self, req, resp, object_id):
        self._serve(req, resp, "payment_method", self.account.objects.retrieve, "payment_method", object_id)

    def on_post_payment_intents(self, req, resp):
        self._serve(req, resp, "payment_intent", self.account.payment_intents.create)

    def on_get_payment_intent(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.objects.retrieve, "payment_intent", object_id)

    def on_post_payment_intent(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.payment_intents.update, object_id)

    def on_post_confirm(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.payment_intents.confirm, object_id)

    def on_post_capture(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.charges.capture, object_id)

    def on_post_cancel(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.charges.cancel, object_id)

    def on_post_refunds(self, req, resp):
        self._serve(req, resp, "refund", self.account.refunds.create)

    def on_get_refund(self, req, resp, object_id):
        self._serve(req, resp, "refund", self.account.objects.retrieve, "refund", object_id)

    def _serve(self, req, resp, kind, operation, *args):
        resp.set_header("Stripe-Version", req.get_header("Stripe-Version") or API_VERSION)
        key = req.get_header("Idempotency-Key") if req.method == "POST" else None
        replayed = False
        try:
            api_key = _api_key(req)
            CREDENTIAL.set(api_key[-4:])
            ORIGIN.set(req.prefix)
            if req.method == "POST":
                if req.content_type and not req.content_type.startswith(falcon.MEDIA_URLENCODED):
                    raise invalid(
                        f"Invalid request: unsupported Content-Type {req.content_type}. "
                        "Use application/x-www-form-urlencoded."
                    )
                pairs = _read_form(req)
            else:
                pairs = parse_qsl(req.query_string, keep_blank_values=True)
            params = parse_form(pairs)
            expand = _expansions(kind, params.pop("expand", None))

            def work():
                try:
                    obj = operation(*args, params, key)
                except ApiError as exc:
                    if not exc.saved:
                        raise
                    return exc.status, orjson.dumps(exc.body)
                return 200, orjson.dumps(self.account.objects.expand(obj, expand) if expand else obj)

            # Keys are scoped per API key, and a key belongs to one endpoint and one set of params.
            fingerprint = (req.path, sorted(pairs))
            status, body, replayed = self.idempotency.run(api_key, key, fingerprint, work)
        except ApiError as exc:
            status, body = exc.status, orjson.dumps(exc.body)
        except Mismatch:
            status, body = (
                400,
                orjson.dumps(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": (
                                "Keys for idempotent requests can only be used with the same parameters "
                                f"they were first used with. Try using a key other than '{key}' if you "
                                "meant to execute a different request."
                            ),
                        }
                    }
                ),
            )
        except InFlight:
            status, body = (
                409,
                orjson.dumps(
                    {
                        "error": {
                            "type": "idempotency_error",
                            "code": "idempotency_key_in_use",
                            "message": (
                                "There is currently another in-progress request using this Idempotent Key "
                                "(that probably means you submitted twice, and the other request is still "
                                f"going through): {key}. Please try again later."
                            ),
                        }
                    }
                ),
            )
        _write(resp, status, body)
        if key:
            resp.set_header("Idempotency-Key", key)
        if replayed:
            resp.set_header("Idempotent-Replayed", "true")


class DisputesResource:
    """``POST /_sandbox/disputes`` with ``payment_intent`` (form or JSON): dispute its charge."""

    def __init__(self, account):
        self.account = account

    def on_post(self, req, resp):
        try:
            if req.content_type and req.content_type.startswith(falcon.MEDIA_JSON):
                params = req.get_media()
                if not isinstance(params, dict):
                    raise invalid("The body must be a JSON object.")
            else:
                params = parse_form(_read_form(req))
            dispute = self.account.refunds.dispute(get_param(params, "payment_intent", required=True))
            _write(resp, 200, orjson.dumps(dispute))
        except ApiError as exc:
            _write(resp, exc.status, orjson.dumps(exc.body))


ROUTES = (
    ("/v1/payment_methods", "payment_methods"),
    ("/v1/payment_methods/{object_id}", "payment_method"),
    ("/v1/payment_intents", "payment_intents"),
    ("/v1/payment_intents/{object_id}", "payment_intent"),
    ("/v1/payment_intents/{object_id}/confirm", "confirm"),
    ("/v1/payment_intents/{object_id}/capture", "capture"),
    ("/v1/payment_intents/{object_id}/cancel", "cancel"),
    ("/v1/refunds", "refunds"),
    ("/v1/refunds/{object_id}", "refund"),
)

_FAULT_ERRORS = {
    429: {
        "type": "invalid_request_error",
        "code": "rate_limit",
        "message": (
            "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests."
        ),
    },
    402: {
        "type": "card_error",
        "code": "card_declined",
        "decline_code": "generic_decline",
        "message": "Your card was declined.",
    },
}


def _render_fault(resp, status):
    """An injected error, in Stripe's envelope (``api_error`` unless the status says otherwise)."""
    if status == 429:
        resp.set_header("Retry-After", "1")
    error = _FAULT_ERRORS.get(status) or (
        {"type": "api_error", "message": "An unknown error occurred."}
        if status >= 500
        else {"type": "invalid_request_error", "message": "Injected sandbox fault."}
    )
    _write(resp, status, orjson.dumps({"error": error}))


def _unrecognized_url(req, resp, ex, params):
    _write(
        resp,
        404,
        orjson.dumps(
            {
                "error": {
                    "type": "invalid_request_error",
                    "message": (
                        f"Unrecognized request URL ({req.method}: {req.path}). "
                        "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
                    ),
                }
            }
        ),
    )


def _internal_error(req, resp, ex, params):
    log.exception("Stripe sandbox failed on %s %s", req.method, req.path)
    _write(resp, 500, orjson.dumps({"error": {"type": "api_error", "message": "An unknown error occurred."}}))


def create_app(faults=None, webhook_url=None, webhook_secret=None):
    """Build the Stripe sandbox.

    Parameters:
      faults: Live ``Faults`` settings (fresh defaults when None).
      webhook_url: Where events are POSTed; no events are built when None.
      webhook_secret: Signs them with ``Stripe-Signature`` when given.

    Returns:
      The ``falcon.App``: ``/v1`` as Stripe, plus ``/_sandbox/faults``, ``/_sandbox/ledger``
      and ``/_sandbox/disputes``, and the 3-D Secure challenge pages (``/_sandbox/3ds/{pi_id}``).
    """
    faults = faults or Faults()
    ledger = Ledger()
    account = Account.open(ledger, webhook_url, webhook_secret)
    app = falcon.App(middleware=[FaultMiddleware(faults, _render_fault)])
    api = StripeApi(account)
    for uri, suffix in ROUTES:
        app.add_route(uri, api, suffix=suffix)
    app.add_route("/_sandbox/faults", FaultsResource(faults))
    app.add_route("/_sandbox/ledger", LedgerResource(ledger))
    app.add_route("/_sandbox/disputes", DisputesResource(account))
    app.add_route(CHALLENGE_PATH, ChallengeResource(account))
    app.add_error_handler(Exception, _internal_error)
    app.add_error_handler(falcon.HTTPNotFound, _unrecognized_url)
    app.add_error_handler(falcon.HTTPMethodNotAllowed, _unrecognized_url)
    return app
