"""Per-gateway circuit breaker, shared by every worker through the cache.

Counts calls and errors (retryable and unknown outcomes, not declines) in a
fixed window; when the error rate passes the threshold over enough calls the
circuit opens for ``open_seconds``, then half-opens: the next payments try the
gateway again, and one more bad window opens it again.
"""

import time

from shared import metrics

CLOSED, HALF_OPEN, OPEN = 0, 1, 2


class CircuitBreaker:
    def __init__(
        self, cache, *, error_rate=0.5, window_seconds=30, min_calls=10, open_seconds=30, clock=time.time
    ):
        self.cache = cache
        self.error_rate = error_rate
        self.window = window_seconds
        self.min_calls = min_calls
        self.open_seconds = open_seconds
        self.clock = clock

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
        """Count one call's result (one round trip); open the circuit when the window's
        error rate is too high."""
        calls, errors = self.cache.incr(
            {self._window_key(gateway, "calls"): 1, self._window_key(gateway, "errors"): 0 if ok else 1},
            self.window * 2,
        )
        if not ok and calls >= self.min_calls and errors / calls >= self.error_rate:
            self.cache.set(
                f"circuit:{gateway}:open_until", str(self.clock() + self.open_seconds), self.open_seconds * 4
            )
            metrics.circuit_state.labels(gateway).set(OPEN)

    def state(self, gateway) -> int:
        until = self.cache.get(f"circuit:{gateway}:open_until")
        state = CLOSED if until is None else OPEN if self.clock() < float(until) else HALF_OPEN
        metrics.circuit_state.labels(gateway).set(state)
        return state

    def allows(self, gateway) -> bool:
        return self.state(gateway) != OPEN
