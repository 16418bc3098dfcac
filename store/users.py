"""Users and their memberships: who belongs to a merchant with which role, invitations, second factor.

What a role may do, and whom a credential may grant which role, is the ingress's to decide
(``ingress.permissions``); here every change is written with its audit event in one unit of work, and the
one rule the data itself must keep holds under concurrency: a merchant with owners keeps at least one.
"""

import datetime
import functools
import hashlib
import secrets
from collections.abc import Callable

import peewee
import pyotp

from shared.ids import new_id
from store import audit, unit
from store.db import database, locked
from store.errors import FieldInvalid, NotFound, StateConflict
from store.models import AuthSession, Invitation, Membership, User, utcnow
from store.objects import encode, timestamp
from store.pages import page
from store.passwords import Passwords, weakness
from store.vault import Keyring

OWNER = "owner"
TOTP_ISSUER = "PayWave"


class BadCredentials(Exception):
    """A password or one-time code that does not match (answered 401, whatever the reason)."""


def digest(token: str) -> str:
    """How a bearer secret (an invitation or refresh token) is stored: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A bearer secret of 32 random bytes."""
    return secrets.token_urlsafe(32)


def user_object(user: User, role: str | None) -> dict:
    """The API's user: ``role`` is the membership's in the merchant asked about."""
    return {
        "id": user.id,
        "object": "user",
        "email": user.email,
        "name": user.name,
        "role": role,
        "totp_enabled": user.totp_enabled,
        "created_at": timestamp(user.created_at),
    }


def invitation_object(invitation: Invitation, token: str | None = None) -> dict:
    """The API's invitation; ``token`` only in the answer that creates it."""
    body = {
        "id": invitation.id,
        "object": "invitation",
        "email": invitation.email,
        "role": invitation.role,
        "expires_at": timestamp(invitation.expires_at),
    }
    if token is not None:
        body["token"] = token
    return body


def find(email: str) -> User | None:
    """The user with ``email``, whatever its case."""
    return User.select().where(peewee.fn.lower(User.email) == email.lower()).first()


def memberships(user_id: str) -> list[Membership]:
    """The user's memberships, oldest first (a login without ``merchant`` picks the first)."""
    return list(
        Membership.select()
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
    )


def _membership(merchant_id: str, user_id: str, lock: bool = False) -> Membership:
    query = Membership.select().where(
        (Membership.merchant_id == merchant_id) & (Membership.user_id == user_id)
    )
    found = (locked(query) if lock else query).first()
    if found is None:
        raise NotFound(user_id)
    return found


def member(merchant_id: str, user_id: str) -> dict:
    """The merchant's member ``user_id`` as a user object.

    Raises:
      NotFound: the user is not a member of the merchant.
    """
    role = _membership(merchant_id, user_id).role  # first: NotFound for a stranger
    return user_object(User.get_by_id(user_id), role)


def members(merchant_id: str, *, limit: int, starting_after: str | None = None) -> tuple[list[dict], bool]:
    """The merchant's members, newest membership first.  Returns ``([user objects], has_more)``."""
    query = Membership.select().where(Membership.merchant_id == merchant_id)
    rows, has_more = page(query, limit, starting_after, functools.partial(_membership, merchant_id))
    people = {u.id: u for u in User.select().where(User.id.in_([m.user_id for m in rows]))}
    return [user_object(people[m.user_id], m.role) for m in rows], has_more


def create(email: str, password_hash: str, name: str | None = None) -> User:
    """A new user, in the open unit of work (or one of its own).

    Raises:
      StateConflict: a user has this email already (any case).
    """
    with unit.joined():
        if find(email) is not None:
            raise StateConflict("a user with this email exists", "email_taken")
        try:
            with database.atomic():  # a savepoint: a race on the unique index is a conflict, not a 500
                return User.create(
                    id=new_id("usr"),
                    email=email.lower(),
                    name=name,
                    password_hash=password_hash,
                    created_at=utcnow(),
                )
        except peewee.IntegrityError:
            raise StateConflict("a user with this email exists", "email_taken") from None


def join(user: User, merchant_id: str, role: str) -> Membership:
    """Make ``user`` a member of the merchant with ``role`` (audited ``user.joined``).

    Raises:
      StateConflict: the user is a member already.
    """
    with unit.joined():
        try:
            with database.atomic():
                membership = Membership.create(
                    user_id=user.id, merchant_id=merchant_id, role=role, created_at=utcnow()
                )
        except peewee.IntegrityError:
            raise StateConflict("the user is a member of this merchant already", "already_member") from None
        audit.record(merchant_id, "user.joined", user.id, after={"email": user.email, "role": role})
        return membership


def _keep_an_owner(merchant_id: str) -> None:
    """Raises StateConflict when the merchant's owners, locked, are one: that one must stay."""
    owners = locked(
        Membership.select().where((Membership.merchant_id == merchant_id) & (Membership.role == OWNER))
    )
    if len(list(owners)) <= 1:
        raise StateConflict("the last owner cannot be removed or demoted", "last_owner")


def change_role(merchant_id: str, user_id: str, role: str, may: Callable[[str], None]) -> dict:
    """Give the member ``role`` (audited ``user.role_changed``).

    Parameters:
      may: ``may(current_role)`` raises when the caller may not change a member holding that role.

    Returns:
      The user object.

    Raises:
      NotFound: not a member.  StateConflict: the last owner would be demoted.
    """
    with unit.joined():
        membership = _membership(merchant_id, user_id, lock=True)
        may(membership.role)
        before = membership.role
        if before == OWNER and role != OWNER:
            _keep_an_owner(merchant_id)
        membership.role = role
        membership.save()
        audit.record(merchant_id, "user.role_changed", user_id, before={"role": before}, after={"role": role})
        return user_object(User.get_by_id(user_id), role)


def remove(merchant_id: str, user_id: str, may: Callable[[str], None]) -> None:
    """End the membership and revoke the user's sessions for the merchant (audited ``user.removed``).

    Raises:
      NotFound: not a member.  StateConflict: the last owner would be removed.
    """
    with unit.joined():
        membership = _membership(merchant_id, user_id, lock=True)
        may(membership.role)
        if membership.role == OWNER:
            _keep_an_owner(merchant_id)
        membership.delete_instance()
        revoke_sessions(user_id, merchant_id)
        audit.record(merchant_id, "user.removed", user_id, before={"role": membership.role})


def revoke_sessions(user_id: str, merchant_id: str | None = None, keep: str | None = None) -> int:
    """Revoke the user's live sessions (for one merchant, or all but ``keep``).  Returns how many."""
    where = (AuthSession.user_id == user_id) & AuthSession.revoked_at.is_null()
    if merchant_id is not None:
        where &= AuthSession.merchant_id == merchant_id
    if keep is not None:
        where &= AuthSession.id != keep
    return AuthSession.update(revoked_at=utcnow()).where(where).execute()


def invite(merchant_id: str, email: str, role: str, hours: int) -> dict:
    """An invitation to join the merchant, accepted with its token within ``hours``.

    Returns:
      The invitation object with its ``token`` (the only time it is shown; the unit's saved answer has none).

    Raises:
      StateConflict: a user with this email is a member already.
    """
    token, now = new_token(), utcnow()
    with unit.joined() as work:
        existing = find(email)
        if existing is not None and Membership.get_or_none(
            (Membership.user_id == existing.id) & (Membership.merchant_id == merchant_id)
        ):
            raise StateConflict("a user with this email is a member already", "already_member")
        invitation = Invitation.create(
            id=new_id("inv"),
            merchant_id=merchant_id,
            email=email.lower(),
            role=role,
            token_digest=digest(token),
            invited_by=audit.actor().id,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=hours),
        )
        audit.record(
            merchant_id, "user.invited", invitation.id, after={"email": invitation.email, "role": role}
        )
        work.respond(201, encode(invitation_object(invitation)))  # a replay never shows the token
        return invitation_object(invitation, token)


def pending(token: str) -> Invitation | None:
    """The invitation ``token`` opens while it can be accepted (not expired, not accepted yet), else None:
    what the accept form shows before ``accept``."""
    invitation = Invitation.get_or_none(Invitation.token_digest == digest(token))
    return invitation if _acceptable(invitation) else None


def _acceptable(invitation: Invitation | None) -> bool:
    return invitation is not None and invitation.accepted_at is None and invitation.expires_at > utcnow()


def accept(token: str, password: str, name: str | None, passwords: Passwords) -> dict:
    """Accept an invitation: a new user with ``password``, or an existing one proving it is theirs.

    Returns:
      The user object, with the invitation's role.

    Raises:
      NotFound: no such invitation, or expired, or accepted already.
      FieldInvalid: ``password`` is too weak for a new user.
      BadCredentials: the email has an account and ``password`` is not its password.
      StateConflict: the user is a member already.
    """
    with unit.joined():
        invitation = locked(Invitation.select().where(Invitation.token_digest == digest(token))).first()
        if not _acceptable(invitation):
            raise NotFound("the invitation is unknown, expired or accepted already")
        user = find(invitation.email)
        if user is None:
            reason = weakness(password)
            if reason:
                raise FieldInvalid("password", reason)
            user = create(invitation.email, passwords.hash(password), name)
        elif not passwords.verify(user.password_hash, password):
            raise BadCredentials()
        join(user, invitation.merchant_id, invitation.role)
        invitation.accepted_at = utcnow()
        invitation.save()
        return user_object(user, invitation.role)


def set_password(user: User, password_hash: str) -> None:
    """Store a new hash (a rehash at login, the dev owner's)."""
    User.update(password_hash=password_hash).where(User.id == user.id).execute()


def change_password(user: User, merchant_id: str, password_hash: str, session_id: str | None) -> None:
    """The user's new password: every session but ``session_id`` ends (audited ``password.changed``)."""
    with unit.joined():
        set_password(user, password_hash)
        ended = revoke_sessions(user.id, keep=session_id)
        audit.record(merchant_id, "password.changed", user.id, after={"sessions_revoked": ended})


def totp_setup(user: User, keyring: Keyring) -> dict:
    """A new TOTP secret for ``user``, sealed, not enabled until ``totp_confirm``.

    Returns:
      ``{"secret", "otpauth_uri"}``, shown once.

    Raises:
      StateConflict: TOTP is enabled already (disable it first).
    """
    if user.totp_enabled:
        raise StateConflict("two-factor authentication is enabled already", "totp_enabled")
    secret = pyotp.random_base32()
    User.update(
        totp_key_id=keyring.active_key_id, totp_ciphertext=keyring.encrypt(secret, f"{user.id}:totp")
    ).where(User.id == user.id).execute()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)
    return {"secret": secret, "otpauth_uri": uri}


def totp_matches(user: User, otp: object, keyring: Keyring) -> bool:
    """Whether ``otp`` is the user's current code (or the one before or after: clocks drift)."""
    if not user.totp_ciphertext or not user.totp_key_id or not isinstance(otp, str):
        return False
    secret = keyring.decrypt(user.totp_ciphertext, user.totp_key_id, f"{user.id}:totp")
    return pyotp.TOTP(secret).verify(otp, valid_window=1)


def totp_switch(user: User, merchant_id: str, otp: object, keyring: Keyring, enabled: bool) -> dict:
    """Enable (a set-up secret, confirmed) or disable TOTP, proven by a current code.

    Raises:
      StateConflict: nothing to confirm, or nothing to disable.
      FieldInvalid: ``otp`` is not a current code.
    """
    if enabled == user.totp_enabled or (enabled and not user.totp_ciphertext):
        raise StateConflict(
            "two-factor authentication is " + ("enabled already or not set up" if enabled else "not enabled"),
            "totp_state",
        )
    if not totp_matches(user, otp, keyring):
        raise FieldInvalid("otp", "is not the current code")
    with unit.joined():
        changes = {"totp_enabled": enabled} if enabled else {"totp_enabled": False, "totp_ciphertext": None}
        User.update(**changes).where(User.id == user.id).execute()
        audit.record(merchant_id, "totp.enabled" if enabled else "totp.disabled", user.id)
    user.totp_enabled = enabled
    return user_object(user, _membership(merchant_id, user.id).role)
