"""``/dashboard/api_keys``: the merchant's keys in the mode being viewed (``store.api_keys``, as ``/api_keys``
keeps them): create one (its secret shown once, in the answer to the form, never in a URL or a cookie), roll
one with an overlap, revoke one.  A key never holds a scope the user's role lacks.

A revocation here reaches the API's processes within ``PAYWAVE_CREDENTIAL_CACHE_SECONDS`` (their key cache).
"""

import re

import falcon

from dashboard import PREFIX
from dashboard.web import form, form_list, redirect, render
from shared.permissions import ROLES, SCOPES, TOKENS
from store import api_keys
from store.errors import StateConflict
from store.unit import Unit

PAGE_SIZE = 100
NAME_MAX = 255
KEY_ID = re.compile(r"key_[A-Za-z0-9]{24}")
#: The overlaps a roll offers, in hours: the old key keeps working that long.
OVERLAPS = (0, 1, 24, 72, api_keys.MAX_OVERLAP_HOURS)


def _created_by(viewer) -> str:
    return f"user:{viewer.signed_in.user_id}"  # as the API writes a session's ``<kind>:<id>``


def _page(req, resp, status=200, secret=None, error=None):
    viewer = req.context.viewer
    keys, _ = api_keys.list_keys(viewer.merchant_id, viewer.livemode, limit=PAGE_SIZE)
    held = [scope for scope in SCOPES if scope in ROLES[viewer.role]]
    render(
        req,
        resp,
        "api_keys.html",
        status,
        keys=keys,
        scopes=held,
        overlaps=OVERLAPS,
        secret=secret,
        error=error,
    )


class Collection:
    """``GET /dashboard/api_keys`` and ``POST`` (a new key: name, type, scopes among the role's)."""

    actions = {"GET": "api_keys.read", "POST": "api_keys.write"}

    def __init__(self, digest_key: str):
        self.digest_key = digest_key

    def on_get(self, req, resp):
        _page(req, resp)

    def on_post(self, req, resp):
        viewer, fields = req.context.viewer, form(req)
        name = fields.get("name", "").strip()
        key_type = fields.get("type", "secret")
        wanted = form_list(req, "scopes")
        role = ROLES[viewer.role]
        if not 1 <= len(name) <= NAME_MAX:
            return _page(req, resp, 422, error=f"Give the key a name (1 to {NAME_MAX} characters).")
        if key_type not in api_keys.PREFIXES:
            return _page(req, resp, 422, error="Choose a secret or a publishable key.")
        if key_type == "publishable":
            scopes = [TOKENS]
        else:
            scopes = [scope for scope in SCOPES if scope in wanted]
            if not scopes or set(wanted) - set(scopes) or set(scopes) - role:
                return _page(req, resp, 422, error="Choose at least one scope, among those your role holds.")
        spec = api_keys.KeySpec(name, viewer.livemode, scopes, type=key_type)
        with Unit():
            key = api_keys.create(viewer.merchant_id, spec, _created_by(viewer), self.digest_key)
        _page(req, resp, 201, secret=key)


class Roll:
    """``POST /dashboard/api_keys/{id}/roll {expires_in_hours}``: a new key, shown once; the old one works on
    for the overlap chosen.  The user must hold every scope of the key."""

    actions = {"POST": "api_keys.write"}

    def __init__(self, digest_key: str):
        self.digest_key = digest_key

    def on_post(self, req, resp, key_id):
        viewer = req.context.viewer
        hours = form(req).get("expires_in_hours", "")
        if not hours.isdigit() or int(hours) not in OVERLAPS:
            return _page(req, resp, 422, error="Choose how long the old key keeps working.")
        try:
            with Unit():
                old = api_keys.get(viewer.merchant_id, _known(key_id), viewer.livemode, lock=True)
                if set(old.scopes) - {TOKENS} - ROLES[viewer.role]:
                    return _page(req, resp, 403, error="This key holds scopes your role lacks: ask an owner.")
                _, new = api_keys.roll(
                    viewer.merchant_id,
                    key_id,
                    int(hours),
                    _created_by(viewer),
                    self.digest_key,
                    viewer.livemode,
                )
        except StateConflict as exc:
            return _page(req, resp, 409, error=f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
        _page(req, resp, 201, secret=new)


class Revoke:
    """``POST /dashboard/api_keys/{id}/revoke``: the key stops working (``DELETE /api_keys/{id}``)."""

    actions = {"POST": "api_keys.write"}

    def on_post(self, req, resp, key_id):
        viewer = req.context.viewer
        key = api_keys.revoke(viewer.merchant_id, _known(key_id), viewer.livemode)
        redirect(req, resp, f"{PREFIX}/api_keys", f"Key {key.name} (…{key.last4}) is revoked.")


def _known(key_id: str) -> str:
    """Raises falcon.HTTPNotFound for an id that cannot be a key."""
    if not KEY_ID.fullmatch(key_id):
        raise falcon.HTTPNotFound()
    return key_id


def routes(app, config):
    app.add_route(f"{PREFIX}/api_keys", Collection(config.api_key_digest_key))
    app.add_route(f"{PREFIX}/api_keys/{{key_id}}/roll", Roll(config.api_key_digest_key))
    app.add_route(f"{PREFIX}/api_keys/{{key_id}}/revoke", Revoke())
