"""Signing in and out, accepting an invitation (then signed in), and switching merchant or mode: the sessions
of ``store.sessions``, as the API's ``/auth`` opens them, held in the dashboard's cookie
(``dashboard.session``)."""

import urllib.parse

from dashboard import PREFIX
from dashboard.session import COOKIE, Sessions, clear_cookie, set_cookie
from dashboard.web import form, login_csrf, redirect, render
from shared.ratelimit import Limiter, login_throttled
from store import sessions, users
from store.errors import FieldInvalid, NotFound
from store.passwords import Passwords
from store.vault import Vault

EMAIL_MAX, PASSWORD_MAX, OTP_MAX, NAME_MAX, TOKEN_MAX = 320, 256, 10, 200, 128


def _next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path only (never another site: ``//host``, ``/\\host``)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith(("//", "/\\")):
        parsed = urllib.parse.urlsplit(target)
        if not parsed.scheme and not parsed.netloc:
            return target
    return PREFIX + "/"


class Login:
    """``GET /dashboard/login`` (the form) and ``POST`` (email, password, one-time code where enabled)."""

    public = True

    def __init__(
        self, config, dashboard_sessions: Sessions, limiter: Limiter, passwords: Passwords, vault: Vault
    ):
        self.config = config
        self.sessions = dashboard_sessions
        self.limiter = limiter
        self.passwords = passwords
        self.keyring = vault.secrets

    def page(self, req, resp, status=200, error=None, email=""):
        render(
            req,
            resp,
            "login.html",
            status=status,
            error=error,
            email=email,
            next=_next(req.get_param("next")),
            login_csrf=login_csrf(req, resp),
        )

    def on_get(self, req, resp):
        if self.sessions.read(req.cookies.get(COOKIE)) is not None:
            redirect(req, resp, _next(req.get_param("next")))
        self.page(req, resp)

    def on_post(self, req, resp):
        fields = form(req)
        email, password = fields.get("email", "").strip(), fields.get("password", "")
        otp = fields.get("otp", "").strip() or None
        livemode = fields.get("mode", "live") != "test"
        if not email or not password or len(email) > EMAIL_MAX or len(password) > PASSWORD_MAX:
            return self.page(req, resp, 422, "Enter your email and password.", email[:EMAIL_MAX])
        if otp is not None and len(otp) > OTP_MAX:
            otp = ""  # never a match: the same answer as any wrong code
        try:
            grant = sessions.login(
                email,
                password,
                otp,
                None,
                livemode=livemode,
                throttled=login_throttled(self.limiter, self.config, email, req.context.client_ip),
                passwords=self.passwords,
                keyring=self.keyring,
                days=self.config.session_refresh_days,
            )
        except users.BadCredentials:
            # one answer for every refusal, as the API's: it never tells which part was wrong
            return self.page(req, resp, 401, "The email, password or one-time code is wrong.", email)
        except sessions.NoMembership:
            return self.page(req, resp, 403, "This account is no member of any merchant yet.", email)
        _signed_in(req, resp, self.sessions, grant, _next(fields.get("next")))


def _signed_in(req, resp, dashboard_sessions: Sessions, grant: sessions.Grant, target: str, message=None):
    """The session of ``grant`` in the cookie, and on to ``target``."""
    session, now = grant.session, int(dashboard_sessions.clock())
    value = dashboard_sessions.issue(session.id, session.user_id, session.merchant_id, session.livemode, now)
    set_cookie(req, resp, COOKIE, value, dashboard_sessions.remaining(now))
    redirect(req, resp, target, message)


class Accept:
    """``GET /dashboard/invitations/accept?token=…`` (the form: a name and a password for a new account, the
    account's password and code for an existing one) and ``POST``: ``store.users.accept``, as
    ``POST /users/accept``, then signed in to the merchant through ``store.sessions.login`` (a code where
    TOTP is on; the same login budgets)."""

    public = True

    def __init__(
        self, config, dashboard_sessions: Sessions, limiter: Limiter, passwords: Passwords, vault: Vault
    ):
        self.config = config
        self.sessions = dashboard_sessions
        self.limiter = limiter
        self.passwords = passwords
        self.keyring = vault.secrets

    def page(self, req, resp, token: str, status=200, error=None, name=""):
        invitation = users.pending(token) if 0 < len(token) <= TOKEN_MAX else None
        if invitation is None:
            status, error = 404, error or "This invitation is unknown, expired or accepted already."
        account = users.find(invitation.email) if invitation else None
        render(
            req,
            resp,
            "accept.html",
            status=status,
            error=error,
            invitation=invitation and users.invitation_object(invitation),
            merchant=invitation and invitation.merchant_id,
            account=account,
            token=token,
            name=name,
            login_csrf=login_csrf(req, resp),
        )

    def on_get(self, req, resp):
        self.page(req, resp, req.get_param("token") or "")

    def on_post(self, req, resp):
        fields = form(req)
        token, password = fields.get("token", ""), fields.get("password", "")
        name = fields.get("name", "").strip()[:NAME_MAX] or None
        invitation = users.pending(token) if 0 < len(token) <= TOKEN_MAX else None
        if invitation is None or not password or len(password) > PASSWORD_MAX:
            return self.page(req, resp, token, 422, invitation and "Enter a password.", name or "")
        try:
            users.accept(token, password, name, self.passwords)
        except FieldInvalid as exc:
            return self.page(req, resp, token, 422, f"The password {exc}.", name or "")
        except users.BadCredentials:
            return self.page(req, resp, token, 401, "This is not the password of your account.", name or "")
        except NotFound:  # accepted or expired meanwhile
            return self.page(req, resp, token)
        try:
            grant = sessions.login(
                invitation.email,
                password,
                fields.get("otp", "").strip()[:OTP_MAX] or None,
                invitation.merchant_id,
                livemode=True,
                throttled=login_throttled(self.limiter, self.config, invitation.email, req.context.client_ip),
                passwords=self.passwords,
                keyring=self.keyring,
                days=self.config.session_refresh_days,
            )
        except users.BadCredentials:  # a wrong code, or over budget: joined all the same
            redirect(req, resp, f"{PREFIX}/login", "You joined the merchant: sign in.")
        _signed_in(
            req, resp, self.sessions, grant, f"{PREFIX}/", f"Welcome: you joined as {invitation.role}."
        )


class Logout:
    """``POST /dashboard/logout``: the session ends (here and for the API's tokens of it)."""

    actions = {"POST": "me.write"}

    def __init__(self, dashboard_sessions: Sessions):
        self.sessions = dashboard_sessions

    def on_post(self, req, resp):
        signed_in = req.context.viewer.signed_in
        sessions.revoke(signed_in.session_id)
        self.sessions.forget(signed_in)
        clear_cookie(req, resp, COOKIE)
        redirect(req, resp, f"{PREFIX}/login", "You are signed out.")


class Switch:
    """``POST /dashboard/switch {merchant, mode}``: a new session for that merchant and mode, this one ended
    (``store.sessions.switch``, as ``POST /auth/switch``); the absolute timeout still counts from sign-in."""

    actions = {"POST": "sessions.switch"}

    def __init__(self, config, dashboard_sessions: Sessions):
        self.sessions = dashboard_sessions
        self.days = config.session_refresh_days

    def on_post(self, req, resp):
        viewer, fields = req.context.viewer, form(req)
        signed_in = viewer.signed_in
        merchant = fields.get("merchant") or viewer.merchant_id
        livemode = fields.get("mode", "live" if viewer.livemode else "test") != "test"
        if merchant not in viewer.merchants:
            redirect(req, resp, f"{PREFIX}/", "You are no member of that merchant.", "error")
        try:
            grant = sessions.switch(signed_in.session_id, signed_in.user_id, merchant, livemode, self.days)
        except NotFound:  # removed from it since the page was drawn
            redirect(req, resp, f"{PREFIX}/", "You are no member of that merchant.", "error")
        self.sessions.forget(signed_in)
        value = self.sessions.issue(
            grant.session.id, signed_in.user_id, merchant, livemode, signed_in.signed_in_at
        )
        set_cookie(req, resp, COOKIE, value, self.sessions.remaining(signed_in.signed_in_at))
        mode = "live" if livemode else "test"
        redirect(req, resp, f"{PREFIX}/", f"Now viewing {merchant} in {mode} mode.")


def routes(app, config, dashboard_sessions, limiter, passwords, vault):
    app.add_route(f"{PREFIX}/login", Login(config, dashboard_sessions, limiter, passwords, vault))
    app.add_route(
        f"{PREFIX}/invitations/accept", Accept(config, dashboard_sessions, limiter, passwords, vault)
    )
    app.add_route(f"{PREFIX}/logout", Logout(dashboard_sessions))
    app.add_route(f"{PREFIX}/switch", Switch(config, dashboard_sessions))
