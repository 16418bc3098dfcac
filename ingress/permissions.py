"""Who may do what: every action a resource offers, the scope that grants it, and the one check.

A resource names its actions per method (``actions = {"GET": "payments.read", ...}``) or says it is
``public = True``; anything else is refused.  Today
the credential is a JWT whose ``sub`` is the merchant: a service token acts with its merchant owner's rights,
so ``payments:write`` also changes the merchant's settings.  The roles of issue 13 (users, API keys) grant
these same actions, here.
"""

from collections.abc import Collection

from ingress.errors import Problem

READ, WRITE = "payments:read", "payments:write"
#: Operators' scope: settles any merchant's payment that awaits review; never minted by default.
ADMIN = "admin"

#: Action -> the scope that grants it.
PERMISSIONS = {
    "payments.read": READ,
    "payments.write": WRITE,
    "webhook_endpoints.read": READ,
    "webhook_endpoints.write": WRITE,
    "events.read": READ,
    "events.redeliver": WRITE,
    "merchant.read": READ,
    "merchant.update": WRITE,
    "review.read": ADMIN,
    "review.resolve": ADMIN,
}


def authorize(granted: Collection[str], action: str) -> None:
    """Parameters:
      granted: The credential's scopes.
      action: A key of ``PERMISSIONS``.

    Raises:
      Problem: 403 naming the scope that would grant ``action``.
      KeyError: ``action`` is not in ``PERMISSIONS`` (a resource's mistake, never the client's).
    """
    needed = PERMISSIONS[action]
    if needed not in granted:
        raise Problem(
            403,
            "Forbidden",
            f"the token lacks the scope {needed}",
            slug="insufficient-scope",
            headers={
                "WWW-Authenticate": f'Bearer realm="paywave", error="insufficient_scope", scope="{needed}"'
            },
        )


def refuse_undeclared(method: str) -> None:
    """A responder no action names: refused, so a resource that forgets its permissions is closed, not open.

    Raises:
      Problem: 403.
    """
    raise Problem(403, "Forbidden", f"{method} here grants no action to any credential", slug="forbidden")
