"""A worker killed with SIGKILL in the middle of a charge: the redelivered job finishes it, charging once."""

import time

from store.models import Attempt
from tests.support.api import card_payment
from tests.support.sandbox import wait_status


def test_sigkill_mid_charge_then_redelivery_charges_exactly_once(chaos_api, auth, stripe, workers):
    stripe.faults(latency_ms=1500)  # the charge is slow: the kill lands while it is in flight
    worker = workers("stripe")
    resp = chaos_api.simulate_post("/payments", json=card_payment(amount=4242), headers=auth)
    pid = resp.json["id"]
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and not Attempt.select().where((Attempt.payment_id == pid) & (Attempt.tries >= 1)).exists()
    ):
        time.sleep(0.05)
    assert Attempt.select().where(Attempt.payment_id == pid).exists(), "the worker never started the charge"
    time.sleep(0.75)  # the tries count is committed just before the call: this is inside the 1.5 s charge
    worker.kill()
    time.sleep(2.0)  # the sandbox finishes the charge the dead worker asked for
    assert stripe.captured(pid) == 4242
    stripe.faults(latency_ms=0)
    workers("stripe")
    payment = wait_status(pid, timeout=60)
    assert (payment.status, payment.gateway, payment.amount_captured) == ("succeeded", "stripe", 4242)
    captures = [e for e in stripe.ledger(pid) if e["type"] == "capture"]
    assert len(captures) == 1 and Attempt.select().where(Attempt.payment_id == pid).count() == 1


def test_heartbeat_reports_a_live_worker(chaos_config, workers):
    import subprocess
    import sys

    workers("ops")
    deadline = time.monotonic() + 30
    check = None
    while time.monotonic() < deadline:
        check = subprocess.run(
            [sys.executable, "-m", "cli", "heartbeat", "--max-age", "60"],
            env=chaos_config.as_environ(),
            capture_output=True,
            text=True,
        )
        if check.returncode == 0:
            break
        time.sleep(0.5)
    assert check.returncode == 0, check.stderr
