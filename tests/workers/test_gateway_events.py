"""Gateway events end to end: both sandboxes send their signed webhooks over HTTP to an ingress served
here, the fleet's ops pool verifies (PayPal) and applies them, and the payment tells the truth once."""

import dataclasses
import functools
import io
import secrets
import socketserver
import time
import uuid
from wsgiref import simple_server

import dramatiq
import orjson
import pytest
import requests

import ingress.resources.gateway_events
from gateways.registry import build_gateways
from ingress.app import create_app
from sandbox.stripe.events import Webhooks
from store.models import Event, GatewayEvent, Payment, Refund
from store.vault import Vault
from tests.support import services
from tests.support.api import card_payment, pay
from tests.support.paypal import Buyer
from tests.support.sandbox import Sandbox, wait_status
from workers import actors
from workers.actors import gateway_events

SECRET = "whsec_" + secrets.token_hex(16)
WEBHOOK_ID = "WH-" + secrets.token_hex(6).upper()


class Deliveries:
    """WSGI middleware in front of the ingress: keeps every delivery ``(headers, body, event)``, and answers
    503 to those ``hold(event)`` picks instead of passing them on (the sandbox gives up after its retries)."""

    def __init__(self, app):
        self.app, self.seen = app, []
        self.hold = lambda event: False

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {
            k[5:].replace("_", "-"): v
            for k, v in environ.items()
            if k.startswith("HTTP_") and k != "HTTP_HOST"
        }
        headers["CONTENT-TYPE"] = environ.get("CONTENT_TYPE", "")
        event = orjson.loads(body)
        self.seen.append((environ["PATH_INFO"], headers, body, event))
        if self.hold(event):
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def wait_for(self, gateway, match, timeout=15.0):
        """``(headers, body, event)`` of the first delivery to ``gateway`` whose event ``match`` accepts."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for path, headers, body, event in list(self.seen):
                if path == f"/webhooks/{gateway}" and match(event):
                    return headers, body, event
            time.sleep(0.05)
        raise AssertionError(f"no matching {gateway} delivery within {timeout}s")


class _ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@dataclasses.dataclass
class Hooked:
    url: str
    deliveries: Deliveries
    stripe: Sandbox
    paypal: Sandbox

    def post(self, gateway, headers, body):
        return requests.post(f"{self.url}/webhooks/{gateway}", data=body, headers=headers, timeout=5)


@pytest.fixture(scope="module")
def hooked(fleet, worker_config, start_sandbox):
    """Sandboxes that send webhooks to an ingress served here, and the fleet charging through them."""
    cfg = dataclasses.replace(worker_config, stripe_webhook_secret=SECRET, paypal_webhook_id=WEBHOOK_ID)
    app = create_app(
        cfg,
        vault=Vault.from_config(cfg),
        cache=fleet.context.cache,
        relay=fleet.relay,
        broker_check=lambda: True,
    )
    ingress.resources.gateway_events.routes(app, cfg, fleet.relay)
    deliveries = Deliveries(app)
    server = simple_server.make_server("127.0.0.1", 0, deliveries, _ThreadingServer, _QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    cfg = dataclasses.replace(
        cfg,
        stripe_api_base=start_sandbox(
            "stripe", "--webhook-url", url + "/webhooks/stripe", "--webhook-secret", SECRET
        ),
        paypal_api_base=start_sandbox(
            "paypal", "--webhook-url", url + "/webhooks/paypal", "--webhook-secret", WEBHOOK_ID
        ),
    )
    for name, (fn, queue) in gateway_events.ACTORS.items():  # until workers.actors.ACTORS lists it
        if name not in fleet.actors:
            fleet.actors[name] = dramatiq.actor(
                functools.partial(fn, fleet.context),
                actor_name=name,
                queue_name=cfg.queue_prefix + queue,
                broker=fleet.broker,
                **actors.OPTIONS,
            )
    # Listening already: nothing is lost.
    with services.serving(server), pytest.MonkeyPatch.context() as patch:
        patch.setattr(fleet.context, "config", cfg)
        patch.setattr(fleet.context, "gateways", build_gateways(cfg, fleet.context.cache))
        yield Hooked(url, deliveries, Sandbox(cfg.stripe_api_base), Sandbox(cfg.paypal_api_base))


def eventually(read, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not (value := read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert value, f"not within {timeout}s"
    return value


def settled(gateway, event, timeout=15.0) -> GatewayEvent:
    """The stored event once the ops pool has decided on it."""
    return eventually(
        lambda: GatewayEvent.get_or_none(
            (GatewayEvent.gateway == gateway)
            & (GatewayEvent.event_id == event["id"])
            & (GatewayEvent.status != "received")
        ),
        timeout,
    )


#: What the sandbox's refund event looks like, and where its refund id is.
REFUND_EVENTS = {
    "stripe": lambda e, refund_id: (
        e.get("type") == "refund.created" and e["data"]["object"]["id"] == refund_id
    ),
    "paypal": lambda e, refund_id: (
        e.get("event_type") == "PAYMENT.CAPTURE.REFUNDED" and e["resource"]["id"] == refund_id
    ),
}


@pytest.mark.parametrize("gateway", ["stripe", "paypal"])
def test_a_refund_event_counts_once_even_delivered_twice_or_made_by_our_own_job(
    api, auth, hooked, fleet, gateway
):
    pid = pay(api, auth, gateway=gateway, amount=1000)
    payment = wait_status(pid)
    gw = fleet.context.gateways[gateway]
    outside = gw.refund(payment.gateway_reference, 300, "USD", f"dashboard-{pid}", pid)  # not through our API
    headers, body, event = hooked.deliveries.wait_for(
        gateway, lambda e: REFUND_EVENTS[gateway](e, outside.reference)
    )

    assert settled(gateway, event).status == "applied"
    payment = Payment.get_by_id(pid)
    assert (
        payment.amount_refunded == 300
        and Refund.get(Refund.gateway_reference == outside.reference).amount == 300
    )
    assert (
        hooked.post(gateway, headers, body).status_code == 200
    )  # the very same delivery again: nothing stored
    assert GatewayEvent.select().where(GatewayEvent.event_id == event["id"]).count() == 1
    assert (Payment.get_by_id(pid).amount_refunded, Payment.get_by_id(pid).version) == (300, payment.version)

    resp = api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 200}, headers=auth)
    reference = eventually(lambda: Refund.get_by_id(resp.json["id"]).gateway_reference)  # our refund job's
    _, _, event = hooked.deliveries.wait_for(gateway, lambda e: REFUND_EVENTS[gateway](e, reference))
    row = settled(gateway, event)
    assert (row.status, row.detail) == ("ignored", f"refund {reference} already counted")
    assert Payment.get_by_id(pid).amount_refunded == 500 and getattr(hooked, gateway).captured(pid) == 500


def test_a_scripted_dispute_marks_the_payment_and_emits_payment_disputed(api, auth, hooked):
    on_stripe, on_paypal = pay(api, auth, gateway="stripe"), pay(api, auth, gateway="paypal")
    pi = wait_status(on_stripe).gateway_reference
    wait_status(on_paypal)
    _, _, completed = hooked.deliveries.wait_for(
        "paypal",
        lambda e: (
            e.get("event_type") == "PAYMENT.CAPTURE.COMPLETED" and e["resource"].get("custom_id") == on_paypal
        ),
    )
    assert requests.post(hooked.stripe.base + "/_sandbox/disputes", json={"payment_intent": pi}, timeout=5).ok
    assert requests.post(
        hooked.paypal.base + "/_sandbox/disputes", json={"capture_id": completed["resource"]["id"]}, timeout=5
    ).ok

    for pid in (on_stripe, on_paypal):
        assert eventually(lambda pid=pid: Payment.get_by_id(pid).disputed)
        assert (
            Event.select().where((Event.payment_id == pid) & (Event.type == "payment.disputed")).count() == 1
        )


def test_a_forged_paypal_event_is_stored_then_rejected_and_never_applied(api, auth, hooked):
    pid = pay(api, auth, gateway="paypal")
    version = wait_status(pid).version
    forged = {
        "id": "WH-" + secrets.token_hex(8).upper(),
        "event_type": "CUSTOMER.DISPUTE.CREATED",
        "resource_type": "dispute",
        "resource": {
            "dispute_id": "PP-D-1",
            "disputed_transactions": [{"seller_transaction_id": "X", "custom": pid}],
        },
    }
    headers = {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": str(uuid.uuid4()),
        "PAYPAL-TRANSMISSION-TIME": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "PAYPAL-TRANSMISSION-SIG": secrets.token_hex(32),
        "PAYPAL-AUTH-ALGO": "HMACSHA256",
        "PAYPAL-CERT-URL": "https://forger.example/cert.pem",
    }

    assert (
        hooked.post("paypal", headers, orjson.dumps(forged)).status_code == 202
    )  # accepted, pending verification
    row = settled("paypal", forged)
    assert (row.status, row.payment_id) == ("rejected", None)
    assert (Payment.get_by_id(pid).disputed, Payment.get_by_id(pid).version) == (False, version)


def test_a_late_event_that_would_move_a_payment_backwards_is_ignored(api, auth, hooked):
    authorized = "payment_intent.amount_capturable_updated"
    hooked.deliveries.hold = lambda event: event.get("type") == authorized  # it will arrive late
    try:
        pid = pay(api, auth, gateway="stripe", capture="manual")
        assert wait_status(pid).status == "requires_capture"
        headers, body, late = hooked.deliveries.wait_for(
            "stripe",
            lambda e: e.get("type") == authorized and e["data"]["object"]["metadata"]["payment_id"] == pid,
        )
        attempts = len(Webhooks.RETRY_DELAYS) + 1
        eventually(
            lambda: [e["id"] for *_, e in hooked.deliveries.seen].count(late["id"]) == attempts
        )  # it gave up
    finally:
        hooked.deliveries.hold = lambda event: False
    assert api.simulate_post(f"/payments/{pid}/capture", headers=auth).status_code == 202
    _, _, succeeded = hooked.deliveries.wait_for(
        "stripe",
        lambda e: (
            e.get("type") == "payment_intent.succeeded"
            and e["data"]["object"]["metadata"]["payment_id"] == pid
        ),
    )
    settled("stripe", succeeded)
    version = wait_status(pid, ("succeeded",)).version

    assert hooked.post("stripe", headers, body).status_code == 200  # still within Stripe's five minutes
    row = settled("stripe", late)
    assert (row.status, row.detail) == ("ignored", "would move succeeded to requires_capture")
    assert (Payment.get_by_id(pid).status, Payment.get_by_id(pid).version) == ("succeeded", version)


def test_a_forged_event_sent_first_under_a_genuine_id_does_not_block_the_genuine_one(api, auth, hooked):
    pid = pay(api, auth, gateway="paypal")
    wait_status(pid)
    _, _, completed = hooked.deliveries.wait_for(
        "paypal",
        lambda e: (
            e.get("event_type") == "PAYMENT.CAPTURE.COMPLETED" and e["resource"].get("custom_id") == pid
        ),
    )

    def dispute(e):
        return (
            e.get("event_type") == "CUSTOMER.DISPUTE.CREATED"
            and "forged" not in e
            and e["resource"]["disputed_transactions"][0].get("custom") == pid
        )

    hooked.deliveries.hold = dispute  # the genuine delivery waits while the forger's goes first
    try:
        assert requests.post(
            hooked.paypal.base + "/_sandbox/disputes",
            json={"capture_id": completed["resource"]["id"]},
            timeout=5,
        ).ok
        headers, body, genuine = hooked.deliveries.wait_for("paypal", dispute)
        forged = {**genuine, "forged": True}
        forged_headers = {**headers, "PAYPAL-TRANSMISSION-ID": str(uuid.uuid4())}
        assert hooked.post("paypal", forged_headers, orjson.dumps(forged)).status_code == 202
        assert settled("paypal", forged).status == "rejected"
    finally:
        hooked.deliveries.hold = lambda event: False

    # The genuine delivery, as PayPal sends it again.
    assert hooked.post("paypal", headers, body).status_code == 202
    assert eventually(lambda: Payment.get_by_id(pid).disputed)
    rows = GatewayEvent.select().where(GatewayEvent.event_id == genuine["id"])
    assert eventually(
        lambda: (
            sorted((r.status, r.payload == body.decode()) for r in rows)
            == [("applied", True), ("rejected", False)]
        )
    )
    assert Event.select().where((Event.payment_id == pid) & (Event.type == "payment.disputed")).count() == 1


def test_a_3ds_payment_succeeds_by_stripes_webhook_when_the_customer_never_returns(api, auth, hooked):
    body = card_payment("4000002500003155", amount=1700, return_url="https://shop.example/done")
    pid = api.simulate_post("/payments", json=body, headers=auth).json["id"]
    assert wait_status(pid, ("requires_action", "succeeded", "failed")).status == "requires_action"
    challenge = Payment.get_by_id(pid).next_action["redirect_to_url"]["url"]
    # The customer completes the challenge; their browser never reaches our return route.
    assert requests.post(challenge, data={"result": "complete"}, allow_redirects=False, timeout=5).ok

    payment = wait_status(pid, ("succeeded",))

    _, _, event = hooked.deliveries.wait_for(
        "stripe",
        lambda e: (
            e["type"] == "payment_intent.succeeded"
            and e["data"]["object"]["metadata"].get("payment_id") == pid
        ),
    )
    assert settled("stripe", event).status == "applied"
    assert (payment.amount_captured, payment.next_action) == (1700, None)
    assert hooked.stripe.captured(pid) == 1700
    assert Event.select().where((Event.payment_id == pid) & (Event.type == "payment.succeeded")).count() == 1


def test_a_paypal_wallet_payment_is_captured_by_the_approval_webhook_when_the_buyer_never_returns(
    api, auth, hooked
):
    body = {
        "amount": 1900,
        "currency": "USD",
        "return_url": "https://shop.example/done",
        "payment_method": {"type": "paypal"},
    }
    pid = api.simulate_post("/payments", json=body, headers=auth).json["id"]
    assert wait_status(pid, ("requires_action", "succeeded", "failed")).status == "requires_action"
    # The buyer approves; their browser never reaches our return route.
    Buyer().answer(Payment.get_by_id(pid).next_action["redirect_to_url"]["url"], "approve")

    payment = wait_status(pid, ("succeeded",))

    _, _, event = hooked.deliveries.wait_for(
        "paypal",
        lambda e: (
            e["event_type"] == "CHECKOUT.ORDER.APPROVED" and e["resource"]["id"] == payment.gateway_reference
        ),
    )
    assert settled("paypal", event).status == "applied"
    assert (payment.amount_captured, payment.next_action) == (1900, None)
    assert [(e["type"], e["amount"]) for e in hooked.paypal.ledger(pid)] == [("capture", 1900)]
    assert Event.select().where((Event.payment_id == pid) & (Event.type == "payment.succeeded")).count() == 1
