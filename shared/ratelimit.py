"""Rate limits: GCRA (a leaky bucket kept as one timestamp per key) in Redis, one round trip per check.

A ``Policy`` allows ``quota`` requests per ``window`` seconds, all of them at once if the bucket is
full (the burst), refilled evenly.  Redis keeps, per key, the "theoretical arrival time" of the next
request; one Lua script reads and moves it atomically with Redis's own clock, so every process and
replica shares one budget.  When Redis cannot be reached, ``hit`` either lets the request through
(``fail_open``, for reads) or counts it in this process alone (writes): a limit per process is looser
than the shared one, but never none.
"""

import dataclasses
import hashlib
import ipaddress
import math
import threading
import time
from collections.abc import Sequence
from typing import Any, Self

import redis

from shared.config import Config
from shared.logging import get_logger

log = get_logger(__name__)

# KEYS[1]: the bucket; ARGV: emission interval and burst tolerance (microseconds).
# Returns {allowed (0/1), remaining, retry after (us), reset (us)}.
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local allow_at = tat + interval - tolerance
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
return {1, math.floor((now - tat + tolerance) / interval), 0, tat - now}
"""


@dataclasses.dataclass(frozen=True)
class Policy:
    """``quota`` requests per ``window`` seconds, named ``name`` in the RateLimit headers."""

    name: str
    quota: int
    window: int = 1

    @property
    def interval_us(self) -> int:
        return self.window * 1_000_000 // self.quota

    @property
    def header(self) -> str:
        """This policy as an item of ``RateLimit-Policy`` (draft-ietf-httpapi-ratelimit-headers)."""
        return f'"{self.name}";q={self.quota};w={self.window}'


@dataclasses.dataclass(frozen=True)
class Decision:
    """Parameters:
    allowed: Whether the request may go on.
    remaining: Requests left now.
    retry_after: Seconds until the next request would be allowed (0 when allowed).
    reset: Seconds until the bucket is full again.
    """

    policy: Policy
    allowed: bool
    remaining: int
    retry_after: float
    reset: float

    @property
    def header(self) -> str:
        """This decision as an item of ``RateLimit``."""
        return f'"{self.policy.name}";r={self.remaining};t={math.ceil(self.reset)}'


def _decide(policy: Policy, raw: Sequence[int]) -> Decision:
    allowed, remaining, retry_after_us, reset_us = raw
    return Decision(policy, bool(allowed), int(remaining), retry_after_us / 1e6, reset_us / 1e6)


class _Local:
    """The same GCRA in this process's memory (no Redis, or Redis unreachable)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, int] = {}

    def hit(self, key: str, policy: Policy) -> Decision:
        now = int(time.monotonic() * 1_000_000)
        interval, tolerance = policy.interval_us, policy.interval_us * policy.quota
        with self._lock:
            if len(self._tat) > 100_000:  # forget buckets that are full again
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            tat = max(self._tat.get(key, now), now)
            if now < tat + interval - tolerance:
                return _decide(policy, (0, 0, tat + interval - tolerance - now, tat - now))
            self._tat[key] = tat + interval
            return _decide(
                policy, (1, (now - tat - interval + tolerance) // interval, 0, tat + interval - now)
            )


class Limiter:
    """Checks and counts requests against policies.

    Parameters:
      client: A ``redis.Redis``, or None to count in this process only (development).
      prefix: Prepended to every key (isolates deployments and test runs).
    """

    PAUSE_AFTER_ERROR = 1.0  # seconds without trying Redis after a failure, so an outage costs no latency

    def __init__(self, client: redis.Redis | None = None, prefix: str = "paywave:") -> None:
        self.client = client
        self.prefix = prefix + "rl:"
        self._script = client.register_script(_GCRA) if client is not None else None
        self._local = _Local()
        self._down_until = 0.0
        self._down_logged = False

    @classmethod
    def from_config(cls, config: Config) -> Self:
        client = (
            redis.Redis.from_url(
                config.redis_url, socket_timeout=0.25, socket_connect_timeout=0.25, health_check_interval=30
            )
            if config.redis_url
            else None
        )
        return cls(client, config.cache_prefix)

    def hit(self, key: str, policy: Policy, fail_open: bool = False) -> Decision:
        """Count one request on ``key`` (e.g. ``write:<merchant>``) under ``policy``.

        Parameters:
          fail_open: When Redis is unreachable, allow it (reads) instead of limiting it in this process.
        """
        if self._script is not None and time.monotonic() >= self._down_until:
            try:
                decision = _decide(
                    policy,
                    self._script(
                        keys=[self.prefix + key], args=[policy.interval_us, policy.interval_us * policy.quota]
                    ),
                )
                self._down_logged = False
                return decision
            except redis.RedisError as exc:
                self._down_until = time.monotonic() + self.PAUSE_AFTER_ERROR
                if not self._down_logged:  # once per outage
                    self._down_logged = True
                    log.warning(
                        "rate_limit_redis_unavailable",
                        error=type(exc).__name__,
                        fallback="reads allowed, writes limited per process",
                    )
        if self._script is not None and fail_open:
            return Decision(policy, True, policy.quota, 0.0, 0.0)
        return self._local.hit(key, policy)


#: Seconds over which login attempts are counted, per account and per address.
LOGIN_WINDOW = 15 * 60


def login_throttled(limiter: Limiter, config: Config, email: str, ip: str) -> bool:
    """Count one login attempt on both budgets, the account's and the address's (both, always), shared by
    every door a user logs in at (the API's ``POST /auth/login``, the dashboard's form).  True when either is
    spent.  The account's key is a digest: Redis never holds an email."""
    account = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
    decisions = [
        limiter.hit(
            f"login-account:{account}",
            Policy("login-account", config.login_attempts_per_account, LOGIN_WINDOW),
        ),
        limiter.hit(f"login-ip:{ip}", Policy("login-ip", config.login_attempts_per_ip, LOGIN_WINDOW)),
    ]
    return not all(decision.allowed for decision in decisions)


def client_address(req: Any, trusted: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> str:
    """The client's address: the peer, or when the peer is one of the ``trusted`` proxy networks, the
    last ``X-Forwarded-For`` entry that is not (what a client writes itself further left is not trusted).

    Parameters:
      req: A WSGI framework's request (``remote_addr``, ``get_header``): the API's and the dashboard's.
    """

    def is_trusted(address: str) -> bool:
        try:
            return any(ipaddress.ip_address(address) in net for net in trusted)
        except ValueError:
            return False

    address = req.remote_addr
    if trusted and is_trusted(address):
        for hop in reversed(
            [h.strip() for h in (req.get_header("X-Forwarded-For") or "").split(",") if h.strip()]
        ):
            address = hop
            if not is_trusted(hop):
                break
    return address
