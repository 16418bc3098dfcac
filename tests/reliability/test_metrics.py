"""Worker processes and the ingress export our metrics on their own metrics ports."""

import datetime
import os
import signal
import subprocess
import sys
import time

import requests

from shared.net import free_port, wait_http
from store.models import Payment, utcnow
from store.vault import Vault
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


def _scrape_until(url, ready, timeout=60):
    """The exposition at ``url`` once ``ready(text)`` holds (the last one read otherwise)."""
    deadline, text = time.monotonic() + timeout, ""
    while time.monotonic() < deadline:
        try:
            text = requests.get(url, timeout=2).text
            if ready(text):
                break
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    return text


def _sample(text, name):
    """The value of the sample written exactly ``name`` (with its labels), or None."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def test_the_ops_pool_exports_its_heartbeat_and_what_waits(chaos_config, workers, merchant, db):
    """What the alerting rules read, from a real ``paywave worker --pool ops`` process: its heartbeat time and
    the sweeper's counts of payments left in processing and disabled webhook endpoints."""
    hour_ago = utcnow() - datetime.timedelta(hours=1)
    pid = "pay_gauge" + merchant[-12:].rjust(19, "0")
    Payment.create(
        id=pid,
        merchant_id=merchant,
        status="processing",
        gateway="stripe",
        amount=100,
        currency="USD",
        capture="automatic",
        route="stripe",
        metadata={},
        created_at=hour_ago,
        updated_at=utcnow(),  # not the sweeper's to drive yet: only counted
        **Vault.from_config(chaos_config).seal_card(pid, "4242424242424242", 12, 2031, "123"),
    )
    started = time.time()
    worker = workers("ops")
    url = f"http://127.0.0.1:{worker.metrics_port}/metrics"
    processing = 'paywave_payments_stuck{status="processing"}'
    try:
        text = _scrape_until(
            url, lambda t: (_sample(t, processing) or 0) >= 1 and "paywave_worker_heartbeat" in t, timeout=90
        )
    finally:  # left behind, the sweeper of a later test would drive it
        Payment.delete_by_id(pid)
    assert _sample(text, processing) >= 1, text[-3000:]
    assert _sample(text, 'paywave_payments_stuck{status="requires_review"}') is not None
    assert _sample(text, "paywave_webhook_endpoints_disabled") is not None
    beat = _sample(text, 'paywave_worker_heartbeat_timestamp_seconds{pool="ops"}')
    assert beat is not None and beat >= started, text[-3000:]
    assert pid not in text and merchant not in text  # no ids as labels
