"""PayPal webhook events from the sandbox, and ``PayPalGateway.verify_webhook``."""

import json
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from gateways.base import Fact
from gateways.errors import HardDeclineError, SoftDeclineError
from gateways.paypal import WEBHOOKS

WEBHOOK_ID = "WH8SANDBOX42"


class Receiver:
    """A merchant endpoint that keeps every delivery: ``(headers, raw body)``."""

    def __init__(self):
        self._queue, self._seen = queue.Queue(), []
        deliveries = self._queue

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                deliveries.put((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/paypal/webhooks"

    def wait_for(self, event_type, match, timeout=10):
        """The first delivery of ``event_type`` whose event satisfies ``match``."""
        deadline = time.monotonic() + timeout
        while True:
            for headers, body in self._seen:
                event = json.loads(body)
                if event["event_type"] == event_type and match(event["resource"]):
                    return headers, body, event
            try:
                self._seen.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"no {event_type} delivered within {timeout}s") from None


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture(scope="module")
def hooked_url(start_sandbox, receiver):
    return start_sandbox("paypal", "--webhook-url", receiver.url, "--webhook-secret", WEBHOOK_ID)


@pytest.fixture
def hooked(hooked_url, sandbox_at):
    return sandbox_at(hooked_url).gateway()


def test_capture_event_is_genuine_and_tamper_evident(hooked, receiver, payment):
    request = payment()
    reference = hooked.charge(request).reference

    headers, body, event = receiver.wait_for(
        "PAYMENT.CAPTURE.COMPLETED", lambda r: r["supplementary_data"]["related_ids"]["order_id"] == reference
    )

    assert event["resource"]["custom_id"] == request.payment_id and event["resource_type"] == "capture"
    assert hooked.verify_webhook(headers, body, WEBHOOK_ID) is True
    lowered = {k.lower(): v for k, v in headers.items()}
    assert hooked.verify_webhook(lowered, body, WEBHOOK_ID) is True  # header case does not matter
    assert hooked.verify_webhook(headers, body.replace(b'"COMPLETED"', b'"DECLINED"'), WEBHOOK_ID) is False
    assert hooked.verify_webhook(headers, body, "SOMEONEELSESHOOK") is False
    assert (
        hooked.verify_webhook(
            {**headers, "Paypal-Transmission-Time": "2020-01-01T00:00:00Z"}, body, WEBHOOK_ID
        )
        is False
    )
    assert (
        hooked.verify_webhook(
            {k: v for k, v in headers.items() if k.lower() != "paypal-transmission-sig"}, body, WEBHOOK_ID
        )
        is False
    )
    assert hooked.verify_webhook(headers, b"not json", WEBHOOK_ID) is False


def test_refund_denial_and_dispute_events(hooked, hooked_url, receiver, payment):
    reference = hooked.charge(payment(amount=2000)).reference
    _, _, completed = receiver.wait_for(
        "PAYMENT.CAPTURE.COMPLETED", lambda r: r["supplementary_data"]["related_ids"]["order_id"] == reference
    )
    capture_id = completed["resource"]["id"]
    refund = hooked.refund(reference, 500, "USD", f"ref-{reference}", "pay_webhooks")
    declined = payment(number="4000000000000002")
    with pytest.raises(SoftDeclineError):
        hooked.charge(declined)
    dispute = requests.post(hooked_url + "/_sandbox/disputes", json={"capture_id": capture_id}, timeout=5)

    headers, body, refunded = receiver.wait_for(
        "PAYMENT.CAPTURE.REFUNDED", lambda r: r["id"] == refund.reference
    )
    assert refunded["resource"]["amount"] == {"currency_code": "USD", "value": "5.00"}
    assert hooked.verify_webhook(headers, body, WEBHOOK_ID) is True
    _, _, denied = receiver.wait_for(
        "PAYMENT.CAPTURE.DENIED", lambda r: r["custom_id"] == declined.payment_id
    )
    assert denied["resource"]["status"] == "DECLINED"
    assert dispute.status_code == 201
    headers, body, disputed = receiver.wait_for(
        "CUSTOMER.DISPUTE.CREATED",
        lambda r: r["disputed_transactions"][0]["seller_transaction_id"] == capture_id,
    )
    assert disputed["resource"]["dispute_id"] == dispute.json()["dispute_id"]
    assert hooked.verify_webhook(headers, body, WEBHOOK_ID) is True


def test_approval_event_is_an_action_completed(hooked, receiver, wallet, buyer):
    request = wallet()
    waiting = hooked.charge(request)
    buyer.answer(waiting.action_url, "approve")

    headers, body, event = receiver.wait_for(
        "CHECKOUT.ORDER.APPROVED", lambda r: r["id"] == waiting.reference
    )

    assert event["resource_type"] == "checkout-order" and event["resource"]["status"] == "APPROVED"
    assert hooked.verify_webhook(headers, body, WEBHOOK_ID) is True
    assert WEBHOOKS.read(event) == Fact(
        "action_completed", payment_id=request.payment_id, reference=waiting.reference
    )


def test_dispute_on_an_unknown_capture_is_refused(hooked_url):
    response = requests.post(
        hooked_url + "/_sandbox/disputes", json={"capture_id": "NOSUCHCAPTURE0000"}, timeout=5
    )

    assert response.status_code == 404


def test_events_match_the_documents(hooked, receiver, payment, wallet, buyer, openapi):
    reference = hooked.charge(payment()).reference
    approved = hooked.charge(wallet())
    buyer.answer(approved.action_url, "approve")
    refund = hooked.refund(reference, 100, "USD", f"ref-{reference}", "pay_webhooks")
    declined = payment(number="4000000000009987")
    with pytest.raises(HardDeclineError):
        hooked.charge(declined)

    for event_type, match in [
        (
            "PAYMENT.CAPTURE.COMPLETED",
            lambda r: r["supplementary_data"]["related_ids"]["order_id"] == reference,
        ),
        ("PAYMENT.CAPTURE.REFUNDED", lambda r: r["id"] == refund.reference),
        ("PAYMENT.CAPTURE.DENIED", lambda r: r["custom_id"] == declined.payment_id),
        ("CHECKOUT.ORDER.APPROVED", lambda r: r["id"] == approved.reference),
    ]:
        _, _, event = receiver.wait_for(event_type, match)
        openapi.component("notifications_webhooks_v1.json", "event", event)
        if event["resource_type"] == "checkout-order":
            openapi.component("checkout_orders_v2.json", "order", event["resource"])
        elif event["resource_type"] == "capture":
            openapi.component("payments_payment_v2.json", "capture-2", event["resource"])
        else:
            openapi.component("payments_payment_v2.json", "refund", event["resource"])
