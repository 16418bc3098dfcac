"""Authentication: ``Authorization: Bearer <credential>`` becomes a ``permissions.Principal``.

A service token is a JWT whose ``sub`` is the merchant and whose ``scope`` (space-separated) says what it
may do (``permissions.service_scopes``); its ``livemode`` claim (default true) says which mode it acts in:
``false`` sees and creates test objects only (``paywave token --test``).  A user's access token (``typ:
"user"``, from ``POST /auth/login``) names the user (``sub``), the merchant (``mid``), the session (``sid``)
and the mode; its scopes are those of the role the user holds now, read with the session's state through
``store.sessions.SessionCache``.  Algorithms come from an explicit allow-list in configuration, so a token
cannot pick its own (``alg: none``, or HS256 signed with a public key).

An API key (``Bearer sk_…``, or a publishable ``Bearer pk_…``, ``store.api_keys``) is found by its secret's
digest through a per-process
cache (``KeyAuthenticator``).
"""

import functools
import math
import numbers
import time
from collections.abc import Callable

import jwt

from ingress import permissions
from ingress.errors import Problem
from shared.config import Config, ConfigError
from shared.ttlcache import TTLCache
from store import api_keys, audit
from store.models import ApiKey, utcnow
from store.sessions import SessionCache

SCOPES = (permissions.READ, permissions.WRITE)
#: What an API key's secret starts with (``sk_``, ``pk_``): any other bearer is read as a JWT.
KEY_PREFIXES = tuple(f"{prefix}_" for prefix in api_keys.PREFIXES.values())


class Authenticator:
    """Verifies and mints merchant tokens for one configuration."""

    def __init__(self, config):
        """Raises:
        ConfigError: the algorithms and keys cannot verify a token (checked here too, since a
          configuration changed with ``dataclasses.replace`` skips ``Config.problems()``).
        """
        try:
            self.verify_key = config.jwt_verify_key()
        except ValueError as exc:
            raise ConfigError([str(exc)]) from None
        self.algorithms = list(config.jwt_algorithms)
        self.signing_key = (
            config.jwt_secret if self.algorithms[0].startswith("HS") else config.jwt_private_key
        )
        self.issuer = config.jwt_issuer or None
        self.audience = config.jwt_audience or None
        self.leeway = config.jwt_leeway
        # One cache per authenticator: lru_cache on the method would keep every authenticator alive (B019).
        self._verified = functools.lru_cache(maxsize=4096)(self._verify)

    def verify(self, token: str) -> dict:
        """The token's claims.

        Raises:
          Problem: 401 for any invalid, expired or unsigned token.
        """
        claims = self._verified(token)
        if claims["exp"] + self.leeway < time.time():  # a remembered token still expires
            raise unauthorized("the token has expired", "invalid_token")
        return claims

    def _verify(self, token: str) -> dict:
        """Signature and claims checked once per token (a merchant reuses its token; the
        check cost more than the rest of a cached GET).  Failures are never remembered."""
        try:
            claims = jwt.decode(
                token,
                self.verify_key,
                algorithms=self.algorithms,
                leeway=self.leeway,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "sub"], "verify_aud": self.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the token has expired", "invalid_token") from None
        except jwt.InvalidTokenError as exc:
            raise unauthorized(f"the token is invalid: {exc}", "invalid_token") from None
        # PyJWT accepts what int() accepts ("9999999999"); verify() adds the leeway to it.
        if not isinstance(claims["exp"], numbers.Real) or isinstance(claims["exp"], bool):
            raise unauthorized("the token is invalid: exp must be a number", "invalid_token")
        if not isinstance(claims.get("livemode", True), bool):  # "false" must not be read as live
            raise unauthorized("the token is invalid: livemode must be true or false", "invalid_token")
        return claims

    def mint(self, merchant_id: str, scopes=SCOPES, ttl_seconds=3600, livemode=True) -> str:
        """A service token for ``merchant_id``; ``livemode=False``: one for test mode only."""
        return self._sign({"sub": merchant_id, "scope": " ".join(scopes), "livemode": livemode}, ttl_seconds)

    def mint_user(
        self, user_id: str, merchant_id: str, role: str, session_id: str, livemode: bool, ttl_seconds: int
    ) -> str:
        """A user's access token for one merchant and session (``typ: "user"``)."""
        claims = {"typ": "user", "sub": user_id, "mid": merchant_id, "role": role, "sid": session_id}
        return self._sign({**claims, "livemode": livemode}, ttl_seconds)

    def _sign(self, claims: dict, ttl_seconds: int) -> str:
        now = int(time.time())
        claims = {**claims, "iat": now, "exp": now + ttl_seconds}
        if self.issuer:
            claims["iss"] = self.issuer
        if self.audience:
            claims["aud"] = self.audience
        return jwt.encode(claims, self.signing_key, algorithm=self.algorithms[0])


class KeyAuthenticator:
    """``Bearer sk_…``: the API key whose secret has that digest, read at most once per
    ``credential_cache_seconds`` per process, and its use recorded at most once a minute.

    What is cached is the key's row, unknown digests included (a flood of one bad key reads the database
    once per period; a secret cannot be presented before it exists, so "unknown" never goes stale while
    it matters); whether it authenticates is decided on every request (``api_keys.usable``), so a key
    expires on time.  A revocation or roll answered by this process is seen here at once (``forget``);
    one answered by another replica, within ``credential_cache_seconds``.

    Parameters:
      config: ``shared.config.Config`` (``api_key_digest_key``, ``credential_cache_seconds``).
      clock: Monotonic seconds (tests pass their own).
    """

    def __init__(self, config: Config, clock: Callable[[], float] = time.monotonic) -> None:
        self.digest_key = config.api_key_digest_key
        self.clock = clock
        self.keys: TTLCache[str, ApiKey | None] = TTLCache(
            api_keys.find, config.credential_cache_seconds, clock
        )
        self._touched: dict[str, float] = {}  # key id -> when this process last recorded a use
        self._principals: dict[str, permissions.Principal] = {}

    def principal(self, secret: str) -> permissions.Principal:
        """Raises:
        Problem: 401 for an unknown, expired or revoked key.
        """
        key = api_keys.verify(secret, self.digest_key, self.keys.get)
        if key is None:
            raise unauthorized("the API key is unknown, expired or revoked", "invalid_token")
        self._touch(key.id)
        principal = self._principals.get(key.id)
        if principal is None:  # a key's merchant, scopes and mode never change: built once per process
            if len(self._principals) >= self.keys.max_entries:
                self._principals.clear()
            principal = self._principals[key.id] = permissions.Principal(
                key.merchant_id, "api_key", key.id, frozenset(key.scopes), key.livemode
            )
        return principal

    def forget(self, key: ApiKey) -> None:
        """``key`` changed in this process (revoked, rolled): read it again on its next use."""
        self.keys.forget(key.digest)

    def _touch(self, key_id: str) -> None:
        now = self.clock()
        if now - self._touched.get(key_id, -math.inf) >= api_keys.TOUCH_EVERY.total_seconds():
            if len(self._touched) >= self.keys.max_entries:
                self._touched.clear()
            self._touched[key_id] = now
            api_keys.touch(key_id, utcnow())


def unauthorized(detail, error=None):
    challenge = 'Bearer realm="paywave"' + (f', error="{error}"' if error else "")
    return Problem(401, "Unauthorized", detail, slug="unauthorized", headers={"WWW-Authenticate": challenge})


class Authentication:
    """Middleware: puts the ``principal`` and its ``merchant_id`` on ``req.context``, tells the audit trail
    who is acting, and lets ``ingress.permissions`` decide.

    A resource declares ``actions = {"GET": "payments.read", ...}`` (keys of ``permissions.PERMISSIONS``),
    or ``public = True`` (health, OpenAPI, gateway webhooks). Closed by default: a resource that declares
    neither, or a responder without its action, needs a token and is refused (403), never served openly.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        keys: KeyAuthenticator,
        sessions: SessionCache,
        deleted: TTLCache[str, bool],
    ):
        """Parameters:
        deleted: ``store.merchants.is_deleted`` per merchant, cached: a deleted merchant's credentials are
          refused (within the cache's TTL on every process).
        """
        self.authenticator = authenticator
        self.keys = keys
        self.sessions = sessions
        self.deleted = deleted

    def principal(self, token: str) -> permissions.Principal:
        """Raises:
        Problem: 401 for a credential that is not valid now.
        """
        if token.startswith(KEY_PREFIXES):
            return self.keys.principal(token)
        claims = self.authenticator.verify(token)
        if claims.get("typ") == "user":
            return self.user(claims)
        scopes = permissions.service_scopes(str(claims.get("scope", "")).split())
        return permissions.Principal(
            claims["sub"], "service", claims["sub"], scopes, livemode=claims.get("livemode", True)
        )

    def user(self, claims: dict) -> permissions.Principal:
        """A user's access token as the role the user holds now (read at most ``sessions``' TTL ago).

        Raises:
          Problem: 401 when the session was revoked or has expired, or the user is no longer a member.
        """
        key = (str(claims.get("sid")), claims["sub"], str(claims.get("mid")))
        role = self.sessions.get(key)
        if role is None:
            raise unauthorized("the session has ended: log in again", "invalid_token")
        livemode = claims.get("livemode", True)
        return permissions.Principal(key[2], "user", key[1], permissions.ROLES[role], livemode, role, key[0])

    def process_resource(self, req, resp, resource, params):
        if resource is None or getattr(resource, "public", False):
            return  # a sink (404) or a public resource
        actions = getattr(resource, "actions", {})
        header = req.get_header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized("send Authorization: Bearer <token>")
        principal = self.principal(token.strip())
        if self.deleted.get(principal.merchant_id):
            raise Problem(403, "Forbidden", "the merchant is deleted", slug="merchant-deleted")
        req.context.principal = principal
        req.context.merchant_id = principal.merchant_id
        where = audit.actor()  # the request's, from RequestContext (dataclasses.replace took twice as long)
        audit.acting(audit.Actor(principal.kind, principal.id, where.request_id, where.ip, where.user_agent))
        action = actions.get(req.method)
        if action:
            permissions.authorize(principal.scopes, action)
        elif hasattr(resource, f"on_{req.method.lower()}"):  # served, but no permission names it
            permissions.refuse_undeclared(req.method)
