"""A worker process exports our metrics (and Dramatiq's) once it has processed a payment."""
import time

import requests

from tests.conftest import card_payment
from tests.support.sandbox import wait_status


def test_worker_metrics_after_a_payment(chaos_api, auth, stripe, workers):
    worker = workers("stripe")
    pid = chaos_api.simulate_post("/payments", json=card_payment(amount=1111), headers=auth).json["id"]
    assert wait_status(pid, timeout=60).status == "succeeded"
    url = f"http://127.0.0.1:{worker.metrics_port}/metrics"
    deadline, text = time.monotonic() + 20, ""
    while time.monotonic() < deadline:
        try:
            text = requests.get(url, timeout=2).text
            if "paywave_payments_total" in text:
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    for name in ('paywave_payments_total{gateway="stripe",status="succeeded"}',
                 'paywave_gateway_attempts_total{gateway="stripe",operation="charge",outcome="succeeded"}',
                 "paywave_gateway_request_duration_seconds_bucket", "paywave_circuit_state",
                 "dramatiq_messages_total"):
        assert name in text, name
    assert pid not in text  # no payment ids as labels
