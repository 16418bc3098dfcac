"""The broker: durable queues with dead letters, quorum queues on demand, prefixes isolating runs."""
import dataclasses
import secrets

import pika
import pytest

from tests.support import services
from workers.broker import build_broker, reachable
from workers.pools import POOLS, gateway_queue


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
        other = {"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name + ".XQ",
                 **({} if quorum else {"x-queue-type": "quorum"})}
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
