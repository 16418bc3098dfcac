"""The status cache (Redis, or memory in development) and small shared state.

The cache is an accelerator, never the source of truth: every failure to reach
Redis is logged and answered as a miss, so ``GET /payments/{id}`` falls back
to Postgres and writes carry on.  Payment entries are versioned: a write only
lands when its version is newer than the cached one, so a slow writer holding
an old copy can never overwrite a newer status.
"""

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, cast

import redis

from shared import tracing
from shared.config import Config
from shared.logging import get_logger

log = get_logger(__name__)

_SET_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'b', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def mode(livemode: bool) -> str:
    """``live`` or ``test``: the mode's part of a cache key."""
    return "live" if livemode else "test"


class Cache:
    """Interface shared by ``RedisCache`` and ``MemoryCache``."""

    def get_payment(self, merchant_id: str, livemode: bool, payment_id: str) -> bytes | None:
        """The cached payment object (JSON bytes), or None on a miss or an outage.

        Entries are keyed by merchant and mode too, so a hit can never cross merchants or modes."""
        raise NotImplementedError

    def put_payment(
        self, merchant_id: str, livemode: bool, payment_id: str, version: int, body: bytes
    ) -> bool:
        """Cache ``body`` unless a newer ``version`` is cached; True when written."""
        raise NotImplementedError

    def get(self, key: str) -> str | None:
        raise NotImplementedError

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        raise NotImplementedError

    def incr(
        self, counts: dict[str, int], ttl_seconds: int, read: Sequence[str] = ()
    ) -> tuple[list[int], list[str | None]]:
        """Add ``{key: n}`` to counters that expire ``ttl_seconds`` after their creation, and read the keys
        ``read``, in one round trip.

        Returns:
          ``(the counters' new values, the values read)``, each in order; an outage answers zeros and None.
        """
        raise NotImplementedError

    def ping(self) -> bool:
        raise NotImplementedError


class RedisCache(Cache):
    """Parameters:
    url: ``redis://host:port/db``.
    prefix: Prepended to every key (isolates deployments and test runs).
    ttl_seconds: Lifetime of payment entries.
    client: An existing ``redis.Redis`` (tests), else one is made from ``url``.
    """

    PAUSE_AFTER_ERROR = 1.0  # seconds to stop trying after a failure, so an outage costs no latency

    def __init__(
        self, url: str, prefix: str = "paywave:", ttl_seconds: int = 86400, client: redis.Redis | None = None
    ) -> None:
        self.client = client or redis.Redis.from_url(
            url, socket_timeout=0.25, socket_connect_timeout=0.25, health_check_interval=30
        )
        self.prefix = prefix
        self.ttl = ttl_seconds
        self._set_if_newer = self.client.register_script(_SET_IF_NEWER)
        self._down_until = 0.0
        self._own = threading.local()  # each thread's connection for ``_hget``

    def _call(self, what: str, fn: Callable[[], Any], default: Any = None) -> Any:
        if time.monotonic() < self._down_until:
            return default
        try:
            return fn()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + self.PAUSE_AFTER_ERROR
            log.warning("cache_unavailable", operation=what, error=type(exc).__name__)
            return default

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def get_payment(self, merchant_id: str, livemode: bool, payment_id: str) -> bytes | None:
        key = self.key("payment", merchant_id, mode(livemode), payment_id)
        return self._call("get_payment", lambda: self._hget(key, "b"))

    def _hget(self, key: str, field: str) -> bytes | None:
        """``HGET`` on this thread's own connection (a cache hit is that one command): through redis-py's
        client it cost 110-145 µs of CPU (its pool, retry, event and metrics hooks), a tenth of a cache
        hit's; here 45.  A traced process goes through the client, which its instrumentation records."""
        if tracing.enabled():
            return cast(bytes | None, self.client.hget(key, field))  # bytes: the client does not decode
        connection = getattr(self._own, "connection", None)
        if connection is None:
            pool = self.client.connection_pool
            connection = self._own.connection = pool.connection_class(**pool.connection_kwargs)
        try:
            connection.send_command("HGET", key, field)
            return connection.read_response()
        except BaseException:
            connection.disconnect()  # a reply may be left unread: start clean on the next command
            raise

    def put_payment(
        self, merchant_id: str, livemode: bool, payment_id: str, version: int, body: bytes
    ) -> bool:
        key = self.key("payment", merchant_id, mode(livemode), payment_id)
        return bool(
            self._call(
                "put_payment",
                lambda: self._set_if_newer(keys=[key], args=[version, body, self.ttl]),
                0,
            )
        )

    def get(self, key: str) -> str | None:
        value = self._call("get", lambda: self.client.get(self.key(key)))
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        self._call("set", lambda: self.client.set(self.key(key), value, ex=ttl_seconds))

    def incr(
        self, counts: dict[str, int], ttl_seconds: int, read: Sequence[str] = ()
    ) -> tuple[list[int], list[str | None]]:
        def count() -> tuple[list[int], list[str | None]]:
            with self.client.pipeline(transaction=False) as pipe:
                for key, n in counts.items():
                    pipe.incrby(self.key(key), n)
                    pipe.expire(self.key(key), ttl_seconds, nx=True)
                for key in read:
                    pipe.get(self.key(key))
                replies = pipe.execute()
            values = replies[2 * len(counts) :]
            return replies[: 2 * len(counts) : 2], [None if v is None else v.decode() for v in values]

        return self._call("incr", count, ([0] * len(counts), [None] * len(read)))

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


class MemoryCache(Cache):
    """In-process stand-in for Redis: development and single-process runs only."""

    def __init__(self, ttl_seconds: int = 86400) -> None:
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._data: dict[Hashable, tuple[float, Any]] = {}  # key -> (expiry, value)

    def _live(self, key: Hashable) -> Any:
        item = self._data.get(key)
        if item and item[0] > time.monotonic():
            return item[1]
        return None

    def get_payment(self, merchant_id: str, livemode: bool, payment_id: str) -> bytes | None:
        with self._lock:
            entry = self._live(("payment", merchant_id, livemode, payment_id))
        return entry[1] if entry else None

    def put_payment(
        self, merchant_id: str, livemode: bool, payment_id: str, version: int, body: bytes
    ) -> bool:
        key = ("payment", merchant_id, livemode, payment_id)
        with self._lock:
            entry = self._live(key)
            if entry and entry[0] >= version:
                return False
            self._data[key] = (time.monotonic() + self.ttl, (version, body))
            return True

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl_seconds: int) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl_seconds, value)

    def incr(
        self, counts: dict[str, int], ttl_seconds: int, read: Sequence[str] = ()
    ) -> tuple[list[int], list[str | None]]:
        values = []
        with self._lock:
            for key, n in counts.items():
                item = self._data.get(key)
                if item and item[0] > time.monotonic():
                    self._data[key] = (item[0], str(int(item[1]) + n))
                else:
                    self._data[key] = (time.monotonic() + ttl_seconds, str(n))
                values.append(int(self._data[key][1]))
            return values, [self._live(key) for key in read]

    def ping(self) -> bool:
        return True


def build_cache(config: Config) -> Cache:
    if config.redis_url:
        return RedisCache(config.redis_url, config.cache_prefix, config.cache_ttl_seconds)
    return MemoryCache(config.cache_ttl_seconds)
