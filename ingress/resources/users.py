"""``/users``: a merchant's members and invitations, and ``/users/me``: a user's own account (second factor,
password).

Whom a credential may manage: a member whose role, and only to a role whose scopes, it holds all of (so
only an owner, who holds ``owners:write``, grants, changes or removes ``owner``).  The last owner stays.
"""

import functools

import falcon

from ingress import permissions, validation
from ingress.errors import Problem
from ingress.resources.common import USER_ID, answer_list, known_id, unit_of_work
from shared.permissions import within
from store import users
from store.models import User
from store.objects import encode
from store.passwords import Passwords, weakness

EMAIL_MAX = 254
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
PASSWORD_MAX = 256
NAME_MAX = 255


def user_only(req) -> permissions.Principal:
    """The request's principal, a user's session.

    Raises:
      Problem: 403 for an API key or a service token (they have no account of their own).
    """
    principal = req.context.principal
    if principal.kind != "user":
        raise Problem(
            403, "Forbidden", "only a user's session (POST /auth/login) has an account", slug="user-only"
        )
    return principal


def may_grant(principal: permissions.Principal, role: str) -> None:
    """Raises:
    Problem: 403 when ``role`` holds a scope ``principal`` lacks (a role above its own).
    """
    if not within(principal.scopes, role):
        raise Problem(
            403, "Forbidden", f"the role {role} is above this credential's own", slug="role-exceeds-own"
        )


def _role(errors, value):
    if not isinstance(value, str) or value not in permissions.ROLES:  # a list or object is unhashable
        errors.add("role", f"must be one of {', '.join(permissions.ROLES)}")
        return None
    return value


def _fields(body: dict, allowed: tuple[str, ...], required: tuple[str, ...]) -> validation.Errors:
    errors = validation.Errors()
    validation.unknown(errors, body, allowed)
    for field in required:
        if body.get(field) is None:
            errors.add(field, "is required")
    return errors


def _password(errors, field, value, new: bool) -> str | None:
    """``value`` as a password; a ``new`` one must not be weak (``store.passwords.weakness``)."""
    if not isinstance(value, str) or not value:
        errors.add(field, "is required, a string")
        return None
    reason = weakness(value) if new else (None if len(value) <= PASSWORD_MAX else "is too long")
    if reason:
        errors.add(field, reason)
        return None
    return value


def invitation_fields(body: dict) -> tuple[str, str]:
    """``(email, role)`` of ``POST /users`` (and ``paywave admin create-user``).

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = _fields(body, ("email", "role"), ("email", "role"))
    email = validation.string(errors, "email", body.get("email"), EMAIL_MAX, EMAIL)
    role = _role(errors, body.get("role"))
    errors.raise_if_any()
    return email, role


def new_password(value: object, field: str = "password") -> str:
    """A new password, strong enough.

    Raises:
      ValidationFailed: naming ``field``.
    """
    errors = validation.Errors()
    password = _password(errors, field, value, new=True)
    errors.raise_if_any()
    return password  # type: ignore[return-value]  # checked above


class Collection:
    """``POST /users {email, role}``: an invitation (201, its token shown once); ``GET``: the members."""

    actions = {"GET": "users.read", "POST": "users.write"}

    def __init__(self, config):
        self.hours = config.invitation_hours

    def on_post(self, req, resp):
        email, role = invitation_fields(req.context.body)
        may_grant(req.context.principal, role)
        with unit_of_work(req):
            resp.media = users.invite(req.context.merchant_id, email, role, self.hours)
        resp.status = 201

    def on_get(self, req, resp):
        answer_list(req, resp, functools.partial(users.members, req.context.merchant_id), USER_ID)


class Accept:
    """``POST /users/accept {token, password[, name]}``: joins the merchant (201 with the user)."""

    public = True

    def __init__(self, passwords: Passwords):
        self.passwords = passwords

    def on_post(self, req, resp):
        body = req.context.body
        errors = _fields(body, ("token", "password", "name"), ("token",))
        token = validation.string(errors, "token", body.get("token"), 128)
        password = body.get("password")
        if not isinstance(password, str) or not 1 <= len(password) <= PASSWORD_MAX:
            errors.add("password", f"is required, a string of at most {PASSWORD_MAX} characters")
        name = validation.string(errors, "name", body.get("name"), NAME_MAX)
        errors.raise_if_any()
        try:
            user = users.accept(token, password, name, self.passwords)
        except users.BadCredentials:
            raise Problem(
                401,
                "Unauthorized",
                "this email has an account: give its password to accept",
                slug="unauthorized",
            ) from None
        resp.status = 201
        resp.media = user


@falcon.before(known_id)
class Item:
    """``GET``, ``PATCH {role}`` and ``DELETE /users/{id}``: one member (removing ends their sessions)."""

    actions = {"GET": "users.read", "PATCH": "users.write", "DELETE": "users.write"}

    def on_get(self, req, resp, user_id):
        resp.media = users.member(req.context.merchant_id, user_id)

    def on_patch(self, req, resp, user_id):
        body = req.context.body
        errors = _fields(body, ("role",), ("role",))
        role = _role(errors, body.get("role"))
        errors.raise_if_any()
        principal = req.context.principal
        may_grant(principal, role)
        with unit_of_work(req) as work:
            user = users.change_role(
                req.context.merchant_id, user_id, role, functools.partial(may_grant, principal)
            )
            work.respond(200, encode(user))
        resp.media = user

    def on_delete(self, req, resp, user_id):
        principal = req.context.principal
        users.remove(req.context.merchant_id, user_id, functools.partial(may_grant, principal))
        resp.status = falcon.HTTP_204


class Me:
    """``GET /users/me``: the user of the session, with their role for its merchant."""

    actions = {"GET": "me.read"}

    def on_get(self, req, resp):
        principal = user_only(req)
        resp.media = users.member(principal.merchant_id, principal.id)


class _SecondFactor:
    """What the second-factor resources share: the vault's keyring, and a switch proven by a code."""

    replayable = False

    def __init__(self, vault):
        self.keyring = vault.secrets

    def switch(self, req, enabled: bool) -> dict:
        principal = user_only(req)
        errors = _fields(req.context.body, ("otp",), ("otp",))
        otp = validation.string(errors, "otp", req.context.body.get("otp"), 10, r"[0-9]{6,8}")
        errors.raise_if_any()
        user = User.get_by_id(principal.id)
        return users.totp_switch(user, principal.merchant_id, otp, self.keyring, enabled)


class Totp(_SecondFactor):
    """``POST /users/me/totp``: a new secret and its ``otpauth://`` URI, once (enabled by ``confirm``);
    ``DELETE /users/me/totp {otp}``: disables the second factor."""

    actions = {"POST": "me.write", "DELETE": "me.write"}
    body_methods = ("DELETE",)

    def on_post(self, req, resp):
        principal = user_only(req)
        resp.media = users.totp_setup(User.get_by_id(principal.id), self.keyring)
        resp.set_header("Cache-Control", "no-store")

    def on_delete(self, req, resp):
        resp.media = self.switch(req, enabled=False)


class TotpConfirm(_SecondFactor):
    """``POST /users/me/totp/confirm {otp}``: a current code proves the app holds the secret; enabled."""

    actions = {"POST": "me.write"}

    def on_post(self, req, resp):
        resp.media = self.switch(req, enabled=True)


class Password:
    """``POST /users/me/password {current_password, new_password}``: every other session of the user ends."""

    actions = {"POST": "me.write"}
    replayable = False

    def __init__(self, passwords: Passwords):
        self.passwords = passwords

    def on_post(self, req, resp):
        principal = user_only(req)
        body = req.context.body
        errors = _fields(body, ("current_password", "new_password"), ())
        current = _password(errors, "current_password", body.get("current_password"), new=False)
        new = _password(errors, "new_password", body.get("new_password"), new=True)
        errors.raise_if_any()
        user = User.get_by_id(principal.id)
        if not self.passwords.verify(user.password_hash, current):
            raise validation.ValidationFailed(
                [{"field": "current_password", "reason": "is not your password"}]
            )
        users.change_password(user, principal.merchant_id, self.passwords.hash(new), principal.session_id)
        resp.media = users.member(principal.merchant_id, principal.id)


def routes(app, config, passwords: Passwords, vault) -> None:
    """Add the ``/users`` resources to ``app``."""
    app.add_route("/users", Collection(config))
    app.add_route("/users/accept", Accept(passwords))
    app.add_route("/users/me", Me())
    app.add_route("/users/me/totp", Totp(vault))
    app.add_route("/users/me/totp/confirm", TotpConfirm(vault))
    app.add_route("/users/me/password", Password(passwords))
    app.add_route("/users/{user_id}", Item())
