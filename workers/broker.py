"""The Dramatiq broker: RabbitMQ with publisher confirms, or in-process for development."""
import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker

from workers.pools import POOLS


class PayWaveRabbitmqBroker(RabbitmqBroker):
    """RabbitMQ with durable queues and, optionally, quorum queues for HA clusters."""

    def __init__(self, *, quorum=False, **kwargs):
        super().__init__(**kwargs)
        self.quorum = quorum

    def _build_queue_arguments(self, queue_name):
        arguments = super()._build_queue_arguments(queue_name)
        if self.quorum:
            arguments["x-queue-type"] = "quorum"
        return arguments


def build_broker(config, middleware=None):
    """A broker for ``config``, with every pool's queues declared.

    Parameters:
      config: ``shared.config.Config``; ``broker_url`` empty gives a ``StubBroker``
        (in-process, development only).
      middleware: Dramatiq middleware list, default Dramatiq's own.
    """
    if config.broker_url:
        url = config.broker_url
        # Fail fast when RabbitMQ is away: the outbox relay retries, a request never waits.
        sep = "&" if "?" in url else "?"
        url += f"{sep}socket_timeout=2&connection_attempts=1&blocked_connection_timeout=10"
        broker = PayWaveRabbitmqBroker(url=url, confirm_delivery=True, quorum=config.quorum_queues,
                                       middleware=middleware)
    else:
        broker = StubBroker(middleware=middleware)
    for queues in POOLS.values():
        for queue in queues:
            broker.declare_queue(config.queue_prefix + queue)
    return broker


def publisher(broker, prefix=""):
    """``publish(jobs)`` for ``store.outbox``: enqueue each job (waiting for confirms)."""
    def publish(jobs):
        for job in jobs:
            broker.enqueue(dramatiq.Message(
                queue_name=prefix + job.queue_name, actor_name=job.actor_name,
                args=tuple(job.args), kwargs={}, options={}))
    return publish


def reachable(broker) -> bool:
    """True when this thread's connection to the broker is open and answering."""
    if isinstance(broker, StubBroker):
        return True
    try:
        broker.connection.process_data_events(time_limit=0)
        return broker.connection.is_open
    except Exception:
        del broker.connection  # the next use opens a fresh one
        return False
