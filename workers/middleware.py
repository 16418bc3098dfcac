"""Dramatiq middleware of our own: a span per message when tracing is on, a database connection per
message, dead letters reported, a heartbeat for liveness probes, and the background threads (outbox
relay, sweeper) each worker process runs."""

import os
import pathlib
import threading
import time

from dramatiq.middleware import Middleware

from shared import metrics, tracing
from shared.logging import worker_log
from store import attempts
from store.db import database
from store.unit import Unit


class Tracing(Middleware):
    """Runs each message inside a span continuing the trace its options carry (``traceparent``, put there
    by the relay's publish): the actor's gateway calls, queries and outbox writes join the payment's
    trace.  Installed only when tracing is on, first, so its span covers the other middleware's hooks."""

    def __init__(self):
        self._local = threading.local()  # a worker thread runs one message at a time

    def before_process_message(self, broker, message):
        self._local.current = tracing.consume(
            message.actor_name, message.queue_name, message.message_id, message.options
        )

    def after_process_message(self, broker, message, *, result=None, exception=None):
        current = getattr(self._local, "current", None)
        if current is not None:
            self._local.current = None
            tracing.consumed(*current, exception)

    after_skip_message = after_process_message


class DatabaseConnection(Middleware):
    """A pooled connection for each message, returned to the pool afterwards."""

    def before_process_message(self, broker, message):
        database.connect(reuse_if_open=True)

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if not database.is_closed():
            database.close()

    after_skip_message = after_process_message


class DeadLetters(Middleware):
    """A message that exhausted its retries goes to the ``.XQ`` queue (kept seven
    days by RabbitMQ); it is logged, its payment marked with a ``payment.dead_lettered``
    event, and the sweeper drives the payment again, unless it keeps dead-lettering
    (``attempts.report_dead_letter``: then it awaits a person)."""

    def __init__(self, cache):
        self.cache = cache

    def after_process_message(self, broker, message, *, result=None, exception=None):
        if not message.failed:
            return
        worker_log.error(
            "dead_lettered",
            queue=message.queue_name,
            actor=message.actor_name,
            args=list(message.args),
            error=type(exception).__name__ if exception else None,
        )
        metrics.dead_letters.labels(message.actor_name).inc()
        try:
            with database.connection_context(), Unit(cache=self.cache):
                attempts.report_dead_letter(message.actor_name, message.args)
        except Exception:  # the database may be why it died: the log line stands
            worker_log.exception("dead_letter_not_marked", actor=message.actor_name)


class Heartbeat(Middleware):
    """Touches ``path`` every ``interval`` seconds while the worker's consumers are alive
    (``paywave heartbeat`` checks its age) and sets ``pool``'s heartbeat gauge (alerts check its age)."""

    def __init__(self, path, pool, interval=10.0):
        self.path = pathlib.Path(path)
        self.gauge = metrics.worker_heartbeat.labels(pool)
        self.interval = interval

    def after_worker_boot(self, broker, worker):
        self.path.parent.mkdir(parents=True, exist_ok=True)

        def beat():
            while True:
                if all(c.is_alive() for c in worker.consumers.values()) and worker.workers:
                    self.path.touch()
                    self.gauge.set_to_current_time()
                time.sleep(self.interval)

        threading.Thread(target=beat, name="heartbeat", daemon=True).start()


class Background(Middleware):
    """Starts the outbox relay (every process) and, when given, the sweeper loop."""

    def __init__(self, relay, sweep=None, interval=15.0):
        self.relay = relay
        self.sweep = sweep
        self.interval = interval

    def after_worker_boot(self, broker, worker):
        self.relay.start()
        if self.sweep is not None:
            threading.Thread(target=self._sweep_loop, name="sweeper", daemon=True).start()

    def before_worker_shutdown(self, broker, worker):
        self.relay.stop()

    def _sweep_loop(self):
        while True:
            time.sleep(self.interval)
            try:
                with database.connection_context(), tracing.quiet():  # its periodic queries: no trace
                    swept = self.sweep()
                if any(swept.values()):
                    worker_log.info("swept", pid=os.getpid(), **swept)
            except Exception as exc:  # database away: next period
                worker_log.warning("sweep_failed", error=type(exc).__name__)
