"""The worker framework's ceiling: a no-op actor on the same broker, processes and threads.
Each message only counts itself in Redis, so the bench knows when the backlog is drained."""

import os

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker

QUEUE = os.environ.get("BENCH_QUEUE", "bench.noop")
COUNTER = QUEUE + ":done"

broker = RabbitmqBroker(
    url=os.environ.get("PAYWAVE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"), confirm_delivery=True
)
dramatiq.set_broker(broker)
_redis = redis.Redis.from_url(os.environ.get("PAYWAVE_REDIS_URL", "redis://127.0.0.1:6379/0"))


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def noop(n):
    _redis.incr(COUNTER)
