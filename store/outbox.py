"""Transactional outbox: a job is written in the same transaction as the change
that causes it, and a relay publishes it after commit.

So a ``202`` never loses its job: if the broker is down, or the process dies
right after answering, the row stays unpublished and a relay (any process's)
publishes it later.  Publishing may happen twice (publish, then a crash before
the row is marked); every consumer is idempotent, so that is harmless.
"""

import datetime
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Self

import orjson

from shared import metrics, tracing
from shared.jobs import Job
from shared.logging import get_logger
from store import unit
from store.db import Statement, database, insert_statement, is_postgres
from store.models import OutboxJob, utcnow

if TYPE_CHECKING:  # the type only: the broker's module loads dramatiq and pika
    from shared.broker import Publish

log = get_logger(__name__)


def statement(job: Job) -> Statement:
    """``(sql, params)`` writing ``job``, for ``store.db.run_together`` with its change; the open unit of
    work, if any, wakes the relay after commit."""
    work = unit.current()
    if work is not None:
        work.queued()
    return insert_statement(
        OutboxJob(
            queue_name=job.queue_name,
            actor_name=job.actor_name,
            args=list(job.args),
            created_at=utcnow(),
            traceparent=tracing.outbox_write(job.actor_name, job.queue_name),
        )
    )


def add(job: Job) -> None:
    """Write ``job``; call inside the transaction of the change it belongs to."""
    add_all([job])


def add_all(jobs: Iterable[Job]) -> None:
    """Write ``jobs`` (``shared.jobs``) in one round trip, or with the COMMIT of a batched unit of work
    (``store.unit.write``); call inside the change's transaction."""
    unit.write([statement(j) for j in jobs])


def pending_stats() -> tuple[int, float]:
    """``(count, age_seconds_of_oldest)`` of unpublished jobs."""
    row = (
        OutboxJob.select(OutboxJob.created_at)  # by id: the order the partial index keeps, as the relay's
        .where(OutboxJob.published_at.is_null())
        .order_by(OutboxJob.id)
        .limit(1)
        .first()
    )
    count = OutboxJob.select().where(OutboxJob.published_at.is_null()).count()
    age = (utcnow() - row.created_at).total_seconds() if row else 0.0
    return count, age


def _take(batch: int) -> list[Job]:
    """Mark up to ``batch`` unpublished jobs published, returning them oldest first (one statement,
    written out: peewee's SQL generation cost more than the query)."""
    p, lock = database.param, " FOR UPDATE SKIP LOCKED" if is_postgres() else ""
    rows = database.execute_sql(
        f"UPDATE outbox_job SET published_at = {p} WHERE id IN"
        f" (SELECT id FROM outbox_job WHERE published_at IS NULL ORDER BY id LIMIT {p}{lock})"
        " RETURNING id, queue_name, actor_name, args, traceparent",
        (utcnow(), batch),
    ).fetchall()
    return [Job(queue, actor, tuple(orjson.loads(args)), tp) for _, queue, actor, args, tp in sorted(rows)]


def publish_pending(publish: "Publish", batch: int = 200) -> int:
    """Publish up to ``batch`` unpublished jobs, oldest first, and mark them.

    Parameters:
      publish: ``f(jobs)`` that publishes every job with confirms, or raises.

    Returns:
      How many jobs were published.

    The jobs are marked and published in one transaction: if publishing fails the
    marks roll back.  Rows are locked with ``SKIP LOCKED`` on Postgres so relays in
    several processes never publish the same rows at the same time.
    """
    with database.atomic():
        jobs = _take(batch)
        if jobs:
            publish(jobs)
    return len(jobs)


def purge_published(older_than_seconds: float = 86400) -> int:
    """Delete jobs published long ago (the table stays small)."""
    cutoff = utcnow() - datetime.timedelta(seconds=older_than_seconds)
    return OutboxJob.delete().where(OutboxJob.published_at < cutoff).execute()


class Relay:
    """A background thread that publishes the outbox.

    ``notify()`` after a commit wakes it at once; otherwise it polls every
    ``interval`` seconds, which also picks up jobs other processes left behind.
    Failures (broker or database down) back off up to ``max_backoff`` seconds.
    """

    REPORT_EVERY = 10.0  # seconds between backlog metrics (two queries)

    def __init__(self, publish: "Publish", interval: float = 1.0, max_backoff: float = 5.0) -> None:
        self.publish = publish
        self.interval = interval
        self.max_backoff = max_backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()
        return self

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)

    def drain(self, batch: int = 200) -> int:
        """Publish until nothing is pending; returns how many jobs were published."""
        total = 0
        with database.connection_context(), tracing.quiet():  # a trace per poll would bury the payments'
            while True:
                published = publish_pending(self.publish, batch)
                total += published
                if published < batch:
                    return total

    def report(self) -> None:
        """Export the outbox's backlog (count and age of the oldest job) as metrics."""
        with database.connection_context(), tracing.quiet():
            count, age = pending_stats()
        metrics.outbox_pending.set(count)
        metrics.outbox_lag.set(age)

    def _run(self) -> None:
        delay, reported = self.interval, 0.0
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.drain()
                delay = self.interval
                if time.monotonic() - reported > self.REPORT_EVERY:
                    self.report()
                    reported = time.monotonic()
            except Exception as exc:  # broker or database down: retry later, never die
                delay = min(max(delay * 2, 0.5), self.max_backoff)
                log.warning(
                    "outbox_publish_failed", error=type(exc).__name__, detail=str(exc)[:200], retry_in=delay
                )
                time.sleep(0.05)
