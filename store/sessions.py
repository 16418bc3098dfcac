"""Login sessions: a login opens one (a family of refresh tokens), each refresh rotates its token, and a
token presented again after its rotation revokes the whole family (someone else holds a copy).

Access tokens (JWTs minted by the ingress) name their session (``sid``); ``SessionCache`` tells the ingress,
a few seconds late at most, whether the session still stands and which role its user now holds.
"""

import dataclasses
import datetime
import time
from collections.abc import Callable

from shared.ids import new_id
from shared.ttlcache import TTLCache
from store import audit, unit, users
from store.db import locked
from store.errors import NotFound
from store.models import AuthSession, Membership, RefreshToken, User, utcnow
from store.passwords import Passwords
from store.vault import Keyring

#: ``(session id, user id, merchant id)``: what an access token claims.
SessionKey = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class Grant:
    """What a login, a refresh or a switch yields.

    Parameters:
      session: The session (``sid``), its user and merchant.
      role: The user's role for that merchant now.
      refresh_token: The new refresh token, in clear this once.
    """

    session: AuthSession
    role: str
    refresh_token: str


class NoMembership(Exception):
    """The user proved who they are but is no member of the merchant asked for (or of any)."""


def _acting_as(user_id: str) -> None:
    audit.acting(dataclasses.replace(audit.actor(), type="user", id=user_id))


def _open(user_id: str, membership: Membership, livemode: bool, days: int) -> Grant:
    """A new session with its first refresh token, in the open unit of work."""
    now, token = utcnow(), users.new_token()
    session = AuthSession.create(
        id=new_id("ses"),
        user_id=user_id,
        merchant_id=membership.merchant_id,
        livemode=livemode,
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    RefreshToken.create(session_id=session.id, token_digest=users.digest(token), created_at=now)
    return Grant(session, membership.role, token)


def _failed(user: User, merchant_id: str | None, reason: str) -> None:
    with unit.joined():
        User.update(failed_logins=User.failed_logins + 1, last_failed_login_at=utcnow()).where(
            User.id == user.id
        ).execute()
        audit.record(merchant_id, "login.failed", user.id, after={"reason": reason})


def login(
    email: str,
    password: str,
    otp: str | None,
    merchant_id: str | None,
    *,
    livemode: bool,
    throttled: bool,
    passwords: Passwords,
    keyring: Keyring,
    days: int,
) -> Grant:
    """Check a login and open its session for ``merchant_id`` (default: the user's first membership).

    Every refusal costs one password check and raises the same exception, so neither the answer nor its
    timing tells an unknown email, a wrong password or code, or a throttled account apart.

    Parameters:
      throttled: The account or the address is over its login budget: refused even with the right password.
      keyring: Opens TOTP secrets.
      days: The session's lifetime.

    Raises:
      BadCredentials: refused (audited ``login.failed``; the merchant is None for an unknown email).
      NoMembership: the right credentials, but no membership for ``merchant_id`` (or none at all).
    """
    user = users.find(email)
    if user is None:
        passwords.decoy(password)
        audit.record(None, "login.failed", None, after={"reason": "unknown_email"})
        raise users.BadCredentials()
    matches = passwords.verify(user.password_hash, password)  # even when throttled: the same time
    joined = users.memberships(user.id)
    chosen = next((m for m in joined if merchant_id in (None, m.merchant_id)), None)
    reason = (
        "throttled"
        if throttled
        else "wrong_password"
        if not matches
        else "wrong_otp"
        if user.totp_enabled and not users.totp_matches(user, otp, keyring)
        else None
    )
    if reason:
        blamed = chosen or (joined[0] if joined else None)
        _failed(user, blamed.merchant_id if blamed else None, reason)
        raise users.BadCredentials()
    if chosen is None:
        raise NoMembership()
    if passwords.needs_rehash(user.password_hash):
        users.set_password(user, passwords.hash(password))
    _acting_as(user.id)
    with unit.joined():
        User.update(failed_logins=0).where(User.id == user.id).execute()
        grant = _open(user.id, chosen, livemode, days)
        audit.record(chosen.merchant_id, "login.succeeded", user.id, after={"session": grant.session.id})
    return grant


def refresh(token: str) -> Grant:
    """Rotate a refresh token: a new one, and the old one spent.

    Raises:
      BadCredentials: unknown, spent (the family is revoked: audited ``session.revoked``), or its session is
        revoked, expired, or its user no longer a member.
    """
    with unit.joined():
        row = locked(RefreshToken.select().where(RefreshToken.token_digest == users.digest(token))).first()
        if row is None:
            raise users.BadCredentials()
        session = locked(AuthSession.select().where(AuthSession.id == row.session_id)).get()
        _acting_as(session.user_id)
        membership = Membership.get_or_none(
            (Membership.user_id == session.user_id) & (Membership.merchant_id == session.merchant_id)
        )
        live = session.revoked_at is None and session.expires_at > utcnow()
        if live and membership is not None and row.rotated_at is None:
            row.rotated_at = utcnow()
            row.save()
            new = users.new_token()
            RefreshToken.create(session_id=session.id, token_digest=users.digest(new), created_at=utcnow())
            audit.record(session.merchant_id, "session.refreshed", session.id)
            return Grant(session, membership.role, new)
        if session.revoked_at is None and row.rotated_at is not None:
            _revoke(session, "refresh_token_reused")
    raise users.BadCredentials()  # after the unit: a revocation for reuse is committed


def _revoke(session: AuthSession, reason: str) -> None:
    AuthSession.update(revoked_at=utcnow()).where(
        (AuthSession.id == session.id) & AuthSession.revoked_at.is_null()
    ).execute()
    audit.record(session.merchant_id, "session.revoked", session.id, after={"reason": reason})


def revoke(session_id: str, reason: str = "logout") -> AuthSession:
    """Revoke a session and its refresh tokens (audited ``session.revoked``).

    Raises:
      NotFound: no such session.
    """
    with unit.joined():
        session = AuthSession.get_or_none(AuthSession.id == session_id)
        if session is None:
            raise NotFound(session_id)
        _revoke(session, reason)
        return session


def session_of(refresh_token: str) -> str:
    """The session id a refresh token (spent or not) belongs to.

    Raises:
      BadCredentials: unknown token.
    """
    row = RefreshToken.get_or_none(RefreshToken.token_digest == users.digest(refresh_token))
    if row is None:
        raise users.BadCredentials()
    return row.session_id


def switch(session_id: str, user_id: str, merchant_id: str, livemode: bool, days: int) -> Grant:
    """A new session for another of the user's merchants; the current one is revoked.

    Raises:
      NotFound: the user is not a member of ``merchant_id``.
    """
    with unit.joined():
        membership = Membership.get_or_none(
            (Membership.user_id == user_id) & (Membership.merchant_id == merchant_id)
        )
        if membership is None:
            raise NotFound(merchant_id)
        revoke(session_id, "switched")
        grant = _open(user_id, membership, livemode, days)
        audit.record(
            merchant_id, "login.succeeded", user_id, after={"session": grant.session.id, "switched": True}
        )
        return grant


def current_role(key: SessionKey) -> str | None:
    """The role the session's user holds for its merchant now; None when the session was revoked or has
    expired, or the user is no longer a member."""
    session_id, user_id, merchant_id = key
    row = (
        Membership.select(Membership.role)
        .join(
            AuthSession,
            on=(AuthSession.user_id == Membership.user_id)
            & (AuthSession.merchant_id == Membership.merchant_id),
        )
        .where(
            (AuthSession.id == session_id)
            & (Membership.user_id == user_id)
            & (Membership.merchant_id == merchant_id)
            & AuthSession.revoked_at.is_null()
            & (AuthSession.expires_at > utcnow())
        )
        .first()
    )
    return row.role if row else None


class SessionCache(TTLCache[SessionKey, str | None]):
    """``current_role`` per access token's session, kept ``ttl_seconds`` in this process.

    Staleness bound: a logout answered by this process is seen here at once (``forget``); a logout elsewhere,
    a removed member or a changed role within ``ttl_seconds`` (``PAYWAVE_CREDENTIAL_CACHE_SECONDS``) on
    every process and replica, which each read the database again once their entry expires.
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(current_role, ttl_seconds, clock)
