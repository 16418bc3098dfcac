"""Workers against real RabbitMQ, Postgres and Redis and both sandboxes over HTTP.

The worker tests use a database of their own, so no payment from another
package's tests is ever picked up by these workers.
"""

import dramatiq
import pytest
import requests
from falcon import testing

from ingress.app import create_app
from store.vault import Vault
from tests.support import services
from tests.support.sandbox import Sandbox
from workers import runtime


@pytest.fixture(scope="package")
def worker_config(config, service_urls, sandboxes):
    with services.own_run(
        config,
        service_urls["postgres"],
        "wk",
        stripe_api_base=sandboxes["stripe"],
        paypal_api_base=sandboxes["paypal"],
        circuit_min_calls=10_000,  # the circuit is tested on its own
    ) as cfg:
        yield cfg


@pytest.fixture(scope="package")
def fleet(worker_config):
    """Every pool's actors in this process, consuming every queue, with the relay running."""
    rt = runtime.build(worker_config, heartbeat=False)
    worker = dramatiq.Worker(rt.broker, worker_threads=8, worker_timeout=100)
    worker.start()
    rt.relay.start()
    yield rt
    worker.stop()
    rt.relay.stop()


@pytest.fixture
def api(worker_config, fleet, db):
    return testing.TestClient(
        create_app(
            worker_config,
            vault=Vault.from_config(worker_config),
            cache=fleet.context.cache,
            relay=fleet.relay,
            broker_check=lambda: True,
        )
    )


@pytest.fixture(autouse=True)
def clean_sandboxes(sandboxes):
    for base in sandboxes.values():
        requests.delete(base + "/_sandbox/faults", timeout=5)
    yield
    for base in sandboxes.values():
        requests.delete(base + "/_sandbox/faults", timeout=5)


@pytest.fixture
def stripe(sandboxes):
    return Sandbox(sandboxes["stripe"])


@pytest.fixture
def paypal(sandboxes):
    return Sandbox(sandboxes["paypal"])
