"""Bodies without Content-Length (``Transfer-Encoding: chunked``, as proxies and streaming clients send
them) through a real gunicorn ingress: each moves exactly the amount it names, through the fleet to the
sandbox, and one past ``PAYWAVE_MAX_BODY_BYTES`` is refused whatever its framing."""

import dataclasses
import http.client
import os
import signal
import time

import orjson
import pytest

from store.models import Payment, Refund
from tests.support.api import card_payment, pay
from tests.support.processes import start_ingress
from tests.support.sandbox import wait_status


@pytest.fixture(scope="module")
def ingress(worker_config, fleet):
    """``paywave ingress`` (gunicorn) on this package's database and queues: the fleet charges what it
    accepts."""
    proc, base = start_ingress(dataclasses.replace(worker_config, web_workers=1))
    yield base.removeprefix("http://")
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(30)


def chunked(host, method, path, auth, body: bytes):
    """``(status, JSON answer)`` for ``body`` sent in two chunks, without Content-Length."""
    conn = http.client.HTTPConnection(host, timeout=10)
    try:
        conn.request(
            method,
            path,
            body=iter([body[:7], body[7:]]),
            encode_chunked=True,
            headers={**auth, "Content-Type": "application/json"},
        )
        resp = conn.getresponse()
        return resp.status, orjson.loads(resp.read())
    finally:
        conn.close()


def test_a_chunked_create_charges_the_amount_it_names(ingress, auth, stripe):
    status, body = chunked(
        ingress, "POST", "/payments", auth, orjson.dumps(card_payment(amount=1234, gateway="stripe"))
    )

    assert status == 202, body
    assert wait_status(body["id"]).amount_captured == 1234 and stripe.captured(body["id"]) == 1234


def test_a_chunked_partial_capture_captures_only_its_amount(api, auth, ingress, stripe):
    pid = pay(api, auth, gateway="stripe", amount=1000, capture="manual")
    assert wait_status(pid).status == "requires_capture"

    status, body = chunked(ingress, "POST", f"/payments/{pid}/capture", auth, b'{"amount": 100}')

    assert status == 202, body
    assert wait_status(pid, ("succeeded",)).amount_captured == 100 and stripe.captured(pid) == 100


def test_a_chunked_partial_refund_refunds_only_its_amount(api, auth, ingress, stripe):
    pid = pay(api, auth, gateway="stripe", amount=4000)
    assert wait_status(pid).amount_captured == 4000

    status, body = chunked(ingress, "POST", f"/payments/{pid}/refunds", auth, b'{"amount": 100}')

    assert status == 202, body
    deadline = time.monotonic() + 20
    while Refund.get_by_id(body["id"]).status == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Refund.get_by_id(body["id"]).status == "succeeded"
    assert Payment.get_by_id(pid).amount_refunded == 100 and stripe.captured(pid) == 3900


def test_a_chunked_update_changes_what_it_names(api, auth, ingress):
    pid = pay(api, auth, gateway="stripe", amount=500)

    status, body = chunked(ingress, "PUT", f"/payments/{pid}", auth, b'{"description": "sent in chunks"}')

    assert status == 200, body
    assert body["description"] == Payment.get_by_id(pid).description == "sent in chunks"


def test_a_chunked_body_past_the_limit_is_413(ingress, auth, worker_config):
    big = b'{"description": "' + b"d" * worker_config.max_body_bytes + b'"}'

    status, body = chunked(ingress, "POST", "/payments", auth, big)

    assert (status, body["type"]) == (413, "/problems/too-large")
