"""Workers against real RabbitMQ, Postgres and Redis and both sandboxes over HTTP.

The worker tests use a database of their own, so no payment from another
package's tests is ever picked up by these workers.
"""

import pytest
import requests

from tests.support import fleet as running_fleet
from tests.support import services
from tests.support.sandbox import Sandbox


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
    with running_fleet.running(worker_config, threads=8) as rt:
        yield rt


@pytest.fixture
def api(worker_config, fleet, db):
    return running_fleet.api(worker_config, fleet)


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
