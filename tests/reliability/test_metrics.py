"""Worker processes and the ingress export our metrics on their own metrics ports."""

import os
import signal
import subprocess
import sys
import time

import requests

from shared.net import free_port, wait_http
from tests.support import leakscan
from tests.support.api import card_payment
from tests.support.processes import ROOT
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
    for name in (
        'paywave_payments_total{gateway="stripe",status="succeeded"}',
        'paywave_gateway_attempts_total{gateway="stripe",operation="charge",outcome="succeeded"}',
        "paywave_gateway_request_duration_seconds_bucket",
        "paywave_circuit_state",
        "dramatiq_messages_total",
    ):
        assert name in text, name
    assert pid not in text  # no payment ids as labels


def test_ingress_serves_metrics_on_its_own_port_only(chaos_config, auth):
    """``/metrics`` is not on the public API port; the metrics port aggregates every gunicorn worker's
    series."""
    port, metrics_port = free_port(), free_port()
    env = {
        **os.environ,
        **chaos_config.as_environ(),
        "PAYWAVE_INGRESS_METRICS_PORT": str(metrics_port),
        "PAYWAVE_WEB_WORKERS": "2",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the ingress makes its own
    with leakscan.log_file("ingress-metrics") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingress", "--port", str(port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stderr=log,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz", proc, timeout=30)
        for _ in range(4):  # spread over both gunicorn workers
            assert requests.get(base + "/payments?limit=1", headers=auth, timeout=5).status_code == 200
        assert requests.get(base + "/metrics", timeout=5).status_code == 404
        wait_http(f"http://127.0.0.1:{metrics_port}/metrics", proc, timeout=10)
        text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        assert 'paywave_http_requests_total{method="GET",route="/payments",status="200"} 4.0' in text, text[
            -2000:
        ]
        assert "paywave_http_request_duration_seconds_bucket" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
