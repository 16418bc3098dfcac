"""Who is signed in: a cookie naming a login session of ``store.sessions`` (the API's sessions, so signing out
anywhere ends it everywhere), signed with a key of the server's, and the CSRF tokens bound to it.

The cookie holds ``{sid, uid, mid, live, at, seen}``: the session, its user and merchant, the mode, when the
user signed in and when they last made a request.  ``seen`` is signed again at most once a minute, so the idle
timeout slides without a write per request; the absolute one counts from ``at`` whatever the activity.  The
session's state and the user's role are read through ``store.sessions.SessionCache`` as the API reads them.
"""

import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from dashboard import PREFIX
from shared.config import Config
from store.sessions import SessionCache

COOKIE = "pw_session"
#: The double-submit token of the sign-in form, before any session exists.
LOGIN_CSRF_COOKIE = "pw_login_csrf"
FLASH_COOKIE = "pw_flash"
CSRF_FIELD = "csrf_token"
#: ``seen`` is signed again when older than this: the idle timeout's resolution.
RESIGN_SECONDS = 60
#: Hosts where a plain-http cookie is allowed (development): anywhere else it is ``Secure``.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """HMAC-SHA256 over a value and its purpose (a session cookie never passes for a flash message).

    Parameters:
      key: 32 bytes or more, the server's secret.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    def from_config(cls, config: Config) -> "Signer":
        """The key derived from ``PAYWAVE_API_KEY_DIGEST_KEY`` (a server secret every deployment has, and one
        that is never rotated lightly: changing it invalidates every API key too), labelled for this use."""
        return cls(
            hmac.new(config.api_key_digest_key.encode(), b"paywave dashboard cookies", "sha256").digest()
        )

    def _mac(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._mac(purpose, body)}"

    def open(self, purpose: str, value: str | None) -> dict | None:
        """The payload of a value this signer signed for ``purpose``; None for anything else."""
        body, _, mac = (value or "").partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        return payload if isinstance(payload, dict) else None

    def csrf_token(self, session_id: str) -> str:
        """The session's CSRF token: derived from it, so it needs no storage and dies with the session."""
        return self._mac("csrf", session_id)


@dataclasses.dataclass(frozen=True)
class SignedIn:
    """A valid sign-in.

    Parameters:
      role: The user's role for the merchant now (``shared.permissions.ROLES``).
      refreshed: The cookie signed again (``seen`` moved on), to send back; None while still fresh.
    """

    session_id: str
    user_id: str
    merchant_id: str
    livemode: bool
    signed_in_at: int
    role: str
    refreshed: str | None = None


class Sessions:
    """Issues and reads the session cookie.

    Parameters:
      cache: The role of each session, as ``store.sessions.current_role`` tells it.
      clock: Unix seconds (tests pass their own).
    """

    def __init__(
        self, config: Config, signer: Signer, cache: SessionCache, clock: Callable[[], float] = time.time
    ):
        self.signer = signer
        self.cache = cache
        self.clock = clock
        self.idle_seconds = config.dashboard_idle_minutes * 60
        self.absolute_seconds = config.dashboard_session_hours * 3600

    def issue(
        self, session_id: str, user_id: str, merchant_id: str, livemode: bool, signed_in_at: int | None = None
    ) -> str:
        """The cookie's value for a session opened now (or, switching merchant or mode, at ``signed_in_at``:
        a switch never extends the absolute timeout)."""
        now = int(self.clock())
        payload = {"sid": session_id, "uid": user_id, "mid": merchant_id, "live": livemode}
        return self.signer.sign("session", {**payload, "at": signed_in_at or now, "seen": now})

    def read(self, value: str | None) -> SignedIn | None:
        """The sign-in the cookie holds; None when it is forged, idle or too old, or its session ended or
        its user is no longer a member."""
        claims = self.signer.open("session", value)
        now = int(self.clock())
        try:
            key = (str(claims["sid"]), str(claims["uid"]), str(claims["mid"])) if claims else None
            at, seen, live = int(claims["at"]), int(claims["seen"]), bool(claims["live"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return None
        if key is None or now - seen > self.idle_seconds or now - at > self.absolute_seconds:
            return None
        role = self.cache.get(key)
        if role is None:
            return None
        refreshed = self.issue(*key, live, at) if now - seen >= RESIGN_SECONDS else None
        return SignedIn(key[0], key[1], key[2], live, at, role, refreshed)

    def remaining(self, signed_in_at: int) -> int:
        """Seconds until the absolute timeout: the cookie's ``Max-Age``."""
        return max(0, signed_in_at + self.absolute_seconds - int(self.clock()))

    def forget(self, signed_in: SignedIn) -> None:
        """This process sees the session's end at once (others within the credential cache's TTL)."""
        self.cache.forget((signed_in.session_id, signed_in.user_id, signed_in.merchant_id))


def secure_cookie(req) -> bool:
    """``Secure`` everywhere but plain http on this machine (development without TLS)."""
    return not (req.scheme == "http" and req.host in LOCAL_HOSTS)


def set_cookie(req, resp, name: str, value: str, max_age: int | None = None, same_site: str = "Lax") -> None:
    resp.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        secure=secure_cookie(req),
        http_only=True,
        same_site=same_site,
    )


def clear_cookie(req, resp, name: str) -> None:
    set_cookie(req, resp, name, "", max_age=0)
