"""A small per-process cache whose entries expire: what an ingress process may believe for a few seconds
(a merchant's payment rules, a credential's rights) instead of asking the database on every request."""

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    """``load(key)`` remembered ``ttl_seconds`` per key: a change made elsewhere is seen at most that late.

    Parameters:
      load: Reads the value of a key (a query); its exceptions pass through and nothing is remembered.
      ttl_seconds: 0 loads on every ``get``.
      clock: Monotonic seconds (tests pass their own).
      max_entries: Past this many, the whole cache is dropped (bounded memory; a burst of new keys only
        costs their next load).
    """

    def __init__(
        self,
        load: Callable[[K], V],
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
    ) -> None:
        self.load = load
        self.ttl = ttl_seconds
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V:
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = self.load(key)
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + self.ttl, value)
        return value

    def forget(self, key: K) -> None:
        """Load ``key`` again on the next ``get`` (it changed in this process)."""
        self._entries.pop(key, None)
