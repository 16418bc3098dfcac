"""``/api_keys``: a merchant's secret keys (``store.api_keys``).

A key holds the scopes it is created with, never one its creator lacks (403 naming it), and a test-mode
credential creates, sees, rolls and revokes test keys only.  The secret is in the answer of a create or a
roll, once: an ``Idempotency-Key`` replay answers the same key without it.
"""

import datetime
import functools

import falcon

from ingress import permissions, validation
from ingress.auth import KeyAuthenticator
from ingress.errors import Problem
from ingress.resources.common import KEY_ID, answer_list, known_id, parse_timestamp, unit_of_work
from store import api_keys
from store.models import utcnow

NAME_MAX = 255
MODES = ("test", "live")


def routes(app: falcon.App, config, keys: KeyAuthenticator) -> None:
    """Add the ``/api_keys`` routes to ``app``.

    Parameters:
      config: ``shared.config.Config`` (``api_key_digest_key``).
      keys: The app's ``KeyAuthenticator``, told of each key revoked or rolled here.
    """
    app.add_route("/api_keys", Collection(config.api_key_digest_key))
    app.add_route("/api_keys/{key_id}", Item(keys))
    app.add_route("/api_keys/{key_id}/roll", Roll(config.api_key_digest_key, keys))


def key_create(body: dict, principal: permissions.Principal):
    """``POST /api_keys``'s body checked: a secret key (the default) with scopes among the creator's, or a
    publishable one (``type: "publishable"``) holding ``tokens:write`` only (whoever may create keys may
    create one: it hands out no scope the creator holds).

    Returns:
      The ``api_keys.KeySpec`` asked for.

    Raises:
      ValidationFailed: listing every bad field.
      Problem: 403, a scope or a mode beyond the credential's.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("name", "mode", "type", "scopes", "expires_at"))
    name = validation.string(errors, "name", body.get("name"), NAME_MAX)
    if not name:
        errors.add("name", f"is required: 1 to {NAME_MAX} characters")
    if body.get("mode") not in MODES:
        errors.add("mode", "must be test or live")
    scopes = body.get("scopes")
    if scopes is not None and not (
        isinstance(scopes, list)
        and scopes
        and all(isinstance(s, str) and s in permissions.SCOPES for s in scopes)
        and len(set(scopes)) == len(scopes)
    ):
        errors.add(
            "scopes", f"must be a non-empty list of distinct scopes among {', '.join(permissions.SCOPES)}"
        )
    key_type = body.get("type", "secret")
    if not isinstance(key_type, str) or key_type not in api_keys.PREFIXES:
        errors.add("type", f"must be one of {', '.join(api_keys.PREFIXES)}")
    elif key_type == "publishable" and scopes is not None:
        errors.add("scopes", f"a publishable key holds {permissions.TOKENS} only: leave scopes out")
    expires_at = _expiry(errors, body.get("expires_at"))
    errors.raise_if_any()
    livemode = body["mode"] == "live"
    if livemode and not principal.livemode:
        raise Problem(403, "Forbidden", "a test-mode credential creates test keys only", slug="test-mode")
    if key_type == "publishable":  # anyone may read it in a page: it can only create tokens
        return api_keys.KeySpec(name, livemode, [permissions.TOKENS], expires_at, key_type)
    wanted = principal.scopes if scopes is None else set(scopes)  # default: all the creator holds
    scopes = [s for s in permissions.SCOPES if s in wanted]  # in the README's order, whatever was sent
    for scope in scopes:
        permissions.require(principal.scopes, scope)
    return api_keys.KeySpec(name, livemode, scopes, expires_at)


def _expiry(errors, value) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        expires_at = parse_timestamp(value)
    except (ValueError, OverflowError):
        errors.add("expires_at", "must be an ISO 8601 timestamp")
        return None
    if expires_at <= utcnow():
        errors.add("expires_at", "must be in the future")
    return expires_at


def _visible(principal: permissions.Principal) -> bool | None:
    """The keys a credential manages: a test-mode one test keys only (``False``); others all (None)."""
    return None if principal.livemode else False


def _created_by(principal: permissions.Principal) -> str:
    return f"{principal.kind}:{principal.id}"


class Collection:
    """``POST /api_keys`` (201, with the secret) and ``GET`` (newest first)."""

    actions = {"GET": "api_keys.read", "POST": "api_keys.write"}

    def __init__(self, digest_key: str):
        self.digest_key = digest_key

    def on_post(self, req, resp):
        principal = req.context.principal
        spec = key_create(req.context.body, principal)
        with unit_of_work(req):
            key = api_keys.create(principal.merchant_id, spec, _created_by(principal), self.digest_key)
        resp.status = 201
        resp.location = f"/api_keys/{key['id']}"
        resp.media = key

    def on_get(self, req, resp):
        principal = req.context.principal
        fetch = functools.partial(api_keys.list_keys, principal.merchant_id, _visible(principal))
        answer_list(req, resp, fetch, KEY_ID)


@falcon.before(known_id)
class Item:
    """``GET /api_keys/{id}``, and ``DELETE`` (revoked at once in this process, within
    ``PAYWAVE_CREDENTIAL_CACHE_SECONDS`` in the others): 200 with the revoked key."""

    actions = {"GET": "api_keys.read", "DELETE": "api_keys.write"}

    def __init__(self, keys: KeyAuthenticator):
        self.keys = keys

    def on_get(self, req, resp, key_id):
        principal = req.context.principal
        resp.media = api_keys.key_object(api_keys.get(principal.merchant_id, key_id, _visible(principal)))

    def on_delete(self, req, resp, key_id):
        principal = req.context.principal
        key = api_keys.revoke(principal.merchant_id, key_id, _visible(principal))
        self.keys.forget(key)
        resp.media = api_keys.key_object(key)


@falcon.before(known_id)
class Roll:
    """``POST /api_keys/{id}/roll {expires_in_hours}``: 201 with a new key and its secret; the old one
    keeps working for that many hours (0: stops now).  The roller must hold every scope of the key."""

    actions = {"POST": "api_keys.write"}

    def __init__(self, digest_key: str, keys: KeyAuthenticator):
        self.digest_key = digest_key
        self.keys = keys

    def on_post(self, req, resp, key_id):
        principal = req.context.principal
        hours = _overlap(req.context.body)
        with unit_of_work(req):
            old = api_keys.get(principal.merchant_id, key_id, _visible(principal))
            # a roll hands out a secret: never one holding more than the roller (a publishable key's
            # tokens:write excepted, as when it was created)
            for scope in set(old.scopes) - {permissions.TOKENS}:
                permissions.require(principal.scopes, scope)
            old, new = api_keys.roll(
                principal.merchant_id,
                key_id,
                hours,
                _created_by(principal),
                self.digest_key,
                _visible(principal),
            )
        self.keys.forget(old)
        resp.status = 201
        resp.location = f"/api_keys/{new['id']}"
        resp.media = new


def _overlap(body: dict) -> int:
    """``expires_in_hours``, required.

    Raises:
      ValidationFailed: it is missing, not a whole number, or outside 0 to ``MAX_OVERLAP_HOURS``.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("expires_in_hours",))
    hours = body.get("expires_in_hours")
    if isinstance(hours, int) and not isinstance(hours, bool) and 0 <= hours <= api_keys.MAX_OVERLAP_HOURS:
        errors.raise_if_any()
        return hours
    errors.add(
        "expires_in_hours",
        f"is required: whole hours from 0 (the old key stops now) to {api_keys.MAX_OVERLAP_HOURS}",
    )
    raise validation.ValidationFailed(errors.items)
