"""Chaos scenarios (marker ``chaos``), each under a steady load of new payments, then every
payment final and the gateways' ledgers agreeing: charged exactly once where it succeeded,
nowhere else.  Only traffic through proxies the tests own is cut; the services stay up."""

import contextlib
import dataclasses
import random
import time
import urllib.parse

import pytest
from falcon import testing

from ingress.app import create_app
from shared.broker import build_broker, publisher
from shared.cache import build_cache
from store.outbox import Relay
from store.vault import Vault
from tests.support import chaos
from tests.support.api import card_payment
from tests.support.processes import WorkerProcess
from tests.support.proxy import TcpProxy, via_proxy
from tests.support.sandbox import Sandbox, wait_status

THREADS = {"stripe": 4, "paypal": 4, "fallback": 2, "ops": 2}  # the pools that move payments


class Rig:
    """Worker processes, and an in-process ingress, reaching RabbitMQ, Postgres and Redis through
    proxies (the ingress reads and writes Postgres directly, as the test does)."""

    def __init__(self, cfg, sandboxes):
        self.direct = cfg
        urls = {
            field: urllib.parse.urlparse(getattr(cfg, field))
            for field in ("broker_url", "database_url", "redis_url")
        }
        self.proxies = {field: TcpProxy(url.hostname, url.port) for field, url in urls.items()}
        self.cfg = dataclasses.replace(
            cfg, **{f: via_proxy(getattr(cfg, f), p) for f, p in self.proxies.items()}
        )
        self.workers = {pool: WorkerProcess(self.cfg, pool, threads) for pool, threads in THREADS.items()}
        ingress = dataclasses.replace(self.cfg, database_url=cfg.database_url)
        self.relay = Relay(publisher(build_broker(ingress), cfg.queue_prefix), max_backoff=2.0).start()
        self.api = testing.TestClient(
            create_app(
                ingress,
                vault=Vault.from_config(ingress),
                cache=build_cache(ingress),
                relay=self.relay,
                broker_check=lambda: True,
            )
        )
        self.gateways = {name: Sandbox(base) for name, base in sandboxes.items()}

    def restart(self, pool):
        self.workers[pool].kill()
        self.workers[pool] = WorkerProcess(self.cfg, pool, THREADS[pool])

    def close(self):
        for worker in self.workers.values():
            worker.kill()  # no graceful stop owed to a chaos rig (and it sometimes takes the full 20 s)
        self.relay.stop()
        for proxy in self.proxies.values():
            proxy.close()


@pytest.fixture(scope="module")
def rig(chaos_config, sandboxes, mint):
    rig = Rig(chaos_config, sandboxes)
    try:
        warm = rig.api.simulate_post(
            "/payments", json=card_payment(), headers={"Authorization": f"Bearer {mint('m_warm')}"}
        )
        wait_status(warm.json["id"], timeout=60)  # the workers are up
        yield rig
    finally:
        rig.close()


def _outages(field):
    @contextlib.contextmanager
    def scenario(rig, seconds):
        chaos.outages(rig.proxies[field].cut, rig.proxies[field].restore, seconds)
        yield

    return scenario


@contextlib.contextmanager
def sigkill(rig, seconds):
    """A worker process killed (SIGKILL) at random moments, mostly mid-charge, and started again each time."""
    for gateway in rig.gateways.values():
        gateway.faults(latency_ms=300)  # charges in flight when the kills land
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() + 1.5 < deadline:
            time.sleep(random.uniform(0.3, 1.5))
            rig.restart(
                random.choice(["stripe", "stripe", "paypal", "fallback", "ops"])
            )  # mostly the busiest
        time.sleep(max(0.0, deadline - time.monotonic()))
    finally:
        for gateway in rig.gateways.values():
            gateway.faults(latency_ms=0)
    yield


@contextlib.contextmanager
def stripe_faults(rig, seconds, start, share, **faults):
    """Stripe's sandbox with ``faults`` for ``share`` of the window, from ``start`` of it."""
    time.sleep(seconds * start)
    rig.gateways["stripe"].faults(**faults)
    try:
        time.sleep(seconds * share)
    finally:
        rig.gateways["stripe"].faults(**{name: 0 for name in faults})
    time.sleep(seconds * (1 - start - share))
    yield


@contextlib.contextmanager
def duplicates(rig, seconds):
    """Every job delivered twice: published again straight to RabbitMQ, until the payments are final."""
    duplicator = chaos.Duplicator(publisher(build_broker(rig.direct), rig.direct.queue_prefix))
    duplicator.start()
    try:
        time.sleep(seconds)
        yield
    finally:
        duplicator.stop()


SCENARIOS = {
    "sigkill": sigkill,
    "rabbitmq_down": _outages("broker_url"),
    "postgres_down": _outages("database_url"),
    "redis_down": _outages("redis_url"),  # the load's POSTs and GETs must still succeed
    "gateway_down": lambda rig, s: stripe_faults(rig, s, 0.25, 0.5, error_rate=1.0),
    "gateway_drops": lambda rig, s: stripe_faults(rig, s, 0, 1, drop_response_rate=0.1),  # unknown outcomes
    "duplicates": duplicates,
}


@pytest.mark.chaos
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_chaos(scenario, rig, sandboxes, mint, merchant, db):
    since = int(time.time())
    load = chaos.Load(rig.api, {"Authorization": f"Bearer {mint(merchant)}"})
    load.start()
    try:
        with SCENARIOS[scenario](rig, chaos.SECONDS):
            load.stop()
            chaos.settle(load.accepted)
    finally:
        load.stop()
    row, problems = chaos.reconcile(scenario, load.accepted, sandboxes, since)
    assert load.accepted and not load.errors, load.errors[:5]
    assert row["lost"] == 0 and row["double charges"] == 0 and not problems, (row, problems[:10])
