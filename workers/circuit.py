"""Per-gateway circuit breaker, shared by every worker through the cache.

Counts calls and errors (retryable and unknown outcomes, not declines) in a
fixed window; when the error rate passes the threshold over enough calls the
circuit opens for ``open_seconds``, then half-opens: the next payments try the
gateway again, and one more bad window opens it again.

Without a round trip per call: each process counts its calls in memory and
sends them, with one read of the circuit's state, at most every ``sync_seconds``
(a call that errs sends them at once, so the process that sees the errors opens
the circuit as soon as the counts say so).  The state read is kept as long: a
circuit opened by another process stops this one's calls within ``sync_seconds``.
"""

import threading
import time

from shared import metrics

CLOSED, HALF_OPEN, OPEN = 0, 1, 2


class CircuitBreaker:
    def __init__(
        self,
        cache,
        *,
        error_rate=0.5,
        window_seconds=30,
        min_calls=10,
        open_seconds=30,
        sync_seconds=1.0,
        clock=time.time,
    ):
        self.cache = cache
        self.error_rate = error_rate
        self.window = window_seconds
        self.min_calls = min_calls
        self.open_seconds = open_seconds
        self.sync_seconds = sync_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._unsent: dict[str, list[int]] = {}  # gateway -> [calls, errors] counted here, not sent yet
        self._synced: dict[str, float] = {}  # gateway -> when its counts were last sent and its state read
        self._open_until: dict[str, float | None] = {}  # gateway -> its state as last read

    @classmethod
    def from_config(cls, cache, config):
        return cls(
            cache,
            error_rate=config.circuit_error_rate,
            window_seconds=config.circuit_window_seconds,
            min_calls=config.circuit_min_calls,
            open_seconds=config.circuit_open_seconds,
        )

    def _window_key(self, gateway, kind):
        return f"circuit:{gateway}:{kind}:{int(self.clock() // self.window)}"

    def record(self, gateway, ok: bool):
        """Count one call's result: sent now when it erred or the last sync is ``sync_seconds`` old."""
        with self._lock:
            unsent = self._unsent.setdefault(gateway, [0, 0])
            unsent[0] += 1
            unsent[1] += not ok
            due = not ok or self.clock() - self._synced.get(gateway, float("-inf")) >= self.sync_seconds
        if due:
            self._sync(gateway)

    def _sync(self, gateway):
        """Send this process's unsent counts of ``gateway`` (to the window current now) and read its state,
        in one round trip; open the circuit when the window's error rate is too high."""
        with self._lock:
            calls, errors = self._unsent.pop(gateway, (0, 0))
            self._synced[gateway] = self.clock()  # the other threads use the state in hand meanwhile
        key = f"circuit:{gateway}:open_until"
        window = {self._window_key(gateway, "calls"): calls, self._window_key(gateway, "errors"): errors}
        totals, (until,) = self.cache.incr(window if calls else {}, self.window * 2, [key])
        if errors and totals[0] >= self.min_calls and totals[1] / totals[0] >= self.error_rate:
            until = str(self.clock() + self.open_seconds)
            self.cache.set(key, until, self.open_seconds * 4)
            metrics.circuit_state.labels(gateway).set(OPEN)
        with self._lock:
            self._open_until[gateway] = None if until is None else float(until)

    def state(self, gateway) -> int:
        """The circuit's state, as read at most ``sync_seconds`` ago."""
        with self._lock:
            stale = self.clock() - self._synced.get(gateway, float("-inf")) >= self.sync_seconds
        if stale:
            self._sync(gateway)
        until = self._open_until.get(gateway)
        state = CLOSED if until is None else OPEN if self.clock() < until else HALF_OPEN
        metrics.circuit_state.labels(gateway).set(state)
        return state

    def allows(self, gateway) -> bool:
        return self.state(gateway) != OPEN
