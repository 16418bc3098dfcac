"""Errors, translated in one place into ``application/problem+json`` (RFC 9457)."""

import falcon
import orjson
import peewee

from shared.cards import mask_pans
from shared.logging import get_logger
from store import idempotency
from store.db import DatabaseUnavailable
from store.errors import FieldInvalid, NotFound, StateConflict

PROBLEM_JSON = "application/problem+json"
log = get_logger(__name__)


class Problem(falcon.HTTPError):
    """An HTTP error with an RFC 9457 body.

    Parameters:
      status: HTTP status (int or falcon constant).
      title: Short, stable summary of the problem type.
      detail: What happened this time.
      slug: Names the problem type; the ``type`` member becomes ``/problems/<slug>``.
      errors: For validation: ``[{"field": ..., "reason": ...}, ...]``.
      extensions: More members of the body (RFC 9457 extension members), e.g. ``position``.
    """

    def __init__(self, status, title, detail=None, *, slug=None, errors=None, headers=None, extensions=None):
        super().__init__(status, title=title, description=detail, headers=headers)
        self.slug = slug
        self.errors = errors
        self.extensions = extensions or {}


class ValidationFailed(Problem):
    def __init__(self, errors, detail=None, extensions=None):
        fields = ", ".join(e["field"] for e in errors)
        super().__init__(
            422,
            "Invalid request",
            detail or f"invalid fields: {fields}",
            slug="validation-error",
            errors=errors,
            extensions=extensions,
        )


def field_invalid(exc: FieldInvalid) -> ValidationFailed:
    """The 422 of ``exc``; with its ``position`` (a predicate's line and column) when it has one."""
    errors = [{"field": exc.field, "reason": str(exc)}]
    if exc.position is None:
        return ValidationFailed(errors)
    where = f"line {exc.position['line']}, column {exc.position['column']}"
    return ValidationFailed(errors, f"{exc.field}: {exc} at {where}", {"position": exc.position})


def serialize(req, resp, exc: falcon.HTTPError):
    """Write ``exc`` as problem+json.  The detail and each error's field and reason can echo what the client
    sent (field names, path segments): anything in them that could be a card number is masked here, once."""
    slug, errors = (
        getattr(exc, "slug", None),
        getattr(exc, "errors", None),
    )  # a Problem's; falcon's own errors have none
    body = {
        **getattr(exc, "extensions", {}),
        "type": f"/problems/{slug}" if slug else "about:blank",
        "title": exc.title,
        "status": exc.status_code,
        "detail": mask_pans(exc.description or exc.title),
    }
    if errors:
        body["errors"] = [{"field": mask_pans(e["field"]), "reason": mask_pans(e["reason"])} for e in errors]
    request_id = getattr(req.context, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    resp.data = orjson.dumps(body)
    resp.content_type = PROBLEM_JSON


def _raise(problem):
    def handler(req, resp, exc, params):
        raise problem(exc)

    return handler


def _unexpected(req, resp, exc, params):
    if isinstance(exc, falcon.HTTPError):
        raise exc
    log.exception("unhandled_error", path=req.path)
    raise Problem(500, "Internal server error", "the error was logged; retry later", slug="internal")


def install(app: falcon.App):
    """Register the serializer and every translation of our exceptions (the store's, ``store.errors``, here
    only)."""
    app.set_error_serializer(serialize)
    app.add_error_handler(Exception, _unexpected)

    def unavailable(exc):
        return Problem(
            503,
            "Service unavailable",
            "the database is unreachable; nothing was written",
            slug="unavailable",
            headers={"Retry-After": "2"},
        )

    for error, problem in (
        (NotFound, lambda exc: Problem(404, "Not found", f"no such object: {exc}", slug="not-found")),
        (StateConflict, lambda exc: Problem(409, "Conflict", str(exc), slug=exc.code.replace("_", "-"))),
        (FieldInvalid, field_invalid),
        (
            idempotency.KeyInUse,
            lambda exc: Problem(
                409,
                "Idempotency key in use",
                "a request with this Idempotency-Key is still being processed; retry later",
                slug="idempotency-key-in-use",
                headers={"Retry-After": "1"},
            ),
        ),
        (
            idempotency.KeyReusedWithOtherRequest,
            lambda exc: Problem(
                422,
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request",
                slug="idempotency-key-reused",
            ),
        ),
        (DatabaseUnavailable, unavailable),
        (peewee.OperationalError, unavailable),
        (peewee.InterfaceError, unavailable),
    ):
        app.add_error_handler(error, _raise(problem))
