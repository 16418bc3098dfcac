"""API keys (Stripe's model): a merchant's secret and publishable keys, each with its own scopes and mode.

A publishable key (``pk_test_``/``pk_live_``) is made to be read by anyone (it sits in a checkout page): it
holds only ``tokens:write`` (``POST /tokens``), so it can turn a card into a token and do nothing else.  It is
stored exactly like a secret key.

A secret (``sk_test_`` or ``sk_live_`` and 48 random base62 characters, about 285 bits) is shown once, in
the answer that creates it; the table keeps only its HMAC-SHA256 under ``PAYWAVE_API_KEY_DIGEST_KEY``
(``digest``), with its prefix and last four characters to tell keys apart.  Without the digest key, the
table gives nobody a usable key; with it, a stolen table still gives no secret (an HMAC is not reversible,
and 285 random bits cannot be guessed).

A key works until it is revoked or its ``expires_at`` passes.  Rolling a key makes a new one with the same
name, mode and scopes; the old one keeps working for the overlap asked (0 hours: it stops at once).
Every change is written with its audit event in one unit of work.
"""

import dataclasses
import datetime
import functools
import hmac
from collections.abc import Callable, Sequence

from shared.ids import new_id
from store import audit, unit
from store.db import locked
from store.errors import NotFound, StateConflict
from store.models import ApiKey, utcnow
from store.objects import encode, timestamp
from store.pages import page

SECRET_LENGTH = 48
#: Key type -> the prefix of its secret (then ``test_`` or ``live_``).
PREFIXES = {"secret": "sk", "publishable": "pk"}
MAX_OVERLAP_HOURS = 168
#: ``last_used_at`` is written at most this often per key (not once per request).
TOUCH_EVERY = datetime.timedelta(minutes=1)


def digest(secret: str, digest_key: str) -> str:
    """The only form a secret is stored or looked up in: HMAC-SHA256 under ``digest_key``, hex."""
    return hmac.digest(digest_key.encode(), secret.encode(), "sha256").hex()  # the one-shot C path


def mode(livemode: bool) -> str:
    return "live" if livemode else "test"


def usable(key: ApiKey, now: datetime.datetime) -> bool:
    """Whether ``key`` authenticates at ``now`` (UTC, naive): not revoked, not expired."""
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


def key_object(key: ApiKey, secret: str | None = None) -> dict:
    """The API's api_key object; ``secret`` only in the answer that creates the key."""
    obj = {
        "id": key.id,
        "object": "api_key",
        "name": key.name,
        "type": key.type,
        "mode": mode(key.livemode),
        "livemode": key.livemode,
        "prefix": key.prefix,
        "last4": key.last4,
        "scopes": key.scopes,
        "created_at": timestamp(key.created_at),
        "expires_at": key.expires_at and timestamp(key.expires_at),
        "last_used_at": key.last_used_at and timestamp(key.last_used_at),
        "revoked_at": key.revoked_at and timestamp(key.revoked_at),
        "rolled_to": key.rolled_to,
    }
    if secret:
        obj["secret"] = secret
    return obj


@dataclasses.dataclass(frozen=True)
class KeySpec:
    """What a new key is, as checked (``ingress.resources.api_keys.key_create``).

    Parameters:
      scopes: Among ``ingress.permissions.SCOPES``, none beyond the creator's.
      expires_at: UTC, naive; None: never.
      type: A key of ``PREFIXES``.
    """

    name: str
    livemode: bool
    scopes: Sequence[str]
    expires_at: datetime.datetime | None = None
    type: str = "secret"


def _insert(merchant_id: str, spec: KeySpec, created_by: str, digest_key: str) -> tuple[ApiKey, str]:
    """A new key and its secret, audited as ``api_key.created``, in the open unit of work."""
    prefix = f"{PREFIXES[spec.type]}_{mode(spec.livemode)}"
    secret = new_id(prefix, SECRET_LENGTH)
    key = ApiKey.create(
        id=new_id("key"),
        merchant_id=merchant_id,
        name=spec.name,
        livemode=spec.livemode,
        type=spec.type,
        prefix=f"{prefix}_",
        last4=secret[-4:],
        digest=digest(secret, digest_key),
        scopes=list(spec.scopes),
        created_by=created_by,
        created_at=utcnow(),
        expires_at=spec.expires_at,
    )
    audit.record(merchant_id, "api_key.created", key.id, after=key_object(key))
    return key, secret


def _answer(work: unit.Unit, key: ApiKey, secret: str) -> dict:
    """The answer with the secret; the unit's saved response without it (a replay cannot reveal it)."""
    work.respond(201, encode(key_object(key)), f"/api_keys/{key.id}")
    return key_object(key, secret)


def create(merchant_id: str, spec: KeySpec, created_by: str, digest_key: str) -> dict:
    """A new key, in the open unit of work (or one of its own), audited as ``api_key.created``.

    Parameters:
      created_by: ``<kind>:<id>`` of the creating credential, or ``cli:<OS user>``.

    Returns:
      The api_key object with its ``secret`` (the only time it is shown).
    """
    with unit.joined() as work:
        key, secret = _insert(merchant_id, spec, created_by, digest_key)
        return _answer(work, key, secret)


def get(merchant_id: str, key_id: str, livemode: bool | None = None, lock: bool = False) -> ApiKey:
    """The merchant's key ``key_id``.

    Parameters:
      livemode: Only a key of this mode (a test credential sees test keys only); None: either.

    Raises:
      NotFound: no such key for this merchant (and mode).
    """
    query = ApiKey.select().where((ApiKey.id == key_id) & (ApiKey.merchant_id == merchant_id))
    if livemode is not None:
        query = query.where(ApiKey.livemode == livemode)
    key = (locked(query) if lock else query).first()
    if key is None:
        raise NotFound(key_id)
    return key


def list_keys(
    merchant_id: str, livemode: bool | None, *, limit: int, starting_after: str | None = None
) -> tuple[list[dict], bool]:
    """The merchant's keys (of one mode, unless None), newest first: ``([api_key objects], has_more)``."""
    query = ApiKey.select().where(ApiKey.merchant_id == merchant_id)
    if livemode is not None:
        query = query.where(ApiKey.livemode == livemode)
    rows, has_more = page(
        query, limit, starting_after, functools.partial(get, merchant_id, livemode=livemode)
    )
    return [key_object(k) for k in rows], has_more


def revoke(merchant_id: str, key_id: str, livemode: bool | None = None) -> ApiKey:
    """Revoke the key now (a key revoked already keeps its first ``revoked_at``), audited as
    ``api_key.revoked``.

    Returns:
      The key as revoked.

    Raises:
      NotFound: no such key for this merchant (and mode).
    """
    with unit.joined():
        key = get(merchant_id, key_id, livemode, lock=True)
        if key.revoked_at is None:
            before = key_object(key)
            key.revoked_at = utcnow()
            key.save()
            audit.record(merchant_id, "api_key.revoked", key.id, before=before, after=key_object(key))
        return key


def roll(
    merchant_id: str,
    key_id: str,
    expires_in_hours: int,
    created_by: str,
    digest_key: str,
    livemode: bool | None = None,
) -> tuple[ApiKey, dict]:
    """A new key with the old one's name, mode, scopes and expiry; the old one expires in
    ``expires_in_hours`` (0: now; never later than it would have), audited as ``api_key.created`` (the new
    key) and ``api_key.rolled`` (the old one).

    Returns:
      ``(the old key as now, the new api_key object with its secret)``.

    Raises:
      NotFound: no such key for this merchant (and mode).
      StateConflict: the key is revoked, expired, or rolled already.
    """
    with unit.joined() as work:
        old = get(merchant_id, key_id, livemode, lock=True)
        now = utcnow()
        if old.rolled_to:
            raise StateConflict(f"the key was rolled already, to {old.rolled_to}", "key_rolled")
        if not usable(old, now):
            raise StateConflict("a revoked or expired key cannot be rolled", "key_unusable")
        before = key_object(old)
        spec = KeySpec(old.name, old.livemode, old.scopes, old.expires_at, old.type)
        new, secret = _insert(merchant_id, spec, created_by, digest_key)
        overlap_end = now + datetime.timedelta(hours=expires_in_hours)
        old.expires_at = min(overlap_end, old.expires_at or overlap_end)
        old.rolled_to = new.id
        old.save()
        audit.record(merchant_id, "api_key.rolled", old.id, before=before, after=key_object(old))
        return old, _answer(work, new, secret)


def find(secret_digest: str) -> ApiKey | None:
    """The key whose secret has this digest, whatever its state (the caller checks ``usable``)."""
    return ApiKey.get_or_none(ApiKey.digest == secret_digest)


def verify(secret: str, digest_key: str, lookup: Callable[[str], ApiKey | None] = find) -> ApiKey | None:
    """The key of ``secret`` when it authenticates now, else None.

    Parameters:
      lookup: ``find``, or a cache in front of it (``ingress.auth``): only the key's state is remembered,
        never whether it authenticates, so one cached past its ``expires_at`` is refused at once.
    """
    key = lookup(digest(secret, digest_key))
    return key if key is not None and usable(key, utcnow()) else None


def touch(key_id: str, now: datetime.datetime) -> None:
    """Record a use at ``now``, unless one was recorded less than ``TOUCH_EVERY`` before (by any process)."""
    ApiKey.update(last_used_at=now).where(
        (ApiKey.id == key_id) & ((ApiKey.last_used_at.is_null()) | (ApiKey.last_used_at < now - TOUCH_EVERY))
    ).execute()
