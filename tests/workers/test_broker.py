"""The broker: durable queues with dead letters, quorum queues on demand, prefixes isolating runs; the
relay's publisher: batches confirmed whole, without a fixed wait on a new channel or a dropped connection."""

import dataclasses
import secrets
import time
import urllib.parse

import pika
import pytest

from shared.broker import PublishFailed, build_broker, publisher, reachable
from shared.jobs import capture_payment
from shared.queues import POOLS, gateway_queue
from tests.support import services
from tests.support.proxy import TcpProxy, via_proxy


@pytest.mark.parametrize("quorum", [True, False])
def test_queues_are_declared_durable_with_dead_letters_and_optionally_quorum(config, quorum):
    cfg = dataclasses.replace(config, queue_prefix=f"brk{secrets.token_hex(3)}.", quorum_queues=quorum)
    broker = build_broker(cfg)
    name = cfg.queue_prefix + "ops"
    try:
        broker.declare_queue(name, ensure=True)
        assert reachable(broker)
        connection = pika.BlockingConnection(pika.URLParameters(cfg.broker_url))
        channel = connection.channel()
        assert channel.queue_declare(name, passive=True).method.queue == name
        assert channel.queue_declare(name + ".XQ", passive=True)  # dead letters are kept
        # Re-declaring with the other queue type is refused: the declared type is the one asked for.
        other = {
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name + ".XQ",
            **({} if quorum else {"x-queue-type": "quorum"}),
        }
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            channel.queue_declare(name, durable=True, arguments=other)
        assert refused.value.reply_code == 406
        connection.close()
    finally:
        broker.close()
        services.delete_queues(cfg.broker_url, [name])


def test_every_gateway_has_its_pool_and_queue():
    assert POOLS["stripe"] == (gateway_queue("stripe"),) and POOLS["paypal"] == (gateway_queue("paypal"),)
    with pytest.raises(ValueError):
        gateway_queue("adyen")


@pytest.fixture
def own_prefix(config):
    cfg = dataclasses.replace(config, queue_prefix=f"pub{secrets.token_hex(3)}.")
    yield cfg
    services.delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])


def test_a_batch_is_published_whole_and_confirmed(own_prefix):
    publish = publisher(build_broker(own_prefix), own_prefix.queue_prefix)
    publish([capture_payment(f"pay_{i}") for i in range(300)])
    publish([capture_payment("pay_300")])  # the same channel, tags go on
    assert services.queue_depth(own_prefix.broker_url, own_prefix.queue_prefix + "ops") == 301


def test_a_job_for_a_queue_that_does_not_exist_fails_its_batch_and_the_next_batch_redeclares(own_prefix):
    broker = build_broker(own_prefix)
    publish = publisher(broker, own_prefix.queue_prefix)
    publish([capture_payment("pay_1")])
    services.delete_queues(
        own_prefix.broker_url, [own_prefix.queue_prefix + "ops"]
    )  # deleted behind our back
    with pytest.raises(PublishFailed, match="no queue"):
        publish([capture_payment("pay_2")])
    publish([capture_payment("pay_2")])  # the outbox's retry
    assert services.queue_depth(own_prefix.broker_url, own_prefix.queue_prefix + "ops") == 1


def test_a_new_channel_publishes_without_waiting_out_a_timer(own_prefix):
    """Confirm mode's answer ends the wait for it: a relay's first batch (or its first after a reconnect) took
    a second longer than its round trips, every time, before."""
    broker = build_broker(own_prefix)
    assert broker.connection.is_open  # opened now: the handshake is not what is timed
    publish = publisher(broker, own_prefix.queue_prefix)
    started = time.monotonic()
    publish([capture_payment("pay_1")])  # a new channel: confirm mode, the queue declared, one message
    assert time.monotonic() - started < 0.5
    assert services.queue_depth(own_prefix.broker_url, own_prefix.queue_prefix + "ops") == 1


def test_a_connection_dropped_while_idle_is_replaced_before_the_batch_is_sent(own_prefix):
    """As RabbitMQ drops a connection whose heartbeats went unanswered (an idle relay calls nothing that
    answers them): the next batch goes out on a fresh connection, at once, never failed for the relay to retry
    later."""
    parsed = urllib.parse.urlparse(own_prefix.broker_url)
    proxy = TcpProxy(parsed.hostname, parsed.port)
    cfg = dataclasses.replace(own_prefix, broker_url=via_proxy(own_prefix.broker_url, proxy))
    try:
        publish = publisher(build_broker(cfg), cfg.queue_prefix)
        publish([capture_payment("pay_1")])
        proxy.cut()  # resets the connection
        proxy.restore()
        time.sleep(0.2)  # the reset has arrived
        publish([capture_payment("pay_2")])
    finally:
        proxy.close()
    assert services.queue_depth(own_prefix.broker_url, own_prefix.queue_prefix + "ops") == 2
