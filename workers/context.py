"""What the actors work with, built once per worker process and injected."""

import dataclasses
import random
from collections.abc import Callable

from gateways.base import Gateway
from shared.cache import Cache
from shared.config import Config
from store.unit import Unit
from store.vault import Vault
from workers.circuit import CircuitBreaker
from workers.radar import Radar


@dataclasses.dataclass
class Context:
    """Parameters:
    config: This process's configuration.
    gateways: ``{name: adapter}``, every registered gateway, with the live credentials.
    test_gateways: The same with the test credentials, for test-mode payments only.
    vault: Opens the card for one call.
    cache: Status cache, circuit state, PayPal token.
    circuit: One breaker per gateway, its state in ``cache``.
    radar: The fraud decision before a payment's first gateway call, and its velocity counters.
    notify: Wakes the outbox relay after a commit that wrote jobs.
    """

    config: Config
    gateways: dict[str, Gateway]
    test_gateways: dict[str, Gateway]
    vault: Vault
    cache: Cache
    circuit: CircuitBreaker
    radar: Radar
    notify: Callable[[], None] = lambda: None

    def gateway(self, name: str, livemode: bool) -> Gateway:
        """The adapter of gateway ``name`` for a payment of mode ``livemode``."""
        return (self.gateways if livemode else self.test_gateways)[name]

    def unit(self, batched: bool = False) -> Unit:
        """A unit of work whose commit wakes the relay (jobs written) and caches the payments changed.

        Parameters:
          batched: Its writes go with the COMMIT (``store.unit.Unit``).
        """
        return Unit(cache=self.cache, notify=self.notify, batched=batched)

    def backoff_ms(self, tries: int, retry_after: float | None = None) -> int:
        """Exponential backoff with full jitter, never shorter than the gateway's Retry-After."""
        cap = min(self.config.retry_max_backoff_ms, self.config.retry_min_backoff_ms * 2 ** max(tries - 1, 0))
        delay = random.uniform(cap / 2, cap)
        if retry_after:
            delay = max(delay, retry_after * 1000)
        return int(delay)
