"""The Dramatiq broker: RabbitMQ with publisher confirms, or in-process for development.

The transport under both the ingress (its outbox relay publishes) and the workers (they consume).
"""

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import dramatiq
import pika
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.common import q_name
from dramatiq.middleware import Middleware
from pika.adapters.blocking_connection import BlockingChannel

from shared import tracing
from shared.config import Config
from shared.jobs import Job
from shared.queues import POOLS

#: ``publish(jobs)``: returns once the broker has every job, or raises.
Publish = Callable[[Iterable[Job]], None]


class PayWaveRabbitmqBroker(RabbitmqBroker):
    """RabbitMQ with durable queues and, optionally, quorum queues for HA clusters."""

    def __init__(self, *, quorum: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.quorum = quorum

    def _build_queue_arguments(self, queue_name: str) -> dict[str, Any]:
        arguments = super()._build_queue_arguments(queue_name)
        if self.quorum:
            arguments["x-queue-type"] = "quorum"
        return arguments


def build_broker(config: Config, middleware: list[Middleware] | None = None) -> RabbitmqBroker | StubBroker:
    """A broker for ``config``, with every pool's queues declared.

    Parameters:
      config: ``shared.config.Config``; ``broker_url`` empty gives a ``StubBroker``
        (in-process, development only).
      middleware: Dramatiq middleware list, default Dramatiq's own.
    """
    broker: RabbitmqBroker | StubBroker
    if config.broker_url:
        url = config.broker_url
        # Fail fast when RabbitMQ is away: the outbox relay retries, a request never waits.
        sep = "&" if "?" in url else "?"
        url += f"{sep}socket_timeout=2&connection_attempts=1&blocked_connection_timeout=10"
        broker = PayWaveRabbitmqBroker(
            url=url, confirm_delivery=True, quorum=config.quorum_queues, middleware=middleware
        )
    else:
        broker = StubBroker(middleware=middleware)
    for queues in POOLS.values():
        for queue in queues:
            broker.declare_queue(config.queue_prefix + queue)
    return broker


def publisher(broker: RabbitmqBroker | StubBroker, prefix: str = "") -> Publish:
    """``publish(jobs)`` for ``store.outbox``: returns once the broker has every job, or raises."""
    if isinstance(broker, StubBroker):

        def publish(jobs: Iterable[Job]) -> None:
            jobs = list(jobs)
            with tracing.publishing(jobs) as options:
                for job, carrier in zip(jobs, options, strict=True):
                    broker.enqueue(_message(prefix, job, carrier))

        return publish
    return ConfirmedPublisher(broker, prefix)


def _message(prefix: str, job: Job, options: dict[str, str]) -> dramatiq.Message:
    return dramatiq.Message(
        queue_name=prefix + job.queue_name,
        actor_name=job.actor_name,
        args=tuple(job.args),
        kwargs={},
        options=options,  # the trace context (shared.tracing.publishing), if any
    )


_PERSISTENT = pika.BasicProperties(delivery_mode=2)


class ConfirmedPublisher:
    """Publishes a batch of jobs to RabbitMQ, then waits once for all their confirms.

    ``RabbitmqBroker.enqueue`` waits for each message's confirm in turn: a round trip
    per job, which cost the ingress more CPU than the rest of a ``POST``.  Here the
    batch is sent, then confirmed together; a nack, a return (no such queue) or no
    answer within ``timeout`` fails the whole batch, so the outbox keeps its rows and
    publishes them again (every consumer is idempotent).

    pika's blocking adapter confirms one message at a time, so the batch goes through
    the channel's underlying asynchronous channel (``_impl``: confirm mode and
    publishing, sent in one write); the blocking connection drives the I/O.
    """

    def __init__(self, broker: RabbitmqBroker, prefix: str, timeout: float = 10.0) -> None:
        self.broker = broker
        self.prefix = prefix
        self.timeout = timeout
        self._local = threading.local()  # pika connections belong to one thread

    def __call__(self, jobs: Iterable[Job]) -> None:
        jobs = list(jobs)
        try:
            with tracing.publishing(jobs) as options:
                self._publish([_message(self.prefix, j, o) for j, o in zip(jobs, options, strict=True)])
        except (pika.exceptions.AMQPError, PublishFailed):
            self._local.channel = None
            del self.broker.connection  # the next batch starts on a fresh connection
            raise

    def _channel(self) -> BlockingChannel:
        state = self._local
        channel = getattr(state, "channel", None)
        if channel is None or not channel.is_open or not self._alive():
            channel = state.channel = self._open_channel()
        return channel

    def _alive(self) -> bool:
        """Whether this thread's connection still stands, asked before a batch is sent on it: one the broker
        dropped while the relay had nothing to publish (no heartbeat answered meanwhile) shows here, and the
        batch goes on a fresh one at once instead of failing and waiting for the relay's retry."""
        try:
            self.broker.connection.process_data_events(time_limit=0)  # also answers a heartbeat due
            return True
        except pika.exceptions.AMQPError:
            del self.broker.connection
            return False

    def _open_channel(self) -> BlockingChannel:
        """A channel in confirm mode on this thread's connection, its delivery tags counted from zero."""
        state = self._local
        channel = self.broker.connection.channel()
        state.tag, state.outstanding, state.failure = 0, set(), None
        ready: list[pika.frame.Method] = []

        def selected(frame: pika.frame.Method) -> None:
            ready.append(frame)
            self._stop_waiting()

        channel._impl.confirm_delivery(ack_nack_callback=self._on_confirm, callback=selected)
        channel.add_on_return_callback(self._on_return)
        deadline = time.monotonic() + self.timeout
        while not ready:
            if time.monotonic() > deadline:
                raise PublishFailed(f"confirm mode not granted in {self.timeout} s")
            self.broker.connection.process_data_events(time_limit=1)
        return channel

    def _stop_waiting(self) -> None:
        """End the wait in ``process_data_events`` now: an answer to the asynchronous channel is no event of
        the blocking connection's, which would otherwise wait out its ``time_limit`` (a second with every
        new channel, before this)."""
        self.broker.connection.add_callback_threadsafe(lambda: None)

    def _publish(self, messages: list[dramatiq.Message]) -> None:
        channel, state = self._channel(), self._local
        for message in messages:
            self.broker.declare_queue(message.queue_name, ensure=True)
            self.broker.emit_before("enqueue", message, None)
            state.tag += 1
            state.outstanding.add(state.tag)  # before sending: its confirm can arrive while sending the next
            channel._impl.basic_publish(
                exchange="",
                routing_key=message.queue_name,
                body=message.encode(),
                properties=_PERSISTENT,
                mandatory=True,
            )
        deadline = time.monotonic() + self.timeout
        while state.outstanding and state.failure is None:
            if time.monotonic() > deadline:
                raise PublishFailed(f"no confirm for {len(state.outstanding)} message(s) in {self.timeout} s")
            self.broker.connection.process_data_events(time_limit=1)
        if state.failure:
            self.broker.queues_pending.update(q for q in state.failure[1:] if q)  # declare again next time
            raise PublishFailed(state.failure[0])
        for message in messages:
            self.broker.emit_after("enqueue", message, None)

    def _on_confirm(self, frame: pika.frame.Method) -> None:
        method, state = frame.method, self._local
        if isinstance(method, pika.spec.Basic.Nack):
            state.failure = state.failure or ("the broker refused a message (nack)",)
        done = (
            {t for t in state.outstanding if t <= method.delivery_tag}
            if method.multiple
            else {method.delivery_tag}
        )
        state.outstanding -= done
        if not state.outstanding or state.failure:
            self._stop_waiting()

    def _on_return(
        self,
        channel: BlockingChannel,
        method: pika.spec.Basic.Return,
        properties: pika.spec.BasicProperties,
        body: bytes,
    ) -> None:
        self._local.failure = (
            f"no queue {method.routing_key!r} (message returned)",
            q_name(method.routing_key),
        )


class PublishFailed(Exception):
    """A batch was not confirmed by the broker; its jobs stay in the outbox."""


def reachable(broker: RabbitmqBroker | StubBroker) -> bool:
    """True when this thread's connection to the broker is open and answering."""
    if isinstance(broker, StubBroker):
        return True
    try:
        broker.connection.process_data_events(time_limit=0)
        return broker.connection.is_open
    except Exception:
        del broker.connection  # the next use opens a fresh one
        return False
