"""``PayPalGateway`` with the PayPal wallet against the sandbox, over real HTTP: the order waits for its
buyer, who approves or cancels on the sandbox's checkout page, and ``retrieve`` completes it once."""

import concurrent.futures
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from gateways.base import GatewayStatus
from gateways.errors import (
    InvalidRequestError,
    RetryableError,
    SoftDeclineError,
    UnknownOutcomeError,
    UnsupportedOperation,
)
from tests.gateways.paypal.conftest import RETURN_URL


def _approved(gateway, buyer, request):
    """Create ``request``'s order and have its buyer approve it: its reference."""
    waiting = gateway.execute(request)
    location = buyer.answer(waiting.action_url, "approve")
    assert location.startswith(RETURN_URL + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["token"] == [waiting.reference] and len(query["PayerID"][0]) == 13
    return waiting.reference


def test_wallet_order_waits_for_its_buyer(gateway, sandbox, wallet, buyer):
    request = wallet(amount=1050, description="Order 42")

    waiting = gateway.charge(request)

    assert (waiting.status, waiting.amount, waiting.amount_captured, waiting.vendor_status) == (
        GatewayStatus.REQUIRES_ACTION,
        1050,
        0,
        "order:PAYER_ACTION_REQUIRED",
    )
    assert waiting.action_url == f"{sandbox.url}/checkoutnow?token={waiting.reference}"
    page = buyer.open(waiting.action_url)
    assert "10.50 USD" in page and "Order 42" in page and 'id="approve"' in page and 'id="cancel"' in page
    assert gateway.retrieve(request, waiting.reference) == waiting  # nothing happens before the buyer acts
    assert gateway.retrieve(request, None) == waiting  # a lost create answer replays the same order
    assert sandbox.ledger() == []


def test_approved_order_is_captured_once(gateway, sandbox, wallet, buyer):
    request = wallet(amount=2500)
    reference = _approved(gateway, buyer, request)

    first = gateway.retrieve(request, reference)
    again = gateway.retrieve(request, reference)

    assert (first.status, first.amount_captured, first.vendor_status) == (
        GatewayStatus.CAPTURED,
        2500,
        "capture:COMPLETED",
    )
    assert again == first
    [entry] = sandbox.ledger()
    assert (entry["type"], entry["amount"], entry["payment_id"], entry["gateway_reference"]) == (
        "capture",
        2500,
        request.payment_id,
        reference,
    )
    assert entry["idempotency_key"] == f"{request.idempotency_key}:capture"


def test_workers_racing_after_approval_capture_once(sandbox, wallet, buyer):
    """Every worker reads APPROVED (the latency holds them together) and captures with the same request
    id: PayPal runs it once and the others get the saved answer or "in progress"."""
    request = wallet(amount=700)
    reference = _approved(sandbox.gateway(), buyer, request)
    sandbox.faults(latency_ms=300)

    def worker(_):
        try:
            return sandbox.gateway().retrieve(request, reference).status
        except RetryableError as exc:
            return exc.code

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(worker, range(4)))

    assert set(outcomes) <= {GatewayStatus.CAPTURED, "request_in_progress"}
    assert GatewayStatus.CAPTURED in outcomes
    sandbox.faults(latency_ms=0)
    assert sandbox.gateway().retrieve(request, reference).status is GatewayStatus.CAPTURED
    assert [(e["type"], e["amount"]) for e in sandbox.ledger()] == [("capture", 700)]


class LoseCaptureAnswer(requests.adapters.HTTPAdapter):
    """Sends every request, but loses the answer to an order capture: a worker killed after PayPal
    captured and before it recorded anything."""

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if request.method == "POST" and request.path_url.endswith("/capture"):
            raise requests.ConnectionError("connection lost")
        return response


def test_a_worker_lost_between_approval_and_capture(sandbox, wallet, buyer):
    request = wallet(amount=1200)
    reference = _approved(sandbox.gateway(), buyer, request)
    dying = sandbox.gateway()
    dying.session.mount("http://", LoseCaptureAnswer())

    with pytest.raises(UnknownOutcomeError):
        dying.retrieve(request, reference)
    replayed = sandbox.gateway().retrieve(request, reference)  # the next job of the attempt

    assert (replayed.status, replayed.amount_captured) == (GatewayStatus.CAPTURED, 1200)
    assert [(e["type"], e["idempotency_key"]) for e in sandbox.ledger()] == [
        ("capture", f"{request.idempotency_key}:capture")
    ]


class CapturedMeanwhile(requests.adapters.HTTPAdapter):
    """Answers the worker's read of the order only after ``other`` (another job of the attempt) ran:
    the worker then acts on a stale APPROVED order."""

    def __init__(self, other):
        super().__init__()
        self.other, self.exchanges = other, []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        if request.method == "GET" and self.other:
            self.other()
            self.other = None
        self.exchanges.append((request.method, request.path_url, response.status_code))
        return response


def test_a_stale_read_replays_the_capture(sandbox, wallet, buyer):
    request = wallet(amount=900)
    reference = _approved(sandbox.gateway(), buyer, request)
    late = sandbox.gateway()
    adapter = CapturedMeanwhile(lambda: sandbox.gateway().retrieve(request, reference))
    late.session.mount("http://", adapter)

    completed = late.retrieve(request, reference)

    assert (completed.status, completed.amount_captured) == (GatewayStatus.CAPTURED, 900)
    assert ("POST", f"/v2/checkout/orders/{reference}/capture", 200) in adapter.exchanges  # PayPal's replay
    assert len(sandbox.ledger("capture")) == 1


class DeclineCaptures(requests.adapters.HTTPAdapter):
    """Asks PayPal's negative testing to decline the order capture: the buyer's funding failed."""

    def send(self, request, **kwargs):
        if request.path_url.endswith("/capture"):
            request.headers["PayPal-Mock-Response"] = json.dumps(
                {"mock_application_codes": "INSTRUMENT_DECLINED"}
            )
        return super().send(request, **kwargs)


def test_a_declined_capture_is_a_decline(sandbox, wallet, buyer):
    request = wallet()
    reference = _approved(sandbox.gateway(), buyer, request)
    declining = sandbox.gateway()
    declining.session.mount("http://", DeclineCaptures())

    with pytest.raises(SoftDeclineError) as exc:
        declining.retrieve(request, reference)

    assert (exc.value.code, exc.value.vendor_code) == ("generic_decline", "INSTRUMENT_DECLINED")
    assert sandbox.ledger() == []


def test_canceled_approval_still_waits(gateway, sandbox, wallet, buyer):
    request = wallet()
    waiting = gateway.charge(request)

    location = buyer.answer(waiting.action_url, "cancel")

    assert location == f"{RETURN_URL}?canceled=1&token={waiting.reference}"
    assert gateway.retrieve(request, waiting.reference).status is GatewayStatus.REQUIRES_ACTION
    with pytest.raises(UnsupportedOperation) as exc:  # the sweeper's void when the buyer never comes back
        gateway.void(waiting.reference, f"void-{waiting.reference}")
    assert exc.value.code == "not_voidable"
    assert sandbox.ledger() == []


def test_authorize_intent_authorizes_then_captures(gateway, sandbox, wallet, buyer):
    request = wallet(amount=3000, capture=False)
    reference = _approved(gateway, buyer, request)

    authorized = gateway.retrieve(request, reference)
    captured = gateway.capture(reference, 2000, "USD", f"cap-{reference}")

    assert (authorized.status, authorized.amount, authorized.amount_captured) == (
        GatewayStatus.AUTHORIZED,
        3000,
        0,
    )
    assert (captured.status, captured.amount_captured) == (GatewayStatus.CAPTURED, 2000)
    assert [(e["type"], e["amount"], e["idempotency_key"]) for e in sandbox.ledger()] == [
        ("authorization", 3000, f"{request.idempotency_key}:authorize"),
        ("capture", 2000, f"cap-{reference}"),
    ]


def test_wallet_payment_without_a_buyer_is_refused(gateway, sandbox, wallet):
    with pytest.raises(InvalidRequestError) as exc:
        gateway.charge(wallet(return_url=None))

    assert exc.value.code == "return_url_required"
