"""Workers against real RabbitMQ, Postgres and Redis and both sandboxes over HTTP.

The worker tests use a database of their own, so no payment from another
package's tests is ever picked up by these workers.
"""
import dataclasses
import secrets
import time

import dramatiq
import pytest
import requests
from falcon import testing

from ingress.app import create_app
from store.db import open_database
from store.migrate import migrate
from store.models import Payment
from store.vault import Vault
from tests.support import services
from workers import runtime
from workers.pools import POOLS


@pytest.fixture(scope="package")
def sandboxes(start_sandbox):
    return {"stripe": start_sandbox("stripe"), "paypal": start_sandbox("paypal")}


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


class Sandbox:
    def __init__(self, base):
        self.base = base

    def faults(self, **faults):
        requests.post(self.base + "/_sandbox/faults", json=faults, timeout=5).raise_for_status()

    def ledger(self, payment_id=None):
        entries = requests.get(self.base + "/_sandbox/ledger", timeout=5).json()["data"]
        return [e for e in entries if payment_id is None or e["payment_id"] == payment_id]

    def captured(self, payment_id):
        """Net money moved for ``payment_id``: captures minus refunds."""
        entries = self.ledger(payment_id)
        return (sum(e["amount"] for e in entries if e["type"] == "capture")
                - sum(e["amount"] for e in entries if e["type"] == "refund"))


@pytest.fixture
def stripe(sandboxes):
    return Sandbox(sandboxes["stripe"])


@pytest.fixture
def paypal(sandboxes):
    return Sandbox(sandboxes["paypal"])


def wait_status(payment_id, statuses=("succeeded", "failed", "canceled", "requires_capture"), timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        payment = Payment.get_by_id(payment_id)
        if payment.status in statuses and not payment.pending_operation:
            return payment
        time.sleep(0.05)
    raise AssertionError(f"{payment_id} still {Payment.get_by_id(payment_id).status} after {timeout}s")
