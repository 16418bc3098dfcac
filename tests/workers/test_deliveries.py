"""Webhooks end to end: the fleet on real RabbitMQ delivers signed events to a merchant's
receiver (a local HTTP server, allow-listed by configuration) on a shortened schedule."""

import dataclasses
import datetime
import http.server
import threading
import time

import orjson
import pytest
from falcon import testing

from ingress.app import create_app
from shared import metrics
from shared.signing import verify
from store.models import WebhookEndpoint, utcnow
from store.vault import Vault
from tests.support.api import card_payment
from tests.support.sandbox import wait_status

SCHEDULE = (0.1, 0.1, 1.0)  # three retries; Retry-After is honoured up to the longest


class Receiver:
    """A merchant's endpoint on 127.0.0.1: records every request; answers ``script`` in
    order (``(status, headers)``), then 200."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.requests.append((dict(self.headers.items()), body, time.monotonic()))
                    status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                self.send_response(status)
                for name, value in {"content-length": "2", **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait(self, count, timeout=15.0):
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.requests) >= count, f"{len(self.requests)} of {count} requests received"
        return self.requests

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hooks_config(worker_config):
    return dataclasses.replace(
        worker_config,
        webhook_allow_http=True,
        webhook_allowed_hosts=("127.0.0.1/32",),
        webhook_retry_schedule=SCHEDULE,
    )


@pytest.fixture(scope="module")
def hooks_fleet(fleet, hooks_config):
    """The package's fleet (a second one would consume the same queues), configured for
    these tests: loopback allow-listed, a short schedule."""
    previous, fleet.context.config = fleet.context.config, hooks_config
    yield fleet
    fleet.context.config = previous


@pytest.fixture
def hooks_api(hooks_config, hooks_fleet, db):
    return testing.TestClient(
        create_app(
            hooks_config,
            vault=Vault.from_config(hooks_config),
            cache=hooks_fleet.context.cache,
            relay=hooks_fleet.relay,
            broker_check=lambda: True,
        )
    )


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def endpoint(api, auth, url, events=("*",)):
    resp = api.simulate_post(
        "/webhook_endpoints", json={"url": url, "enabled_events": list(events)}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    return resp.json


def update_event(api, auth):
    """A ``payment.updated`` event (the payment is charged meanwhile; endpoints here only take updates)."""
    pid = api.simulate_post("/payments", json=card_payment(), headers=auth).json["id"]
    assert (
        api.simulate_put(f"/payments/{pid}", json={"description": "shipped"}, headers=auth).status_code == 200
    )
    return pid


def deliveries(api, auth, event_id, final=True, timeout=15.0):
    deadline = time.monotonic() + timeout
    while True:
        data = api.simulate_get(f"/events/{event_id}/deliveries", headers=auth).json["data"]
        if not final or all(d["status"] != "pending" for d in data) or time.monotonic() > deadline:
            return data
        time.sleep(0.05)


def events_until(api, auth, type_, timeout=15.0):
    """The merchant's events once one of ``type_`` is among them."""
    deadline = time.monotonic() + timeout
    while True:
        listed = api.simulate_get("/events", headers=auth).json["data"]
        if any(e["type"] == type_ for e in listed) or time.monotonic() > deadline:
            return listed
        time.sleep(0.05)


@pytest.mark.parametrize("gateway", ["stripe", "paypal"])
def test_every_event_of_a_payments_life_arrives_signed(hooks_api, auth, receiver, gateway):
    secret = endpoint(hooks_api, auth, receiver.url)["secret"]
    pid = hooks_api.simulate_post(
        "/payments", json=card_payment(gateway=gateway, amount=1000), headers=auth
    ).json["id"]
    assert wait_status(pid).status == "succeeded"
    assert (
        hooks_api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 300}, headers=auth).status_code
        == 202
    )
    listed = events_until(hooks_api, auth, "payment.refunded")
    assert {"payment.succeeded", "payment.refunded"} <= {e["type"] for e in listed}
    received = {}
    for headers, body, _ in receiver.wait(len(listed)):
        event = verify(secret, headers, body)
        assert headers["webhook-id"] == event["id"] and headers["content-type"] == "application/json"
        received[event["id"]] = event
    assert received == {e["id"]: e for e in listed}  # each event once, its body the event object
    refunded = next(e for e in listed if e["type"] == "payment.refunded")
    assert refunded["data"]["amount_refunded"] == 300 and refunded["data"]["gateway"] == gateway
    for event in listed:
        [delivery] = deliveries(hooks_api, auth, event["id"])
        assert delivery["status"] == "succeeded" and [a["status_code"] for a in delivery["attempts"]] == [200]
        assert delivery["attempts"][0]["response_snippet"] == "ok"


def test_failing_twice_then_the_third_attempt_delivers_on_the_schedule(hooks_api, auth, merchant):
    receiver = Receiver([(500, {}), (503, {"Retry-After": "1"})])
    try:
        hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
        update_event(hooks_api, auth)
        received = receiver.wait(3)
    finally:
        receiver.close()
    assert len({h["webhook-id"] for h, _, _ in received}) == 1
    for headers, body, _ in received:
        verify(hook["secret"], headers, body)
    first, second, third = (at for _, _, at in received)
    assert SCHEDULE[0] * 0.9 <= second - first < 1.0  # on the schedule, jittered
    assert third - second >= 1.0  # Retry-After honoured over the schedule's 0.1 s
    [delivery] = deliveries(hooks_api, auth, received[0][0]["webhook-id"])
    assert delivery["status"] == "succeeded"
    assert [(a["number"], a["status_code"]) for a in delivery["attempts"]] == [(1, 500), (2, 503), (3, 200)]
    assert all(a["latency_ms"] >= 0 and a["response_snippet"] == "ok" for a in delivery["attempts"])
    assert WebhookEndpoint.get_by_id(hook["id"]).failing_since is None  # a success ends the failing streak


def test_410_disables_the_endpoint_with_a_reason(hooks_api, auth):
    receiver = Receiver([(410, {})])
    try:
        hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
        pid = update_event(hooks_api, auth)
        [(headers, _, _)] = receiver.wait(1)
        [delivery] = deliveries(hooks_api, auth, headers["webhook-id"])
        assert delivery["status"] == "failed" and [a["status_code"] for a in delivery["attempts"]] == [410]
        got = hooks_api.simulate_get(f"/webhook_endpoints/{hook['id']}", headers=auth).json
        assert got["status"] == "disabled" and "410" in got["disabled_reason"]
        hooks_api.simulate_put(f"/payments/{pid}", json={"description": "again"}, headers=auth)
        time.sleep(0.5)
        assert len(receiver.requests) == 1  # a disabled endpoint gets nothing more
    finally:
        receiver.close()


def test_a_redirect_is_never_followed_and_counts_as_a_failure(hooks_api, auth, receiver):
    redirecting = Receiver([(302, {"Location": receiver.url})] * 4)
    try:
        endpoint(hooks_api, auth, redirecting.url, ["payment.updated"])
        update_event(hooks_api, auth)
        received = redirecting.wait(4)
        [delivery] = deliveries(hooks_api, auth, received[0][0]["webhook-id"])
    finally:
        redirecting.close()
    assert delivery["status"] == "failed" and [a["status_code"] for a in delivery["attempts"]] == [302] * 4
    assert receiver.requests == []


def test_during_a_rotation_both_secrets_sign(hooks_api, auth, receiver):
    hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
    new = hooks_api.simulate_post(f"/webhook_endpoints/{hook['id']}/rotate_secret", headers=auth).json[
        "secret"
    ]
    update_event(hooks_api, auth)
    [(headers, body, _)] = receiver.wait(1)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (hook["secret"], new):
        assert verify(secret, headers, body)["type"] == "payment.updated"
        assert verify(secret, {**headers, "webhook-signature": signatures[secret == hook["secret"]]}, body)


def test_a_previous_secret_stops_signing_when_its_24_hours_are_over(hooks_api, auth, receiver):
    hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
    new = hooks_api.simulate_post(f"/webhook_endpoints/{hook['id']}/rotate_secret", headers=auth).json[
        "secret"
    ]
    (
        WebhookEndpoint.update(previous_secret_expires_at=utcnow() - datetime.timedelta(seconds=1))
        .where(WebhookEndpoint.id == hook["id"])
        .execute()
    )
    update_event(hooks_api, auth)
    [(headers, body, _)] = receiver.wait(1)
    assert len(headers["webhook-signature"].split()) == 1 and verify(new, headers, body)


def test_the_guard_refuses_at_delivery_too(hooks_api, auth, receiver):
    """Endpoints whose URLs lead where the guard refuses (written directly: creation refuses
    them) get every attempt refused before any connection; ``localhost``: test_delivery_http."""
    urls = ["http://10.0.0.1:9/hooks", "http://169.254.169.254/latest/meta-data", "http://[::1]:9/hooks"]
    for url in urls:
        hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
        WebhookEndpoint.update(url=url).where(WebhookEndpoint.id == hook["id"]).execute()
    before = metrics.webhook_deliveries.labels("refused")._value.get()
    update_event(hooks_api, auth)
    event_id = hooks_api.simulate_get("/events", params={"type": "payment.updated"}, headers=auth).json[
        "data"
    ][0]["id"]
    found = deliveries(hooks_api, auth, event_id)
    assert len(found) == len(urls) and {d["status"] for d in found} == {"failed"}
    attempts = [a for d in found for a in d["attempts"]]
    assert len(attempts) == len(urls) * (len(SCHEDULE) + 1)
    assert all(a["status_code"] is None and a["error"].startswith("refused:") for a in attempts)
    assert metrics.webhook_deliveries.labels("refused")._value.get() - before == len(attempts)
    assert receiver.requests == []


def test_an_endpoint_failing_for_longer_than_configured_is_disabled(hooks_api, auth, hooks_config):
    receiver = Receiver([(500, {})])
    try:
        hook = endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
        since = utcnow() - datetime.timedelta(hours=hooks_config.webhook_disable_after_hours, minutes=1)
        WebhookEndpoint.update(failing_since=since).where(WebhookEndpoint.id == hook["id"]).execute()
        update_event(hooks_api, auth)
        [(headers, _, _)] = receiver.wait(1)
        [delivery] = deliveries(hooks_api, auth, headers["webhook-id"])
    finally:
        receiver.close()
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 1
    got = hooks_api.simulate_get(f"/webhook_endpoints/{hook['id']}", headers=auth).json
    assert got["status"] == "disabled" and "every delivery failed since" in got["disabled_reason"]


def test_the_body_is_the_event_object_byte_for_byte(hooks_api, auth, receiver):
    endpoint(hooks_api, auth, receiver.url, ["payment.updated"])
    update_event(hooks_api, auth)
    [(headers, body, _)] = receiver.wait(1)
    got = hooks_api.simulate_get(f"/events/{headers['webhook-id']}", headers=auth)
    assert orjson.loads(body) == got.json and body == got.content
