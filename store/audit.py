"""The audit trail: who changed what, appended in the same transaction as the change.

The ingress says who is acting once per request (``acting``); store functions that write call
``record`` inside their unit of work, and the row commits or rolls back with the change (a refused
change leaves no audit row, an accepted one always has its row).  Outside a unit of work (a failed
login, which changes nothing) the row is written at once.  Rows are never updated or deleted: the
database refuses it (migration 0013).  ``GET /audit_events`` reads them (``list_``, ``get``).
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import contextvars
import dataclasses
import datetime
import functools
import re
from collections.abc import Mapping

import peewee

from shared.cards import mask_pans
from store import unit
from store.db import insert_statement, run_together
from store.errors import NotFound
from store.models import AuditEvent, utcnow
from store.objects import audit_event_object
from store.pages import page

#: Keys whose values never enter a summary, at any depth.
_SECRET = re.compile(r"secret|password|token|otp|cvc|card_number|ciphertext|digest|^number$", re.I)


@dataclasses.dataclass(frozen=True)
class Actor:  # frozen: safe as a ContextVar default
    """Who is acting, and from where.

    Parameters:
      type: One of ``ACTOR_TYPES``: ``user``, ``api_key``, ``service`` (a service token), ``operator``
        (the CLI, or a token with the ``admin`` scope), ``anonymous`` (before authentication: a login) or
        ``system``.
      id: The user's or key's id, the service token's ``sub``; an operator's ``cli:<OS user>`` or
        ``api:<token sub>``.
    """

    type: str
    id: str | None = None
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


ACTOR_TYPES = ("user", "api_key", "service", "operator", "anonymous", "system")
_SYSTEM = Actor("system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=_SYSTEM)  # noqa: B039


def acting(actor: Actor) -> None:
    """Who the following writes in this context are by (the ingress sets it per request)."""
    _actor.set(actor)


def actor() -> Actor:
    """Who is acting in this context."""
    return _actor.get()


@functools.lru_cache(maxsize=1024)
def _names_secret(key: str) -> bool:
    """Whether ``key`` names a secret. Remembered: the same few dozen keys come on every write, and the
    search per key was half of a new payment's audit event."""
    return _SECRET.search(key) is not None


def redact(value: object) -> object:
    """``value`` without secrets: keys naming one dropped at any depth, card numbers masked in strings."""
    if isinstance(value, str):
        return mask_pans(value)
    if isinstance(value, Mapping):
        return {key: redact(item) for key, item in value.items() if not _names_secret(str(key))}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


def record(
    merchant_id: str | None,
    action: str,
    object_id: str | None = None,
    *,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> None:
    """Append one audit event by the current actor, with the open unit of work (or at once without one).

    Parameters:
      action: ``<object>.<verb>`` in the past tense: ``payment.created``, ``api_key.rolled``.
      before, after: What changed, as the API shows it; secrets and card numbers are removed here.
    """
    who = _actor.get()
    summary = {}
    if before is not None:
        summary["before"] = redact(before)
    if after is not None:
        summary["after"] = redact(after)
    row = AuditEvent(
        created_at=utcnow(),
        merchant_id=merchant_id,
        actor_type=who.type,
        actor_id=who.id,
        action=action,
        object_id=object_id,
        request_id=who.request_id,
        ip=who.ip,
        user_agent=who.user_agent,
        summary=summary,
    )
    work = unit.current()
    if work is None:
        run_together([insert_statement(row)])
    else:
        work.also(insert_statement(row))


def record_change(
    merchant_id: str | None,
    action: str,
    object_id: str,
    before: Mapping[str, object],
    after: Mapping[str, object],
    evidence: Mapping[str, object] | None = None,
) -> None:
    """``record`` what changed: the fields whose values differ, before and after.

    Parameters:
      before, after: The object as the API shows it, before and after the change.
      evidence: Added to ``after`` as is (what the actor gave as the reason for the change).
    """
    fields = [name for name in after if before.get(name) != after[name]]
    record(
        merchant_id,
        action,
        object_id,
        before={name: before.get(name) for name in fields},
        after={**{name: after[name] for name in fields}, **(evidence or {})},
    )


@dataclasses.dataclass(frozen=True)
class Filters:
    """What ``GET /audit_events`` asks for; every field given must hold.

    ``action`` is exact, or ends with ``.`` for every action it starts (``payment.``: ``payment.*``).
    """

    actor_id: str | None = None
    actor_type: str | None = None
    action: str | None = None
    object_id: str | None = None
    created_gte: datetime.datetime | None = None
    created_lte: datetime.datetime | None = None


def get(merchant_id: str, audit_event_id: str) -> AuditEvent:
    """One audit event of the merchant, by its API id (``aev_<n>``).

    Raises:
      NotFound: no such event for this merchant.
    """
    _, _, number = audit_event_id.partition("aev_")
    event = None
    if number.isascii() and number.isdigit() and len(number) <= 18:  # beyond: no BIGINT holds it
        query = AuditEvent.select().where(AuditEvent.id == int(number), AuditEvent.merchant_id == merchant_id)
        event = query.first()
    if event is None:
        raise NotFound(audit_event_id)
    return event


def _matching(merchant_id: str, filters: Filters) -> peewee.ModelSelect[AuditEvent]:
    query = AuditEvent.select().where(AuditEvent.merchant_id == merchant_id)
    equals = (
        (AuditEvent.actor_id, filters.actor_id),
        (AuditEvent.actor_type, filters.actor_type),
        (AuditEvent.object_id, filters.object_id),
    )
    for column, value in equals:
        if value is not None:
            query = query.where(column == value)
    if filters.action is not None:
        action = filters.action
        # startswith escapes LIKE's wildcards (an ``_`` in an action is itself)
        query = query.where(
            AuditEvent.action.startswith(action) if action.endswith(".") else AuditEvent.action == action
        )
    if filters.created_gte is not None:
        query = query.where(AuditEvent.created_at >= filters.created_gte)
    if filters.created_lte is not None:
        query = query.where(AuditEvent.created_at <= filters.created_lte)
    return query


def list_(
    merchant_id: str, *, limit: int, starting_after: str | None = None, filters: Filters = Filters()
) -> tuple[list[dict], bool]:
    """The merchant's audit events ``filters`` asks for, newest first.

    Returns:
      ``([audit event objects], has_more)``.

    Raises:
      NotFound: ``starting_after`` is no audit event of the merchant.
    """
    rows, has_more = page(
        _matching(merchant_id, filters), limit, starting_after, functools.partial(get, merchant_id)
    )
    return [audit_event_object(e) for e in rows], has_more
