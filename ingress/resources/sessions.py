"""``/auth``: a user logs in, refreshes, logs out, or switches to another of their merchants.

Every refused login answers the same ``401`` (unknown email, wrong password or code, a throttled account
or address), so an answer never tells whether an account exists or is under attack.
"""

from ingress import validation
from ingress.auth import Authentication, unauthorized
from ingress.errors import Problem
from ingress.resources.users import EMAIL_MAX, PASSWORD_MAX, user_only
from shared.ratelimit import Limiter, login_throttled
from store import sessions, users
from store.errors import NotFound
from store.passwords import Passwords
from store.vault import Vault

MERCHANT_MAX = 255


def bad_login() -> Problem:
    return unauthorized("the email, password or one-time code is wrong")


def _livemode(errors, body) -> bool:
    value = body.get("livemode", True)
    if not isinstance(value, bool):
        errors.add("livemode", "must be true or false")
    return value is not False


def login_body(body: dict) -> tuple[str, str, str | None, str | None, bool]:
    """``(email, password, otp, merchant, livemode)``.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("email", "password", "otp", "merchant", "livemode"))
    for field in ("email", "password"):
        if not isinstance(body.get(field), str) or not body[field]:
            errors.add(field, "is required, a string")
    email = validation.string(errors, "email", body.get("email"), EMAIL_MAX)
    password = body.get("password")
    if isinstance(password, str) and len(password) > PASSWORD_MAX:
        errors.add("password", f"must be at most {PASSWORD_MAX} characters")
    otp = validation.string(errors, "otp", body.get("otp"), 10)
    merchant = validation.string(errors, "merchant", body.get("merchant"), MERCHANT_MAX)
    livemode = _livemode(errors, body)
    errors.raise_if_any()
    return email, password, otp, merchant, livemode  # type: ignore[return-value]  # checked above


class Tokens:
    """Answers a session's tokens: a fresh access token and the refresh token, never cached by anyone."""

    replayable = False

    def __init__(self, config, authentication: Authentication):
        self.authentication = authentication
        self.authenticator = authentication.authenticator
        self.access_seconds = config.session_access_seconds
        self.refresh_days = config.session_refresh_days

    def answer(self, resp, grant: sessions.Grant) -> None:
        session = grant.session
        access = self.authenticator.mint_user(
            session.user_id,
            session.merchant_id,
            grant.role,
            session.id,
            session.livemode,
            self.access_seconds,
        )
        resp.media = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_seconds,
            "refresh_token": grant.refresh_token,
        }
        resp.set_header("Cache-Control", "no-store")


class Login(Tokens):
    """``POST /auth/login {email, password[, otp, merchant, livemode]}``, throttled per account and
    address."""

    public = True

    def __init__(self, config, authentication, limiter: Limiter, passwords: Passwords, vault: Vault):
        super().__init__(config, authentication)
        self.limiter = limiter
        self.passwords = passwords
        self.keyring = vault.secrets
        self.config = config

    def on_post(self, req, resp):
        email, password, otp, merchant, livemode = login_body(req.context.body)
        try:
            grant = sessions.login(
                email,
                password,
                otp,
                merchant,
                livemode=livemode,
                throttled=login_throttled(self.limiter, self.config, email, req.context.client_ip),
                passwords=self.passwords,
                keyring=self.keyring,
                days=self.refresh_days,
            )
        except users.BadCredentials:
            raise bad_login() from None
        except sessions.NoMembership:
            raise Problem(
                403, "Forbidden", "the user is no member of this merchant", slug="not-a-member"
            ) from None
        self.answer(resp, grant)


def refresh_token(body: dict) -> str:
    """The body's ``refresh_token``.

    Raises:
      ValidationFailed: missing, not a string, or another field given.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("refresh_token",))
    token = body.get("refresh_token")
    if not isinstance(token, str) or not 1 <= len(token) <= 128:
        errors.add("refresh_token", "is required: the refresh token last received")
    errors.raise_if_any()
    return token  # type: ignore[return-value]  # checked above


class Refresh(Tokens):
    """``POST /auth/refresh {refresh_token}``: a new pair; the token given is spent."""

    public = True

    def on_post(self, req, resp):
        try:
            grant = sessions.refresh(refresh_token(req.context.body))
        except users.BadCredentials:
            raise unauthorized("the refresh token is not valid: log in again", "invalid_token") from None
        self.answer(resp, grant)


class Logout:
    """``POST /auth/logout``: ends the session of the access token sent, or of the ``refresh_token`` given."""

    public = True

    def __init__(self, authentication: Authentication):
        self.authentication = authentication

    def session_id(self, req) -> str:
        """Raises:
        Problem: 401 without a user's access token or a known refresh token.
        """
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            claims = self.authentication.authenticator.verify(token.strip())
            if claims.get("typ") != "user":
                raise unauthorized("only a user's session can log out", "invalid_token")
            return str(claims.get("sid"))
        try:
            return sessions.session_of(refresh_token(req.context.body))
        except users.BadCredentials:
            raise unauthorized("the refresh token is not valid", "invalid_token") from None

    def on_post(self, req, resp):
        try:
            session = sessions.revoke(self.session_id(req))
        except NotFound:
            raise unauthorized("no such session", "invalid_token") from None
        forget(self.authentication, session)
        resp.status = 204


class Switch(Tokens):
    """``POST /auth/switch {merchant[, livemode]}``: tokens for another membership; this session ends."""

    actions = {"POST": "sessions.switch"}

    def on_post(self, req, resp):
        principal = user_only(req)
        errors = validation.Errors()
        body = req.context.body
        validation.unknown(errors, body, ("merchant", "livemode"))
        merchant = validation.string(errors, "merchant", body.get("merchant"), MERCHANT_MAX)
        if merchant is None:
            errors.add("merchant", "is required: the id of a merchant you are a member of")
        livemode = _livemode(errors, body)
        errors.raise_if_any()
        grant = sessions.switch(principal.session_id, principal.id, merchant, livemode, self.refresh_days)
        self.authentication.sessions.forget((principal.session_id, principal.id, principal.merchant_id))
        self.answer(resp, grant)


def forget(authentication: Authentication, session) -> None:
    """This process sees the session's end at once (the others within the credential cache's TTL)."""
    authentication.sessions.forget((session.id, session.user_id, session.merchant_id))


def routes(app, config, authentication: Authentication, limiter: Limiter, passwords: Passwords, vault: Vault):
    """Add the ``/auth`` resources to ``app``."""
    app.add_route("/auth/login", Login(config, authentication, limiter, passwords, vault))
    app.add_route("/auth/refresh", Refresh(config, authentication))
    app.add_route("/auth/logout", Logout(authentication))
    app.add_route("/auth/switch", Switch(config, authentication))
