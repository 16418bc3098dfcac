"""Who may do what: the scopes, what each role holds, every action a resource offers, and the one check.

A resource names its actions per method (``actions = {"GET": "payments.read", ...}``) or says it is
``public = True``; anything else is refused.  Every credential becomes a ``Principal`` holding scopes:

- a user's session token: the scopes of the user's role for that merchant (``ROLES``);
- an API key: the scopes it was created with, never more than its creator's role held;
- a publishable key (``pk_…``): ``TOKENS`` alone, the one scope no role and no secret credential holds: it
  is meant to sit in a browser's page, where anyone can read it, so it can only turn a card into a token;
- a service token (a JWT minted with the operator's secret): its ``scope`` claim, where ``payments:read``
  stands for every read scope but ``audit:read`` and ``payments:write`` for every other scope of an owner, so
  the two together act as the merchant's owner (as before roles existed).
"""

import dataclasses
from collections.abc import Collection

from ingress.errors import Problem

# The tables live in shared.permissions, so the dashboard checks the same ones; the API reads them from here.
from shared.permissions import ADMIN, PERMISSIONS, READ, ROLES, SCOPES, TOKENS, WRITE  # noqa: F401

#: What a service token's ``payments:read`` stands for. Not ``audit:read``: who did what is for an owner's
#: eyes (``payments:write``), not for every token that may read payments.
_READS = (frozenset(scope for scope in SCOPES if scope.endswith(":read")) - {"audit:read"}) | {
    "payments:export"
}


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is asking: put on ``req.context.principal`` by ``ingress.auth.Authentication``.

    Parameters:
      merchant_id: The merchant acted for.
      kind: ``service`` (a service token), ``user`` (a session token) or ``api_key`` (secret or publishable).
      id: The user's or key's id; a service token's ``sub`` (its merchant).
      scopes: What it may do (keys of ``ROLES`` values, or ``ADMIN``).
      livemode: Whether it sees and moves live money (a test key: never).
      role: A user's role for the merchant; None for keys and service tokens.
      session_id: A user's login session (the access token's ``sid``); None for the others.
    """

    merchant_id: str
    kind: str
    id: str
    scopes: frozenset[str]
    livemode: bool = True
    role: str | None = None
    session_id: str | None = None


def service_scopes(claimed: Collection[str]) -> frozenset[str]:
    """A service token's ``scope`` claim as scopes: the two it always had stand for what they always meant."""
    scopes = set(claimed)
    if WRITE in scopes:
        scopes |= ROLES["owner"] - _READS
    if READ in scopes:
        scopes |= _READS
    return frozenset(scopes)


def authorize(granted: Collection[str], action: str) -> None:
    """Parameters:
      granted: The credential's scopes.
      action: A key of ``PERMISSIONS``.

    Raises:
      Problem: 403 naming the scope that would grant ``action``.
      KeyError: ``action`` is not in ``PERMISSIONS`` (a resource's mistake, never the client's).
    """
    require(granted, PERMISSIONS[action])


def require(granted: Collection[str], needed: str) -> None:
    """Parameters:
      granted: The credential's scopes.
      needed: One scope it must hold (an action's, or one it would hand on: an API key's).

    Raises:
      Problem: 403 naming ``needed``.
    """
    if needed not in granted:
        raise Problem(
            403,
            "Forbidden",
            f"the credential lacks the scope {needed}",
            slug="insufficient-scope",
            headers={
                "WWW-Authenticate": f'Bearer realm="paywave", error="insufficient_scope", scope="{needed}"'
            },
        )


def roles_table() -> str:
    """Markdown rows for the README's roles table: each scope, the roles holding it, the actions it grants."""
    names = list(ROLES)
    rows = [f"| scope | {' | '.join(names)} | grants |", "|---" * (len(names) + 2) + "|"]
    for scope in (*SCOPES, TOKENS):
        held = " | ".join("✓" if scope in ROLES[role] else "" for role in names)
        grants = ", ".join(f"`{action}`" for action, needed in PERMISSIONS.items() if needed == scope)
        rows.append(f"| `{scope}` | {held} | {grants or '(checked by the action itself)'} |")
    return "\n".join(rows)


def refuse_undeclared(method: str) -> None:
    """A responder no action names: refused, so a resource that forgets its permissions is closed, not open.

    Raises:
      Problem: 403.
    """
    raise Problem(403, "Forbidden", f"{method} here grants no action to any credential", slug="forbidden")
