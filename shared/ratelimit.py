"""Rate limits: GCRA (a leaky bucket kept as one timestamp per key) in Redis, one round trip per check.

A ``Policy`` allows ``quota`` requests per ``window`` seconds, all of them at once if the bucket is
full (the burst), refilled evenly.  Redis keeps, per key, the "theoretical arrival time" of the next
request; one Lua script reads and moves it atomically with Redis's own clock, so every process and
replica shares one budget.  When Redis cannot be reached, ``hit`` either lets the request through
(``fail_open``, for reads) or counts it in this process alone (writes): a limit per process is looser
than the shared one, but never none.

A large budget (``quota`` of at least ``2 * PREFETCH_SHARE``) is taken from Redis a few tokens at a time
(``prefetch``: 1 % of the quota, at most ``PREFETCH_MAX``) and spent in this process for at most
``HOLD_SECONDS``: one round trip per that many requests.  Tokens are taken before they are spent, so the
shared budget is never exceeded; a process holds at most ``PREFETCH_MAX - 1`` unspent ones per key, which
other processes cannot use meanwhile (and those it does not spend in time are lost).  A small budget (every
login and webhook budget, a test's) is counted exactly, one round trip per request.
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

# KEYS[1]: the bucket; ARGV: emission interval and burst tolerance (microseconds), tokens wanted.
# Takes as many of the wanted tokens as the bucket holds (at least one, else none).
# Returns {tokens taken, remaining after them, retry after (us), reset (us)}.
_GCRA = """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local interval, tolerance, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or now), now)
local free = math.floor((now - tat + tolerance) / interval)
if free < 1 then
  return {0, 0, tat + interval - tolerance - now, tat - now}
end
local taken = math.min(wanted, free)
tat = tat + taken * interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
return {taken, free - taken, 0, tat - now}
"""


PREFETCH_SHARE = 100  # a round trip takes 1 / PREFETCH_SHARE of the quota...
PREFETCH_MAX = 16  # ...but never more tokens than this
HOLD_SECONDS = 1.0  # tokens taken and not spent within this are dropped


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
    def prefetch(self) -> int:
        """Tokens taken from Redis per round trip: 1 (exact) below ``2 * PREFETCH_SHARE``."""
        return max(1, min(PREFETCH_MAX, self.quota // PREFETCH_SHARE))

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


@dataclasses.dataclass
class _Held:
    """Tokens of one key taken from Redis and not spent yet."""

    tokens: int
    remaining: int  # the bucket's, in Redis, after they were taken
    reset_at: float  # time.monotonic() when the bucket is full again
    until: float  # time.monotonic() after which they are dropped


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
        self._held: dict[str, _Held] = {}
        self._held_lock = threading.Lock()
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
            held = self._spend_held(key, policy)
            if held is not None:
                return held
            try:
                raw = self._script(
                    keys=[self.prefix + key],
                    args=[policy.interval_us, policy.interval_us * policy.quota, policy.prefetch],
                )
                self._down_logged = False
                return self._hold(key, policy, raw)
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

    def _spend_held(self, key: str, policy: Policy) -> Decision | None:
        """One of the tokens this process holds for ``key``, or None (take from Redis)."""
        if policy.prefetch == 1:
            return None
        now = time.monotonic()
        with self._held_lock:
            held = self._held.get(key)
            if held is None or held.tokens == 0 or now >= held.until:
                return None
            held.tokens -= 1
            # the tokens still held are this process's to spend: part of what remains
            return Decision(policy, True, held.remaining + held.tokens, 0.0, max(0.0, held.reset_at - now))

    def _hold(self, key: str, policy: Policy, raw: Sequence[int]) -> Decision:
        """The decision for Redis's answer ``raw``: the first token taken is spent now, the rest held."""
        taken, remaining, retry_after_us, reset_us = (int(v) for v in raw)
        if taken > 1:
            now = time.monotonic()
            with self._held_lock:
                if len(self._held) > 10_000:  # forget the keys whose tokens were dropped
                    self._held = {k: h for k, h in self._held.items() if h.until > now}
                held = self._held.get(key)
                unspent = held.tokens if held is not None and now < held.until else 0  # another thread's
                self._held[key] = _Held(
                    unspent + taken - 1, remaining, now + reset_us / 1e6, now + HOLD_SECONDS
                )
        return _decide(policy, (taken, remaining + max(0, taken - 1), retry_after_us, reset_us))


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
