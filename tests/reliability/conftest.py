"""Reliability scenarios: worker processes killed and restarted, jobs redelivered.

A database and queue prefix of their own; workers run as real ``paywave worker``
processes configured through the environment, as in production.
"""

import pytest
import requests
from falcon import testing

from ingress.app import create_app
from shared.broker import build_broker, publisher
from shared.cache import build_cache
from store.outbox import Relay
from store.vault import Vault
from tests.support import services
from tests.support.processes import WorkerProcess
from tests.support.sandbox import Sandbox


@pytest.fixture(scope="package")
def chaos_config(config, service_urls, sandboxes, tmp_path_factory):
    with services.own_run(
        config,
        service_urls["postgres"],
        "rel",
        stripe_api_base=sandboxes["stripe"],
        paypal_api_base=sandboxes["paypal"],
        circuit_min_calls=10_000,
        heartbeat_file=str(tmp_path_factory.mktemp("hb") / "heartbeat"),
    ) as cfg:
        yield cfg


@pytest.fixture
def workers(chaos_config):
    started = []

    def start(pool, threads=2):
        started.append(WorkerProcess(chaos_config, pool, threads))
        return started[-1]

    yield start
    for w in started:
        w.stop()


@pytest.fixture(scope="package")
def chaos_relay(chaos_config):
    relay = Relay(publisher(build_broker(chaos_config), chaos_config.queue_prefix)).start()
    yield relay
    relay.stop()


@pytest.fixture
def chaos_api(chaos_config, chaos_relay, db):
    return testing.TestClient(
        create_app(
            chaos_config,
            vault=Vault.from_config(chaos_config),
            cache=build_cache(chaos_config),
            relay=chaos_relay,
            broker_check=lambda: True,
        )
    )


@pytest.fixture
def stripe(sandboxes):
    requests.delete(sandboxes["stripe"] + "/_sandbox/faults", timeout=5)
    yield Sandbox(sandboxes["stripe"])
    requests.delete(sandboxes["stripe"] + "/_sandbox/faults", timeout=5)


def pytest_terminal_summary(terminalreporter):
    from tests.support import chaos

    if chaos.RESULTS:
        terminalreporter.section("chaos")
        terminalreporter.write_line(chaos.table(chaos.RESULTS))


@pytest.fixture
def paypal(sandboxes):
    requests.delete(sandboxes["paypal"] + "/_sandbox/faults", timeout=5)
    yield Sandbox(sandboxes["paypal"])
    requests.delete(sandboxes["paypal"] + "/_sandbox/faults", timeout=5)
