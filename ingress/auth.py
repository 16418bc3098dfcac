"""Authentication: ``Authorization: Bearer <credential>`` becomes a ``permissions.Principal``.

A service token is a JWT whose ``sub`` is the merchant and whose ``scope`` (space-separated) says what it
may do (``permissions.service_scopes``).  A user's access token (``typ: "user"``, from ``POST /auth/login``)
names the user (``sub``), the merchant (``mid``) and the session (``sid``); its scopes are those of the role
the user holds now, read with the session's state through ``store.sessions.SessionCache``.  Algorithms
come from an explicit allow-list in configuration, so a token cannot pick its own (``alg: none``, or HS256
signed with a public key).
"""

import dataclasses
import functools
import numbers
import time

import jwt

from ingress import permissions
from ingress.errors import Problem
from shared.config import ConfigError
from store import audit
from store.sessions import SessionCache

SCOPES = (permissions.READ, permissions.WRITE)


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
        return claims

    def mint(self, merchant_id: str, scopes=SCOPES, ttl_seconds=3600) -> str:
        return self._sign({"sub": merchant_id, "scope": " ".join(scopes)}, ttl_seconds)

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

    def __init__(self, authenticator: Authenticator, sessions: SessionCache):
        self.authenticator = authenticator
        self.sessions = sessions

    def principal(self, token: str) -> permissions.Principal:
        """Raises:
        Problem: 401 for a credential that is not valid now.
        """
        claims = self.authenticator.verify(token)
        if claims.get("typ") == "user":
            return self.user(claims)
        scopes = permissions.service_scopes(str(claims.get("scope", "")).split())
        return permissions.Principal(claims["sub"], "service", claims["sub"], scopes)

    def user(self, claims: dict) -> permissions.Principal:
        """A user's access token as the role the user holds now (read at most ``sessions``' TTL ago).

        Raises:
          Problem: 401 when the session was revoked or has expired, or the user is no longer a member.
        """
        key = (str(claims.get("sid")), claims["sub"], str(claims.get("mid")))
        role = self.sessions.get(key)
        if role is None:
            raise unauthorized("the session has ended: log in again", "invalid_token")
        livemode = claims.get("livemode", True) is not False
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
        req.context.principal = principal
        req.context.merchant_id = principal.merchant_id
        audit.acting(dataclasses.replace(audit.actor(), type=principal.kind, id=principal.id))
        action = actions.get(req.method)
        if action:
            permissions.authorize(principal.scopes, action)
        elif hasattr(resource, f"on_{req.method.lower()}"):  # served, but no permission names it
            permissions.refuse_undeclared(req.method)
