"""Ingress middleware, in the order ``create_app`` installs them."""

import hashlib
import os
import re
import time

import falcon
import orjson
import structlog

from ingress.errors import Problem
from shared import metrics, tracing
from shared.logging import get_logger
from shared.ratelimit import client_address
from store import audit, idempotency
from store.db import database

log = get_logger("paywave.http")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
WRITE_METHODS = ("POST", "PUT", "PATCH")


class RequestContext:
    """Request id (accepted from ``X-Request-Id`` or generated, echoed back), the client's address, one
    JSON log line per request, and the HTTP metrics.  The audit trail starts each request with an
    anonymous actor at that address (``Authentication`` names it).

    Parameters:
      trusted: Proxy networks whose ``X-Forwarded-For`` is believed (``Config.trusted_networks()``).
    """

    def __init__(self, trusted=()):
        self.trusted = trusted
        self._series = {}  # (route, method, status) -> the labelled request counter and duration histogram

    def process_request(self, req, resp):
        given = req.get_header("X-Request-Id")
        # 32 random hex digits, as a UUID's hex but without building one (a fifth of this method's time)
        req.context.request_id = given if given and _REQUEST_ID.fullmatch(given) else os.urandom(16).hex()
        req.context.client_ip = client_address(req, self.trusted)
        audit.acting(
            audit.Actor("anonymous", None, req.context.request_id, req.context.client_ip, req.user_agent)
        )
        req.context.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=req.context.request_id)
        resp.set_header("X-Request-Id", req.context.request_id)

    def process_response(self, req, resp, resource, req_succeeded):
        elapsed = time.perf_counter() - req.context.started
        route = req.uri_template or "unmatched"
        status = resp.status_code if hasattr(resp, "status_code") else int(str(resp.status)[:3])
        if tracing.enabled():  # the OpenTelemetry Falcon instrumentation, after this, reads it as text
            resp.status = falcon.code_to_http_status(status)
        series = self._series.get((route, req.method, status))
        if series is None:  # a few per route; labels() costs a lock and a lookup on every call
            series = self._series[route, req.method, status] = (
                metrics.http_requests.labels(route, req.method, str(status)),
                metrics.http_duration.labels(route, req.method),
            )
        series[0].inc()
        series[1].observe(elapsed)
        if route not in ("/healthz", "/readyz"):
            log.info(
                "request",
                method=req.method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
                merchant_id=getattr(req.context, "merchant_id", None),
                payment_id=getattr(req.context, "payment_id", None),
            )


class DatabaseSession:
    """The request's pooled connection back to the pool at the end.  It is taken at the request's first
    statement (peewee connects on use), not before: a cache hit, a health check or a replay from memory
    takes none (the checkout and return cost a tenth of a cache hit's CPU)."""

    def process_response(self, req, resp, resource, req_succeeded):
        if not database.is_closed():
            database.close()


class JSONBody:
    """Reads and parses write bodies (and those of the methods a resource names in ``body_methods``, e.g.
    a DELETE proven by a code) into ``req.context.body``, whatever their framing: 413 beyond
    ``max_bytes``, 411 for one the server cannot delimit, 415 for another media type, 400 for
    malformed JSON."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes

    def process_resource(self, req, resp, resource, params):
        if resource is None or req.method not in (*WRITE_METHODS, *getattr(resource, "body_methods", ())):
            return
        if req.content_length is not None and req.content_length > self.max_bytes:
            raise self._too_large()
        raw = self._read(req)
        if len(raw) > self.max_bytes:
            raise self._too_large()
        req.context.raw_body = raw
        if not raw.strip():
            req.context.body = {}
            return
        media = (req.content_type or "").split(";")[0].strip().lower()
        if media != "application/json":
            raise Problem(
                415,
                "Unsupported media type",
                "send Content-Type: application/json",
                slug="unsupported-media-type",
            )
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise Problem(
                400, "Malformed JSON", f"the body is not valid JSON: {exc.msg}", slug="malformed-json"
            ) from None
        if not isinstance(body, dict):
            raise Problem(400, "Malformed JSON", "the body must be a JSON object", slug="malformed-json")
        req.context.body = body

    def _read(self, req):
        """Up to ``max_bytes + 1`` bytes of the body.

        Without Content-Length (``Transfer-Encoding: chunked``) ``req.bounded_stream`` reads
        nothing: a capture or refund of part would go through in full.  The input is read to its
        end instead where the server ends it there (``wsgi.input_terminated``: gunicorn decodes
        the chunks); elsewhere reading could wait for bytes that never come, so a body announced
        without a length is refused rather than taken for no body.

        Raises:
          Problem: 411, a body this server cannot delimit.
        """
        if req.content_length is not None:
            return req.bounded_stream.read(self.max_bytes + 1)
        if req.env.get("wsgi.input_terminated"):
            return req.stream.read(self.max_bytes + 1)
        if req.get_header("Transfer-Encoding"):
            raise Problem(
                411, "Length required", "send the body with a Content-Length header", slug="length-required"
            )
        return b""  # HTTP/1.1: neither header, no body

    def _too_large(self):
        return Problem(
            413, "Payload too large", f"bodies are limited to {self.max_bytes} bytes", slug="too-large"
        )


class Idempotency:
    """``Idempotency-Key`` on POST and PUT (ignored by a resource with ``replayable = False``, whose answers
    hold secrets that must not be saved): a replay with the same request gets the
    first response (``Idempotent-Replayed: true``), another request 422, a
    concurrent one 409.  The resource completes the claim in its unit of work (``store.unit``);
    an error answer releases it so the key can be used again."""

    def __init__(self, ttl_hours):
        self.ttl_hours = ttl_hours

    def process_resource(self, req, resp, resource, params):
        req.context.claim = None
        key = req.get_header("Idempotency-Key")
        if (
            req.method not in WRITE_METHODS
            or key is None
            or not hasattr(req.context, "merchant_id")
            or not getattr(resource, "replayable", True)  # its answer holds a secret: never saved
        ):
            return
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            raise Problem(
                400,
                "Invalid Idempotency-Key",
                "use 1 to 255 printable ASCII characters",
                slug="invalid-idempotency-key",
            )
        fingerprint = hashlib.sha256(
            b"%s %s\n" % (req.method.encode(), req.path.encode())
            + orjson.dumps(req.context.body, option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
        result = idempotency.claim(
            req.context.merchant_id, key, fingerprint, self.ttl_hours, livemode=req.context.principal.livemode
        )
        if isinstance(result, idempotency.Saved):
            resp.status = result.status
            resp.data = result.body
            resp.content_type = falcon.MEDIA_JSON
            if result.location:
                resp.location = result.location
            resp.set_header("Idempotent-Replayed", "true")
            resp.complete = True
        else:
            req.context.claim = result

    def process_response(self, req, resp, resource, req_succeeded):
        claim = getattr(req.context, "claim", None)
        if claim is not None and (not req_succeeded or resp.status_code >= 400):
            try:
                database.connect(reuse_if_open=True)
                idempotency.release(claim)
            except Exception:  # the claim expires on its own; never mask the real answer
                log.warning("idempotency_release_failed")
