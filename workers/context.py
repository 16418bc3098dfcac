"""What the actors work with, built once per worker process and injected."""
import dataclasses
import random

from store.unit import Unit
from workers.circuit import CircuitBreaker


@dataclasses.dataclass
class Context:
    """Parameters:
      config: ``shared.config.Config``.
      gateways: ``{name: gateways.base.Gateway}``.
      vault: ``store.vault.Vault`` (opens the card for one call).
      cache: ``shared.cache.Cache`` (status cache, circuit state, PayPal token).
      circuit: ``workers.circuit.CircuitBreaker``.
      notify: Wakes the outbox relay after a commit that wrote jobs.
    """

    config: object
    gateways: dict
    vault: object
    cache: object
    circuit: CircuitBreaker
    notify: object = lambda: None

    def unit(self) -> Unit:
        """A unit of work whose commit wakes the relay (jobs written) and caches the payments changed."""
        return Unit(cache=self.cache, notify=self.notify)

    def backoff_ms(self, tries: int, retry_after: float | None = None) -> int:
        """Exponential backoff with full jitter, never shorter than the gateway's Retry-After."""
        cap = min(self.config.retry_max_backoff_ms, self.config.retry_min_backoff_ms * 2 ** max(tries - 1, 0))
        delay = random.uniform(cap / 2, cap)
        if retry_after:
            delay = max(delay, retry_after * 1000)
        return int(delay)
