"""The sweeper drives work that stopped moving; the circuit breaker skips a failing gateway."""

import dataclasses
import datetime
import time

from prometheus_client import REGISTRY

from shared import jobs
from shared.cache import MemoryCache
from store import attempts, stats
from store.models import OutboxJob, Payment, PaymentRollupDelta, WebhookEndpoint, utcnow
from tests.support.api import card_payment
from tests.support.sandbox import wait_status
from workers.actors.sweeper import sweep
from workers.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


def stored(merchant, pid, status, amount, created_at, **columns):
    """A payment row as a worker left it."""
    row = dict(currency="USD", capture="automatic", route="stripe,paypal", metadata={}) | columns
    row |= {"id": pid, "merchant_id": merchant, "status": status, "amount": amount}
    return Payment.create(created_at=created_at, updated_at=created_at, **row)


def test_a_payment_whose_job_was_lost_is_swept_and_finished(fleet, merchant, stripe, db):
    # A pending payment with no job anywhere: as if its message had vanished from the broker.
    now = utcnow() - datetime.timedelta(hours=1)
    pid = "pay_" + "swept" + merchant[-12:].rjust(19, "0")
    stored(
        merchant,
        pid,
        "pending",
        321,
        now,
        **fleet.context.vault.seal_card(pid, "4242424242424242", 12, 2031, "123"),
    )
    ctx = dataclasses.replace(
        fleet.context, config=dataclasses.replace(fleet.context.config, stuck_after_seconds=60)
    )
    assert sweep(ctx)["payments"] >= 1
    assert OutboxJob.select().where(OutboxJob.args.contains(pid)).count() == 1
    payment = wait_status(pid, ("succeeded",))
    assert payment.amount_captured == 321 and stripe.captured(pid) == 321
    assert sweep(ctx)["payments"] == 0  # nothing left to drive


def test_the_sweeper_folds_the_dashboards_rollup_deltas(fleet, merchant, db):
    pid = "pay_" + "folded" + merchant[-12:].rjust(18, "0")
    stored(merchant, pid, "succeeded", 700, utcnow(), amount_captured=700, currency="EUR", method="card")
    mine = PaymentRollupDelta.merchant_id == merchant
    assert PaymentRollupDelta.select().where(mine).count() == 1  # written by the INSERT's trigger
    period = stats.Period.last(1, utcnow())
    figures = stats.volume(merchant, True, period)
    assert figures["count"] == 1 and figures["currencies"] == {"EUR": {"volume": 700, "refunded": 0}}
    sweep(fleet.context)
    assert not PaymentRollupDelta.select().where(mine).exists()
    assert stats.volume(merchant, True, period) == figures  # from the rollup now


def test_sweeper_jobs_follow_where_each_payment_stopped(db):
    p = Payment(
        id="pay_x", status="processing", gateway="paypal", route="stripe,paypal", pending_operation=None
    )
    assert attempts.current_attempt("pay_x") is None
    from workers.actors.sweeper import job_for

    assert job_for(p) == jobs.process_payment("pay_x", "paypal")
    p.status, p.pending_operation = "requires_capture", "capture"
    assert job_for(p) == jobs.capture_payment("pay_x")
    p.status, p.pending_operation = "pending", None
    assert job_for(p) == jobs.process_payment("pay_x", "stripe")


def test_circuit_opens_on_errors_then_half_opens():
    now = [1000.0]
    breaker = CircuitBreaker(
        MemoryCache(), error_rate=0.5, window_seconds=30, min_calls=4, open_seconds=10, clock=lambda: now[0]
    )
    for ok in (True, False, False, False):
        breaker.record("stripe", ok)
    assert breaker.state("stripe") == OPEN and not breaker.allows("stripe")
    assert breaker.state("paypal") == CLOSED
    now[0] += 11
    assert breaker.state("stripe") == HALF_OPEN and breaker.allows("stripe")


def test_a_circuit_opened_by_another_process_stops_this_ones_calls_within_sync_seconds():
    now = [1000.0]
    cache = MemoryCache()

    def breaker():
        return CircuitBreaker(
            cache, min_calls=4, open_seconds=10, window_seconds=30, sync_seconds=1.0, clock=lambda: now[0]
        )

    here, there = breaker(), breaker()
    assert here.allows("stripe")  # its state read now: closed
    for _ in range(4):
        there.record("stripe", ok=False)  # each error sent at once: the last one opens the circuit
    assert there.state("stripe") == OPEN
    now[0] += 0.9
    assert here.allows("stripe")  # the state it read 0.9 s ago
    now[0] += 0.1
    assert not here.allows("stripe")  # read again once sync_seconds old: open


def test_successful_calls_are_counted_in_memory_and_sent_within_sync_seconds():
    now = [1000.0]
    cache = MemoryCache()
    breaker = CircuitBreaker(cache, window_seconds=30, sync_seconds=1.0, clock=lambda: now[0])
    calls = f"circuit:stripe:calls:{int(now[0] // 30)}"
    for _ in range(10):
        breaker.record("stripe", ok=True)
    assert cache.get(calls) == "1"  # the first was sent with the state's first read, nine wait
    now[0] += 1
    breaker.record("stripe", ok=True)
    assert cache.get(calls) == "11"


def test_an_open_circuit_routes_new_payments_to_the_next_gateway(api, auth, fleet, paypal, stripe):
    from workers.circuit import CircuitBreaker as Breaker

    circuit = fleet.context.circuit
    assert isinstance(circuit, Breaker)
    circuit.cache.set("circuit:stripe:open_until", str(time.time() + 30), 60)
    time.sleep(circuit.sync_seconds)  # the workers read it within sync_seconds
    try:
        pid = api.simulate_post("/payments", json=card_payment(amount=999), headers=auth).json["id"]
        payment = wait_status(pid)
        assert (payment.status, payment.gateway) == ("succeeded", "paypal")
        assert stripe.ledger(pid) == [] and paypal.captured(pid) == 999
    finally:
        circuit.cache.client.delete(circuit.cache.key("circuit:stripe:open_until"))
        time.sleep(circuit.sync_seconds)  # closed again for the next tests' payments


def test_a_dead_lettered_job_marks_its_payment(fleet, merchant, db):
    from store.models import Event

    # A payment whose job cannot succeed (its card no longer decrypts), sent with no retries left.
    pid = "pay_" + "deadletter" + merchant[-12:].rjust(14, "0")
    card = fleet.context.vault.seal_card(pid, "4242424242424242", 12, 2031, "123")
    card["card_ciphertext"] = "A" * 40
    Payment.create(
        id=pid,
        merchant_id=merchant,
        status="pending",
        amount=100,
        currency="USD",
        capture="automatic",
        route="stripe,paypal",
        metadata={},
        **card,
    )
    fleet.actors["process_payment"].send_with_options(args=(pid, "stripe"), max_retries=0)
    marked = Event.select().where((Event.payment_id == pid) & (Event.type == "payment.dead_lettered"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not marked.exists():
        time.sleep(0.1)
    assert marked.exists()
    assert Payment.get_by_id(pid).status != "failed"  # never assumed failed: the sweeper drives it again


def _aged_payment(fleet, merchant, suffix, status, age):
    created = utcnow() - age
    pid = "pay_" + suffix + merchant[-12:].rjust(24 - len(suffix), "0")
    Payment.create(
        id=pid,
        merchant_id=merchant,
        status=status,
        gateway="stripe",
        amount=100,
        currency="USD",
        capture="automatic",
        route="stripe",
        metadata={},
        created_at=created,
        updated_at=utcnow(),  # touched by a sweep just now: the age still counts from creation
        **fleet.context.vault.seal_card(pid, "4242424242424242", 12, 2031, "123"),
    )
    return pid


def _gauges():
    return (
        REGISTRY.get_sample_value("paywave_payments_stuck", {"status": "processing"}),
        REGISTRY.get_sample_value("paywave_payments_stuck", {"status": "requires_review"}),
        REGISTRY.get_sample_value("paywave_webhook_endpoints_disabled"),
    )


def test_each_sweep_sets_the_gauges_of_payments_left_waiting_and_disabled_endpoints(fleet, merchant, db):
    ctx = dataclasses.replace(
        fleet.context, config=dataclasses.replace(fleet.context.config, stuck_after_seconds=1800)
    )
    sweep(ctx)
    processing, review, disabled = _gauges()
    hour = datetime.timedelta(hours=1)
    # stuck: an hour in processing, an hour in review; not yet: a minute in processing, an hour pending
    _aged_payment(fleet, merchant, "stuckp", "processing", hour)
    _aged_payment(fleet, merchant, "stuckr", "requires_review", hour)
    _aged_payment(fleet, merchant, "freshp", "processing", datetime.timedelta(minutes=1))
    _aged_payment(fleet, merchant, "oldpnd", "pending", hour)
    for status in ("disabled", "enabled"):
        WebhookEndpoint.create(
            id=f"we_{status}{merchant[-12:]}",
            merchant_id=merchant,
            url="https://hooks.example.com/",
            enabled_events=["*"],
            status=status,
            secret_key_id="k",
            secret_ciphertext="c",
        )
    sweep(ctx)
    assert _gauges() == (processing + 1, review + 1, disabled + 1)
