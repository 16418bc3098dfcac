"""The broker: durable queues with dead letters, quorum queues on demand, prefixes isolating runs."""

import dataclasses
import secrets

import pika
import pytest

from shared.broker import PublishFailed, build_broker, publisher, reachable
from shared.jobs import capture_payment
from shared.queues import POOLS, gateway_queue
from tests.support import services


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
