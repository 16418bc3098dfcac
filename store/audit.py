"""The audit trail: who changed what, appended in the same transaction as the change.

The ingress says who is acting once per request (``acting``); store functions that write call
``record`` inside their unit of work, and the row commits or rolls back with the change (a refused
change leaves no audit row, an accepted one always has its row).  Outside a unit of work (a failed
login, which changes nothing) the row is written at once.  Rows are never updated or deleted: the
database refuses it (migration 0013).
"""

import contextvars
import dataclasses
import re
from collections.abc import Mapping

from shared.cards import mask_pans
from store import unit
from store.db import insert_statement, run_together
from store.models import AuditEvent, utcnow

#: Keys whose values never enter a summary, at any depth.
_SECRET = re.compile(r"secret|password|token|otp|cvc|card_number|ciphertext|digest|^number$", re.I)


@dataclasses.dataclass(frozen=True)
class Actor:  # frozen: safe as a ContextVar default
    """Who is acting, and from where.

    Parameters:
      type: ``user``, ``api_key``, ``service`` (a service token), ``operator`` (the CLI, admin scope),
        ``anonymous`` (before authentication: a login) or ``system``.
      id: The user's or key's id, the service token's ``sub``, the operator's OS user.
    """

    type: str
    id: str | None = None
    request_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None


_SYSTEM = Actor("system")
_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=_SYSTEM)  # noqa: B039


def acting(actor: Actor) -> None:
    """Who the following writes in this context are by (the ingress sets it per request)."""
    _actor.set(actor)


def actor() -> Actor:
    """Who is acting in this context."""
    return _actor.get()


def redact(value: object) -> object:
    """``value`` without secrets: keys naming one dropped at any depth, card numbers masked in strings."""
    if isinstance(value, Mapping):
        return {key: redact(item) for key, item in value.items() if not _SECRET.search(str(key))}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return mask_pans(value)
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
