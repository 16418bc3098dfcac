"""Workers against real RabbitMQ, Postgres and Redis and both sandboxes over HTTP.

The worker tests use a database of their own, so no payment from another
package's tests is ever picked up by these workers.
"""
import dataclasses
import secrets

import dramatiq
import pytest
import requests
from falcon import testing

from ingress.app import create_app
from store.db import open_database
from store.migrate import migrate
from store.vault import Vault
from tests.support import services
from tests.support.sandbox import Sandbox
from workers import runtime
from workers.pools import POOLS


@pytest.fixture(scope="package")
def worker_config(config, service_urls, sandboxes):
    with services.test_database(service_urls["postgres"]) as url:
        open_database(url)
        migrate()
        run = secrets.token_hex(3)
        cfg = dataclasses.replace(config, database_url=url, queue_prefix=f"wk{run}.", cache_prefix=f"paywave-wk-{run}:",
                                  stripe_api_base=sandboxes["stripe"], paypal_api_base=sandboxes["paypal"],
                                  circuit_min_calls=10_000)  # circuit tested on its own
        yield cfg
        services.delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])
        services.delete_redis_prefix(cfg.redis_url, cfg.cache_prefix)
    open_database(config.database_url)


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
    return testing.TestClient(create_app(worker_config, vault=Vault.from_config(worker_config), cache=fleet.context.cache,
                                         relay=fleet.relay, broker_check=lambda: True))


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
