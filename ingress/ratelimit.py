"""Rate limits at the door (OWASP API4): a budget per merchant for reads and one for writes, a budget
per source address for the public gateway webhooks.  Over a budget: ``429`` with ``Retry-After``.
Every answer the limiter counted carries ``RateLimit-Policy`` and ``RateLimit``
(draft-ietf-httpapi-ratelimit-headers), errors included.
"""

import math

from ingress.errors import Problem
from shared.ratelimit import Limiter, Policy

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def check(req, limiter, key, policy, fail_open=False):
    """Count this request on ``key`` under ``policy``; the decision's headers go on the answer.

    Raises:
      Problem: 429 with ``Retry-After`` when over the budget.
    """
    decision = limiter.hit(key, policy, fail_open)
    req.context.rate_limits = [*getattr(req.context, "rate_limits", ()), decision]
    if not decision.allowed:
        raise Problem(
            429,
            "Too many requests",
            f"the {policy.name} limit is {policy.quota} per {policy.window} s; "
            f"retry after {decision.retry_after:.3f} s",
            slug="rate-limited",
            headers={"Retry-After": str(max(1, math.ceil(decision.retry_after)))},
        )


class RateLimit:
    """Middleware, installed after ``Authentication``: an authenticated request counts against its
    merchant's read or write budget; a resource with ``limit_by_address = True`` (public, e.g. gateway
    webhooks) against its source address's.  A request with an API key counts first against the key's
    own budget (``key-read``, ``key-write``: ``rate_limit_api_key_percent`` of the merchant's), then the
    merchant's: one runaway or leaked key cannot starve the merchant's other credentials, and more keys
    buy no more requests.

    Parameters:
      config: ``shared.config.Config`` (``rate_limit_*``, ``trusted_proxies``).
      limiter: A ``shared.ratelimit.Limiter``.
    """

    def __init__(self, config, limiter: Limiter):
        self.limiter = limiter
        self.read, self.write = (
            Policy("read", config.rate_limit_read),
            Policy("write", config.rate_limit_write),
        )
        self.webhook = Policy("webhook", config.rate_limit_webhooks_per_ip)
        self.key_percent = config.rate_limit_api_key_percent
        self.overrides = {
            merchant: (Policy("read", read), Policy("write", write))
            for merchant, (read, write) in config.rate_limit_overrides_by_merchant().items()
        }

    def policies(self, identity):
        """``(read, write)`` policies of a credential identity: its override, else the defaults."""
        return self.overrides.get(identity, (self.read, self.write))

    def process_resource(self, req, resp, resource, params):
        identity = getattr(req.context, "merchant_id", None)
        if identity is not None:
            read, write = self.policies(identity)
            policy, fail_open = (read, True) if req.method in READ_METHODS else (write, False)
            principal = req.context.principal
            if principal.kind == "api_key":
                own = Policy(
                    f"key-{policy.name}", max(1, policy.quota * self.key_percent // 100), policy.window
                )
                check(req, self.limiter, f"{own.name}:{principal.id}", own, fail_open)
            key = f"{policy.name}:{identity}"
        elif getattr(resource, "limit_by_address", False):
            policy, fail_open = self.webhook, False
            key = f"webhook:{req.context.client_ip}"
        else:
            return
        check(req, self.limiter, key, policy, fail_open)

    def process_response(self, req, resp, resource, req_succeeded):
        decisions = getattr(req.context, "rate_limits", ())
        if decisions:
            resp.set_header("RateLimit-Policy", ", ".join(d.policy.header for d in decisions))
            resp.set_header("RateLimit", ", ".join(d.header for d in decisions))
