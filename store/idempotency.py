"""Idempotency-Key records (IETF draft-ietf-httpapi-idempotency-key-header).

``claim`` takes the key in its own short transaction, so a concurrent request
with the same key sees it at once (409).  The response is saved by ``complete``
inside the transaction of the work itself: either both the change and the saved
response commit, or neither does.  A claim left by a crashed process is taken
over after ``STALE_AFTER``; ``complete`` checks the claim token so the slower of
two holders rolls back instead of writing twice.  A claim whose Postgres backend is gone
(the process holding it died mid-request: its connection closed) is taken over at once.
"""

import dataclasses
import datetime
import hashlib
from collections.abc import Callable, Iterable

import orjson
import peewee

from store.db import Statement, database, is_postgres, run_together
from store.models import IdempotencyRecord, utcnow

STALE_AFTER = datetime.timedelta(seconds=120)


class KeyInUse(Exception):
    """Another request with this key is being processed."""


class KeyReusedWithOtherRequest(Exception):
    """The key was used before with a different request."""


@dataclasses.dataclass(frozen=True)
class Saved:
    status: int
    body: bytes
    location: str | None


@dataclasses.dataclass(frozen=True)
class Claim:
    merchant_id: str
    livemode: bool
    key: str
    token: datetime.datetime


def claim(
    merchant_id: str, key: str, request_hash: str, ttl_hours: int = 24, *, livemode: bool
) -> Claim | Saved:
    """Take ``key`` for this request.

    Parameters:
      livemode: The credential's mode: a key is per merchant and mode (one used in test never replays
        a live response, nor the reverse).
      key: The client's ``Idempotency-Key``; only its SHA-256 digest is kept (the key is the client's
        free text and may hold a card number).

    Returns:
      A ``Claim`` to pass to ``complete``/``release``, or a ``Saved`` response to replay.

    Raises:
      KeyInUse, KeyReusedWithOtherRequest.
    """
    key = hashlib.sha256(key.encode()).hexdigest()
    for _ in range(3):
        now = utcnow()
        try:  # one statement, committed at once (the connection is in autocommit)
            IdempotencyRecord.insert(
                merchant_id=merchant_id,
                livemode=livemode,
                key=key,
                request_hash=request_hash,
                state="in_progress",
                claimer_pid=peewee.fn.pg_backend_pid() if is_postgres() else None,
                created_at=now,
                expires_at=now + datetime.timedelta(hours=ttl_hours),
            ).execute()
            return Claim(merchant_id, livemode, key, now)
        except peewee.IntegrityError:
            pass
        record = IdempotencyRecord.get_or_none(merchant_id=merchant_id, livemode=livemode, key=key)
        if record is None:
            continue  # released meanwhile: try again
        if record.expires_at < now or (
            record.state == "in_progress" and (now - record.created_at > STALE_AFTER or _claimer_gone(record))
        ):
            _delete(record)
            continue
        if record.request_hash != request_hash:
            raise KeyReusedWithOtherRequest(key)
        if record.state == "in_progress":
            raise KeyInUse(key)
        # A done record holds the response complete() saved.
        assert record.response_status is not None and record.response_body is not None
        return Saved(record.response_status, record.response_body.encode(), record.response_location)
    raise KeyInUse(key)


def _claimer_gone(record: IdempotencyRecord) -> bool:
    """Whether the backend that took the claim has ended (so has the request that held it)."""
    if record.claimer_pid is None:
        return False
    return not database.execute_sql(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", (record.claimer_pid,)
    ).fetchone()[0]


def _delete(record: IdempotencyRecord) -> None:
    (
        IdempotencyRecord.delete()
        .where(
            (IdempotencyRecord.merchant_id == record.merchant_id)
            & (IdempotencyRecord.livemode == record.livemode)
            & (IdempotencyRecord.key == record.key)
            & (IdempotencyRecord.created_at == record.created_at)
        )
        .execute()
    )


def complete(
    claim_: Claim, status: int, body: bytes, location: str | None = None, together: Iterable[Statement] = ()
) -> None:
    """Save the response; call inside the work's transaction.

    Parameters:
      together: ``(sql, params)`` statements of the work to send in the same round trip.

    Raises:
      KeyInUse: the claim was taken over meanwhile (the caller's transaction must roll back).
    """
    query = IdempotencyRecord.update(
        state="done", response_status=status, response_body=body.decode(), response_location=location
    ).where(
        (IdempotencyRecord.merchant_id == claim_.merchant_id)
        & (IdempotencyRecord.livemode == claim_.livemode)
        & (IdempotencyRecord.key == claim_.key)
        & (IdempotencyRecord.created_at == claim_.token)
        & (IdempotencyRecord.state == "in_progress")
    )
    if run_together([*together, query.sql()]) != 1:
        raise KeyInUse(claim_.key)


def release(claim_: Claim) -> None:
    """Free the key after a request that changed nothing (an error answer)."""
    with database.atomic():
        (
            IdempotencyRecord.delete()
            .where(
                (IdempotencyRecord.merchant_id == claim_.merchant_id)
                & (IdempotencyRecord.livemode == claim_.livemode)
                & (IdempotencyRecord.key == claim_.key)
                & (IdempotencyRecord.created_at == claim_.token)
                & (IdempotencyRecord.state == "in_progress")
            )
            .execute()
        )


def rewrite(merchant_id: str, livemode: bool, object_id: str, change: Callable[[dict], dict]) -> int:
    """Rewrite through ``change`` the saved responses of the merchant's keys in ``livemode`` whose object is
    ``object_id`` (the personal data a replay would give back, once erased).  A record is never deleted: its
    key must go on replaying, never run the request twice.  In the caller's transaction.

    Returns:
      How many records were rewritten.
    """
    query = IdempotencyRecord.select().where(
        (IdempotencyRecord.merchant_id == merchant_id)
        & (IdempotencyRecord.livemode == livemode)
        & (IdempotencyRecord.state == "done")
        & IdempotencyRecord.response_body.contains(f'"id":"{object_id}"')  # orjson writes no spaces
    )
    rewritten = 0
    for record in query:
        body = orjson.loads(record.response_body or "null")
        if not isinstance(body, dict) or body.get("id") != object_id:
            continue
        IdempotencyRecord.update(response_body=orjson.dumps(change(body)).decode()).where(
            (IdempotencyRecord.merchant_id == merchant_id)
            & (IdempotencyRecord.livemode == livemode)
            & (IdempotencyRecord.key == record.key)
        ).execute()
        rewritten += 1
    return rewritten


def purge_expired() -> int:
    return IdempotencyRecord.delete().where(IdempotencyRecord.expires_at < utcnow()).execute()
