"""The PayPal wallet under failure: a worker killed between the buyer's approval and the capture, and a
re-read job that never came (the buyer closed the tab, no webhook): paid once either way."""

import dataclasses
import time
import urllib.parse

from store.models import Attempt, Payment
from tests.support.paypal import Buyer
from tests.support.processes import WorkerProcess
from tests.support.sandbox import wait_status

SHOP = "https://shop.example/done"


def approved(api, auth, amount):
    """A wallet payment its buyer approved at PayPal, not yet captured: ``(payment id, where the buyer's
    browser is sent back)``."""
    body = {"amount": amount, "currency": "USD", "return_url": SHOP, "payment_method": {"type": "paypal"}}
    pid = api.simulate_post("/payments", json=body, headers=auth).json["id"]
    payment = wait_status(pid, ("requires_action", "failed"), timeout=60)
    assert payment.status == "requires_action"
    return pid, Buyer().answer(payment.next_action["redirect_to_url"]["url"], "approve")


def captures(paypal, pid):
    return [e["amount"] for e in paypal.ledger(pid) if e["type"] == "capture"]


def test_sigkill_between_approval_and_capture_then_redelivery_captures_exactly_once(
    chaos_api, auth, paypal, workers
):
    worker = workers("paypal")
    pid, back = approved(chaos_api, auth, 5150)
    paypal.faults(latency_ms=1500)  # each call is slow: the order's read, then its capture
    parts = urllib.parse.urlsplit(back)
    assert chaos_api.simulate_get(parts.path, query_string=parts.query).status_code == 303  # queues the read
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Attempt.get(Attempt.payment_id == pid).tries < 2:
        time.sleep(0.05)
    assert Attempt.get(Attempt.payment_id == pid).tries == 2, "the worker never read the order again"
    time.sleep(2.25)  # past the read (1.5 s): the capture is in flight
    worker.kill()
    time.sleep(1.5)  # the sandbox finishes the capture the dead worker asked for
    assert captures(paypal, pid) == [5150] and Payment.get_by_id(pid).status == "requires_action"
    paypal.faults(latency_ms=0)

    workers("paypal")  # the killed job is delivered again

    payment = wait_status(pid, timeout=60)
    assert (payment.status, payment.gateway, payment.amount_captured) == ("succeeded", "paypal", 5150)
    assert captures(paypal, pid) == [5150] and Attempt.select().where(Attempt.payment_id == pid).count() == 1


def test_the_sweeper_reads_an_approved_order_nobody_asked_about(
    chaos_api, chaos_config, auth, paypal, workers
):
    workers("paypal")
    pid, _ = approved(chaos_api, auth, 2750)  # the buyer's return is never made, no webhook comes
    time.sleep(1.5)
    assert Payment.get_by_id(pid).status == "requires_action" and captures(paypal, pid) == []
    swift = dataclasses.replace(chaos_config, sweep_interval_seconds=1, stuck_after_seconds=1)
    sweeper = WorkerProcess(swift, "ops")  # the ops pool runs the sweeper
    try:
        payment = wait_status(pid, timeout=60)
    finally:
        sweeper.stop()
    assert (payment.status, payment.amount_captured) == ("succeeded", 2750)
    assert captures(paypal, pid) == [2750]
