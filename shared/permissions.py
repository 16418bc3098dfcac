"""The scopes, what each role holds, and which scope grants each action: one table for every door a merchant's
team uses (the API, ``ingress.permissions``; the dashboard, ``dashboard``), so neither has permissions of its
own.  Checking a credential against it is each door's: a 403 problem for the API, a 403 page for the
dashboard.
"""

READ, WRITE = "payments:read", "payments:write"
#: A publishable key's only scope (``POST /tokens``): in no role, held by no secret key, session or service
#: token.
TOKENS = "tokens:write"
#: Operators' scope: settles any merchant's payment awaiting review; in no role, never minted by default.
ADMIN = "admin"

#: Each role's scopes, cumulative from the least to the most trusted (the README's roles table).
_VIEWER = ("payments:read", "customers:read", "merchant:read")
_ANALYST = (*_VIEWER, "payments:export", "radar:read", "reviews:read")
_DEVELOPER = (
    *_ANALYST,
    "payments:write",
    "customers:write",
    "webhooks:read",
    "webhooks:write",
    "api_keys:read",
    "api_keys:write",
)
_ADMIN = (
    *_DEVELOPER,
    "refunds:write",
    "captures:write",
    "users:read",
    "users:write",
    "merchant:write",
    "audit:read",
    "radar:write",
    "reviews:write",
)
_OWNER = (*_ADMIN, "merchant:delete", "owners:write")
ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEWER),
    "analyst": frozenset(_ANALYST),
    "developer": frozenset(_DEVELOPER),
    "admin": frozenset(_ADMIN),
    "owner": frozenset(_OWNER),
}
#: Every scope a merchant's credential can hold, in the order the README lists them.
SCOPES = _OWNER
#: Action -> the scope that grants it.
PERMISSIONS = {
    "payments.read": "payments:read",
    "payments.write": "payments:write",
    "payments.export": "payments:export",
    "payments.capture": "captures:write",
    "payments.cancel": "captures:write",
    "refunds.write": "refunds:write",
    "webhook_endpoints.read": "webhooks:read",
    "webhook_endpoints.write": "webhooks:write",
    "customers.read": "customers:read",
    "customers.write": "customers:write",
    "events.read": "payments:read",
    "events.redeliver": "webhooks:write",
    "merchant.read": "merchant:read",
    "merchant.update": "merchant:write",
    "merchant.delete": "merchant:delete",
    "api_keys.read": "api_keys:read",
    "api_keys.write": "api_keys:write",
    "audit_events.read": "audit:read",
    "users.read": "users:read",
    "users.write": "users:write",
    # A user's own account and sessions: every role holds merchant:read; a resource refuses other credentials.
    "me.read": "merchant:read",
    "me.write": "merchant:read",
    "sessions.switch": "merchant:read",
    "tokens.create": TOKENS,
    "radar.read": "radar:read",
    "radar.write": "radar:write",
    "reviews.read": "reviews:read",
    "reviews.write": "reviews:write",
    "review.read": ADMIN,
    "review.resolve": ADMIN,
}


def grants(granted: frozenset[str] | set[str], action: str) -> bool:
    """Whether scopes ``granted`` grant ``action`` (a key of ``PERMISSIONS``; another is a caller's bug:
    KeyError)."""
    return PERMISSIONS[action] in granted


def within(granted: frozenset[str] | set[str], role: str) -> bool:
    """Whether a credential holding ``granted`` may grant, change or remove ``role`` (none above its own)."""
    return ROLES[role] <= granted
