"""A 202 is never lost: the job is committed with the payment and published once the broker is back;
with the database away nothing is written and the answer is 503."""

import dataclasses
import secrets
import time
import urllib.parse

import orjson
import pika
import pytest
from falcon import testing

from ingress.app import create_app
from shared.broker import build_broker, publisher
from shared.queues import POOLS
from store.models import OutboxJob, Payment
from store.outbox import Relay
from store.vault import Vault
from tests.support import services
from tests.support.api import card_payment
from tests.support.proxy import TcpProxy, via_proxy


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def isolated(config):
    """A queue prefix of its own, so this test reads only its own messages."""
    cfg = dataclasses.replace(config, queue_prefix=f"enq{secrets.token_hex(3)}.")
    yield cfg
    services.delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])


def test_a_payment_accepted_while_rabbitmq_is_down_is_published_when_it_returns(isolated, cache, auth, db):
    parsed = urllib.parse.urlparse(isolated.broker_url)
    proxy = TcpProxy(parsed.hostname, parsed.port)
    cfg = dataclasses.replace(isolated, broker_url=via_proxy(isolated.broker_url, proxy))
    broker = build_broker(cfg)
    relay = Relay(publisher(broker, cfg.queue_prefix), interval=0.2, max_backoff=0.5).start()
    try:
        client = testing.TestClient(
            create_app(cfg, vault=Vault.from_config(cfg), cache=cache, relay=relay, broker_check=lambda: True)
        )
        proxy.cut()
        resp = client.simulate_post("/payments", json=card_payment(), headers=auth)
        assert resp.status_code == 202
        pid = resp.json["id"]
        time.sleep(1.0)
        job = OutboxJob.get(OutboxJob.args.contains(pid))
        assert job.published_at is None  # still waiting for the broker
        proxy.restore()
        assert wait_for(lambda: OutboxJob.get_by_id(job.id).published_at is not None), "never published"
    finally:
        relay.stop()
        proxy.close()
    connection = pika.BlockingConnection(pika.URLParameters(isolated.broker_url))
    channel = connection.channel()
    bodies = []
    while True:
        method, _, body = channel.basic_get(isolated.queue_prefix + "payments.stripe", auto_ack=True)
        if method is None:
            break
        bodies.append(orjson.loads(body))
    connection.close()
    assert [m["args"] for m in bodies if pid in m["args"]] == [[pid, "stripe"]]
    assert all(m["actor_name"] == "process_payment" for m in bodies)


def test_postgres_down_answers_503_and_writes_nothing(config, cache, relay, mint, merchant, db):
    from store.db import database, open_database

    parsed = urllib.parse.urlparse(config.database_url)
    proxy = TcpProxy(parsed.hostname, parsed.port)
    cfg = dataclasses.replace(config, database_url=via_proxy(config.database_url, proxy))
    db.close()
    open_database(cfg.database_url)
    try:
        client = testing.TestClient(
            create_app(cfg, vault=Vault.from_config(cfg), cache=cache, relay=relay, broker_check=lambda: True)
        )
        proxy.cut()
        resp = client.simulate_post(
            "/payments", json=card_payment(), headers={"Authorization": f"Bearer {mint(merchant)}"}
        )
        assert resp.status_code == 503 and resp.headers["retry-after"]
        assert resp.headers["content-type"] == "application/problem+json"
        ready = client.simulate_get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["database"] == "failing"
    finally:
        proxy.close()
        database.obj.close_all()
        open_database(config.database_url)
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 0
