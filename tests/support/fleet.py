"""Every pool's actors and the relay running in the test's process, and an API client beside them: what the
worker and tracing tests drive payments through."""

import contextlib
from collections.abc import Iterator

import dramatiq
from falcon import testing

from ingress.app import create_app
from shared.config import Config
from store.vault import Vault
from workers import runtime


@contextlib.contextmanager
def running(config: Config, threads: int) -> Iterator[runtime.Runtime]:
    """Every queue consumed by ``threads`` threads, with the outbox relay running."""
    rt = runtime.build(config, heartbeat=False)
    worker = dramatiq.Worker(rt.broker, worker_threads=threads, worker_timeout=100)
    worker.start()
    rt.relay.start()
    try:
        yield rt
    finally:
        worker.stop()
        rt.relay.stop()


def api(config: Config, fleet: runtime.Runtime) -> testing.TestClient:
    """The ingress app sharing ``fleet``'s cache and relay (its broker always ready)."""
    return testing.TestClient(
        create_app(
            config,
            vault=Vault.from_config(config),
            cache=fleet.context.cache,
            relay=fleet.relay,
            broker_check=lambda: True,
        )
    )
