"""No fixed wait between a job's commit and the broker (issue 17's time to final status): a relay
publishes a job as soon as the commit that wrote it wakes it, and one committed elsewhere (another process:
nothing wakes this relay) at its next poll; both with the relay's first batch, which opens its connection and
channel."""

import dataclasses
import secrets
import time

import psycopg2
import pytest

from shared.broker import build_broker, publisher
from shared.jobs import capture_payment
from shared.queues import POOLS
from store import outbox
from store.models import OutboxJob
from store.outbox import Relay
from store.unit import Unit
from tests.support import services


@pytest.fixture
def start_relay(config):
    """``start_relay(interval)``: a relay of its own (queue prefix too), on the real database and broker."""
    cfg = dataclasses.replace(config, queue_prefix=f"rly{secrets.token_hex(3)}.")
    relays = []

    def start(interval: float) -> Relay:
        relays.append(Relay(publisher(build_broker(cfg), cfg.queue_prefix), interval=interval).start())
        return relays[-1]

    yield start
    for relay in relays:
        relay.stop()
    services.delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])


def seconds_to_publication(payment_id: str, committed: float, timeout: float = 10.0) -> float:
    """Seconds from ``committed`` (``time.monotonic()``) until the job for ``payment_id`` is marked published:
    the relay marks it in the transaction it commits once the broker confirmed it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            OutboxJob.select()
            .where(OutboxJob.args.contains(payment_id) & OutboxJob.published_at.is_null(False))
            .exists()
        ):
            return time.monotonic() - committed
        time.sleep(0.005)
    raise AssertionError(f"the job for {payment_id} was not published within {timeout} s")


def test_a_commit_that_wrote_a_job_wakes_the_relay_at_once(start_relay, db):
    relay = start_relay(interval=60.0)  # only the wake can publish within the test
    payment_id = f"pay_wake{secrets.token_hex(4)}"
    with Unit(notify=relay.notify):
        outbox.add(capture_payment(payment_id))
    assert seconds_to_publication(payment_id, time.monotonic()) < 0.6


def test_a_job_another_process_committed_is_published_at_the_relays_next_poll(start_relay, db, database_url):
    start_relay(interval=0.2)
    payment_id = f"pay_poll{secrets.token_hex(4)}"
    other = psycopg2.connect(database_url)  # another process's commit: no notify reaches this relay
    try:
        other.autocommit = True
        other.cursor().execute(*outbox.statement(capture_payment(payment_id)))
        committed = time.monotonic()
    finally:
        other.close()
    assert seconds_to_publication(payment_id, committed) < 0.2 + 0.6
