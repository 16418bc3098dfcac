"""``PayPalGateway`` against the PayPal sandbox, over real HTTP."""

import dataclasses
import time

import pytest
import requests

from gateways.base import GatewayStatus
from gateways.errors import (
    HardDeclineError,
    InvalidRequestError,
    RetryableError,
    SoftDeclineError,
    UnknownOutcomeError,
    UnsupportedOperation,
)
from gateways.paypal import PayPalGateway
from shared.cache import MemoryCache
from shared.net import free_port

SOFT = [
    ("4000000000000002", "generic_decline", "5100"),
    ("4000000000009995", "insufficient_funds", "5120"),
    ("4000000000000119", "processing_error", "9100"),
]
HARD = [
    ("4000000000009987", "stolen_card", "9520"),  # lost: PayPal says LOST_OR_STOLEN
    ("4000000000009979", "stolen_card", "9520"),
    ("4000000000000069", "expired_card", "5400"),
    ("4000000000000127", "incorrect_cvc", "00N7"),
]


def test_charge_captures_once_with_our_ids(gateway, sandbox, payment):
    request = payment(amount=1050, description="Order 42")

    result = gateway.charge(request)

    assert (result.status, result.amount, result.amount_captured, result.currency) == (
        GatewayStatus.CAPTURED,
        1050,
        1050,
        "USD",
    )
    assert result.vendor_status == "capture:COMPLETED"
    [entry] = sandbox.ledger()
    assert entry["type"] == "capture" and entry["amount"] == 1050
    assert (entry["payment_id"], entry["idempotency_key"], entry["gateway_reference"]) == (
        request.payment_id,
        request.idempotency_key,
        result.reference,
    )


def test_authorize_then_capture_in_full(gateway, sandbox, payment):
    authorized = gateway.authorize(payment(amount=2000, capture=False))
    assert (authorized.status, authorized.amount_captured) == (GatewayStatus.AUTHORIZED, 0)

    captured = gateway.capture(authorized.reference, 2000, "USD", "cap-full-" + authorized.reference)

    assert (captured.status, captured.amount, captured.amount_captured) == (
        GatewayStatus.CAPTURED,
        2000,
        2000,
    )
    assert [(e["type"], e["amount"]) for e in sandbox.ledger()] == [
        ("authorization", 2000),
        ("capture", 2000),
    ]


def test_partial_capture_releases_the_rest(gateway, sandbox, payment):
    reference = gateway.authorize(payment(amount=2000, capture=False)).reference

    captured = gateway.capture(reference, 1500, "USD", "cap-part-" + reference)

    assert (captured.status, captured.amount, captured.amount_captured) == (
        GatewayStatus.CAPTURED,
        2000,
        1500,
    )
    with pytest.raises(InvalidRequestError) as second:
        gateway.capture(reference, 500, "USD", "cap-more-" + reference)
    assert second.value.code == "already_captured"
    assert [e["amount"] for e in sandbox.ledger("capture")] == [1500]


def test_capture_retried_with_its_key_moves_money_once(gateway, sandbox, payment):
    reference = gateway.authorize(payment(amount=900, capture=False)).reference

    first = gateway.capture(reference, 900, "USD", "cap-" + reference)
    again = gateway.capture(reference, 900, "USD", "cap-" + reference)

    assert first == again
    assert len(sandbox.ledger("capture")) == 1


def test_capture_above_the_authorization_is_refused_before_paypal(gateway, sandbox, payment):
    reference = gateway.authorize(payment(amount=1000, capture=False)).reference

    with pytest.raises(InvalidRequestError) as exc:
        gateway.capture(reference, 1001, "USD", "cap-over-" + reference)

    assert exc.value.code == "amount_too_large"
    assert sandbox.ledger("capture") == []


def test_capture_of_a_charge_is_invalid(gateway, payment):
    reference = gateway.charge(payment()).reference

    with pytest.raises(InvalidRequestError) as exc:
        gateway.capture(reference, 100, "USD", "cap-" + reference)

    assert exc.value.code == "no_authorization"


def test_void_cancels_the_authorization(gateway, sandbox, payment):
    reference = gateway.authorize(payment(amount=700, capture=False)).reference

    voided = gateway.void(reference, "void-" + reference)

    assert (voided.status, voided.amount_captured, voided.vendor_status) == (
        GatewayStatus.CANCELED,
        0,
        "authorization:VOIDED",
    )
    assert [(e["type"], e["amount"]) for e in sandbox.ledger("void")] == [("void", 700)]
    with pytest.raises(InvalidRequestError) as exc:
        gateway.capture(reference, 700, "USD", "cap-" + reference)
    assert exc.value.code == "authorization_voided"


def test_void_after_capture_is_refused(gateway, payment):
    reference = gateway.authorize(payment(capture=False)).reference
    gateway.capture(reference, 1050, "USD", "cap-" + reference)

    with pytest.raises(InvalidRequestError) as exc:
        gateway.void(reference, "void-" + reference)

    assert exc.value.code == "already_captured"


def test_refund_partial_then_the_rest(gateway, sandbox, payment):
    reference = gateway.charge(payment(amount=1000)).reference

    first = gateway.refund(reference, 300, "USD", "ref-1-" + reference, "pay_x")
    rest = gateway.refund(reference, 700, "USD", "ref-2-" + reference, "pay_x")

    assert (first.amount, first.succeeded, first.vendor_status) == (300, True, "COMPLETED")
    assert (rest.amount, rest.currency) == (700, "USD")
    assert [(e["amount"], e["payment_id"]) for e in sandbox.ledger("refund")] == [
        (300, "pay_x"),
        (700, "pay_x"),
    ]
    assert (
        gateway.retrieve(None, reference).status == GatewayStatus.CAPTURED
    )  # refunds never change the status


def test_over_refund_is_refused(gateway, sandbox, payment):
    reference = gateway.charge(payment(amount=1000)).reference
    gateway.refund(reference, 600, "USD", "ref-1-" + reference, "pay_x")

    with pytest.raises(InvalidRequestError) as exc:
        gateway.refund(reference, 401, "USD", "ref-2-" + reference, "pay_x")

    assert (exc.value.code, exc.value.vendor_code) == ("amount_too_large", "REFUND_AMOUNT_EXCEEDED")
    assert [e["amount"] for e in sandbox.ledger("refund")] == [600]


def test_refund_retried_with_its_key_refunds_once(gateway, sandbox, payment):
    reference = gateway.charge(payment(amount=1000)).reference

    first = gateway.refund(reference, 1000, "USD", "ref-" + reference, "pay_x")
    again = gateway.refund(reference, 1000, "USD", "ref-" + reference, "pay_x")

    assert first == again
    assert len(sandbox.ledger("refund")) == 1


def test_retrieve_by_reference_and_by_replay(gateway, sandbox, payment):
    request = payment(capture=False)
    authorized = gateway.authorize(request)

    assert gateway.retrieve(request, authorized.reference) == authorized
    assert gateway.retrieve(request, None) == authorized
    assert len(sandbox.ledger()) == 1


def test_replayed_request_id_gives_one_ledger_entry(gateway, sandbox, payment):
    request = payment()

    results = {gateway.charge(request) for _ in range(3)}

    assert len(results) == 1
    assert len(sandbox.ledger()) == 1


def test_update_of_a_completed_order_is_unsupported(gateway, payment):
    reference = gateway.charge(payment()).reference

    with pytest.raises(UnsupportedOperation) as exc:
        gateway.update(reference, "new description", {"order": "42"}, "upd-" + reference)

    assert exc.value.vendor_code == "ORDER_ALREADY_COMPLETED"


def test_update_sets_then_replaces_the_description(gateway, sandbox):
    token = requests.post(
        sandbox.url + "/v1/oauth2/token",
        auth=("id", "secret"),
        data={"grant_type": "client_credentials"},
        timeout=5,
    ).json()["access_token"]
    created = requests.post(
        sandbox.url + "/v2/checkout/orders",
        headers={"Authorization": f"Bearer {token}"},
        json={"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD", "value": "5.00"}}]},
        timeout=5,
    ).json()
    reference = created["id"]

    gateway.update(reference, "first", {}, "upd-1")  # an "add": there was no description
    gateway.update(reference, "second", {}, "upd-2")  # a "replace"
    gateway.update(reference, None, {}, "upd-3")  # nothing to change

    order = gateway.session.get(
        f"{sandbox.url}/v2/checkout/orders/{reference}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()
    assert order["purchase_units"][0]["description"] == "second"
    waiting = gateway.retrieve(None, reference)  # CREATED: waits for a payer on its approve link
    assert (waiting.status, waiting.action_url) == (
        GatewayStatus.REQUIRES_ACTION,
        f"{sandbox.url}/checkoutnow?token={reference}",
    )


@pytest.mark.parametrize("capture", [True, False], ids=["charge", "authorize"])
@pytest.mark.parametrize("number, code, response_code", SOFT, ids=[c for _, c, _ in SOFT])
def test_soft_declines(gateway, sandbox, payment, capture, number, code, response_code):
    request = payment(number=number, capture=capture)

    with pytest.raises(SoftDeclineError) as exc:
        gateway.execute(request)

    assert (exc.value.code, exc.value.vendor_code, exc.value.gateway) == (code, response_code, "paypal")
    with pytest.raises(SoftDeclineError):
        gateway.retrieve(request, None)  # the replay tells the same
    assert sandbox.ledger() == []


@pytest.mark.parametrize("capture", [True, False], ids=["charge", "authorize"])
@pytest.mark.parametrize("number, code, response_code", HARD, ids=[n for n, _, _ in HARD])
def test_hard_declines(gateway, sandbox, payment, capture, number, code, response_code):
    with pytest.raises(HardDeclineError) as exc:
        gateway.execute(payment(number=number, capture=capture))

    assert (exc.value.code, exc.value.vendor_code) == (code, response_code)
    assert sandbox.ledger() == []


def test_expired_card_date_is_a_hard_decline(gateway, sandbox, payment):
    with pytest.raises(HardDeclineError) as exc:
        gateway.charge(payment(exp=(1, 2020)))

    assert (exc.value.code, exc.value.vendor_code) == ("expired_card", "CARD_EXPIRED")
    assert sandbox.ledger() == []


@pytest.mark.parametrize(
    "amount, currency, value",
    [(1050, "JPY", 1050), (1000, "HUF", 1000), (123456789012345, "USD", 123456789012345), (1, "EUR", 1)],
)
def test_amounts_cross_exactly(gateway, sandbox, payment, amount, currency, value):
    result = gateway.charge(payment(amount=amount, currency=currency))

    assert (result.amount, result.amount_captured, result.currency) == (value, value, currency)
    assert [(e["amount"], e["currency"]) for e in sandbox.ledger()] == [(value, currency)]


@pytest.mark.parametrize(
    "amount, currency, code",
    [(1234, "KWD", "unsupported_currency"), (1050, "HUF", "invalid_amount"), (10.5, "USD", "invalid_amount")],
)
def test_amounts_paypal_cannot_carry_are_refused_before_sending(
    gateway, sandbox, payment, amount, currency, code
):
    with pytest.raises(InvalidRequestError) as exc:
        gateway.charge(payment(amount=amount, currency=currency))

    assert exc.value.code == code
    assert sandbox.ledger() == []


def test_request_paypal_rejects_is_invalid(gateway, sandbox, payment):
    request = dataclasses.replace(payment(), payment_id="p" * 200)  # custom_id holds 127

    with pytest.raises(InvalidRequestError) as exc:
        gateway.charge(request)

    assert (exc.value.code, exc.value.vendor_code) == ("invalid_request", "INVALID_STRING_LENGTH")


def test_unknown_reference_is_invalid(gateway):
    with pytest.raises(InvalidRequestError) as exc:
        gateway.retrieve(None, "NOSUCHORDER00000")

    assert (exc.value.code, exc.value.vendor_code) == ("resource_not_found", "INVALID_RESOURCE_ID")


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable_and_move_no_money(gateway, sandbox, payment, status):
    request = payment()
    _warm(gateway, sandbox, payment)
    sandbox.faults(error_rate=1, error_status=status)

    with pytest.raises(RetryableError) as exc:
        gateway.charge(request)

    assert exc.value.code == "gateway_unavailable"
    assert sandbox.ledger() == []
    sandbox.reset()
    assert gateway.charge(request).status == GatewayStatus.CAPTURED  # the same key, once the gateway is back
    assert len(sandbox.ledger()) == 1


def test_rate_limit_is_retryable_after_the_given_delay(gateway, sandbox, payment):
    _warm(gateway, sandbox, payment)
    sandbox.faults(error_rate=1, error_status=429)

    with pytest.raises(RetryableError) as exc:
        gateway.charge(payment())

    assert (exc.value.code, exc.value.vendor_code, exc.value.retry_after) == (
        "rate_limited",
        "RATE_LIMIT_REACHED",
        1.0,
    )


def test_connection_refused_is_retryable(payment):
    closed = PayPalGateway(
        f"http://127.0.0.1:{free_port()}", "paywave-test", "s3cret"
    )  # nobody listens there

    with pytest.raises(RetryableError):
        closed.charge(payment())


def test_dropped_answer_is_unknown_until_retrieved(gateway, sandbox, payment):
    request = payment(amount=4200)
    _warm(gateway, sandbox, payment)
    sandbox.faults(drop_response_rate=1)

    with pytest.raises(UnknownOutcomeError):
        gateway.charge(request)

    sandbox.faults(drop_response_rate=0)
    found = gateway.retrieve(request, None)
    assert (found.status, found.amount_captured) == (GatewayStatus.CAPTURED, 4200)
    assert [(e["amount"], e["idempotency_key"]) for e in sandbox.ledger("capture")] == [
        (4200, request.idempotency_key)
    ]


def test_read_timeout_is_unknown_until_retrieved(sandbox, payment):
    gateway = sandbox.gateway(read_timeout=0.5)
    request = payment(amount=4300)
    _warm(gateway, sandbox, payment)
    sandbox.faults(timeout_rate=1, timeout_ms=1500)

    with pytest.raises(UnknownOutcomeError):
        gateway.charge(request)

    sandbox.faults(timeout_rate=0)
    assert gateway.retrieve(request, None).amount_captured == 4300
    assert len(sandbox.ledger("capture")) == 1


def test_read_timeout_of_a_lookup_is_retryable(sandbox, payment):
    gateway = sandbox.gateway(read_timeout=0.5)
    reference = gateway.charge(payment()).reference
    sandbox.faults(timeout_rate=1, timeout_ms=1500)

    with pytest.raises(RetryableError):
        gateway.retrieve(None, reference)


def test_one_token_serves_many_calls(sandbox, payment):
    gateway, before = sandbox.gateway(), sandbox.tokens_issued()

    for _ in range(3):
        reference = gateway.authorize(payment(capture=False)).reference
        gateway.capture(reference, 1050, "USD", "cap-" + reference)
        gateway.refund(reference, 50, "USD", "ref-" + reference, "pay_x")

    assert sandbox.tokens_issued() - before == 1


def test_workers_share_the_token_through_the_store(sandbox, payment):
    store, before = MemoryCache(), sandbox.tokens_issued()

    for _ in range(3):
        sandbox.gateway(token_store=store).charge(payment())

    assert sandbox.tokens_issued() - before == 1


def test_revoked_token_is_refreshed_once(gateway, sandbox, payment):
    gateway.charge(payment())
    before = sandbox.tokens_issued()
    requests.delete(sandbox.url + "/_sandbox/oauth", timeout=5)

    assert gateway.charge(payment()).status == GatewayStatus.CAPTURED
    assert sandbox.tokens_issued() - before == 1


def test_expired_token_is_renewed(sandbox, payment):
    requests.post(sandbox.url + "/_sandbox/oauth", json={"expires_in": 1}, timeout=5)
    try:
        gateway, before = sandbox.gateway(), sandbox.tokens_issued()
        gateway.charge(payment())
        time.sleep(1.1)
        gateway.charge(payment())
        assert sandbox.tokens_issued() - before == 2
    finally:
        requests.post(sandbox.url + "/_sandbox/oauth", json={"expires_in": 32400}, timeout=5)


def test_bad_credentials_are_invalid(sandbox, payment):
    gateway = PayPalGateway(sandbox.url, "paywave-test", "")

    with pytest.raises(InvalidRequestError) as exc:
        gateway.charge(payment())

    assert (exc.value.code, exc.value.vendor_code) == ("gateway_credentials_rejected", "invalid_client")


def test_card_data_never_reaches_an_error(sandbox, payment):
    gateway, raised = sandbox.gateway(read_timeout=0.5), []
    requests_to_fail = [
        payment(number="4000000000009987", cvc="987"),
        payment(number="4242424242424241", cvc="987"),
        payment(number="42424242424242424242", cvc="987"),
        payment(cvc="98a7"),
    ]
    for request in requests_to_fail:
        with pytest.raises(Exception) as exc:
            gateway.charge(request)
        raised.append((request.card, exc.value))
    timed_out = payment(cvc="987")
    sandbox.faults(timeout_rate=1, timeout_ms=1000)
    with pytest.raises(UnknownOutcomeError) as exc:
        gateway.charge(timed_out)
    raised.append((timed_out.card, exc.value))

    for card, error in raised:
        for text in (str(error), repr(error), error.message):
            assert card.number not in text and card.cvc not in text, text
        assert error.__cause__ is None and error.__context__ is None  # nothing chained holds the request


def _warm(gateway, sandbox, payment):
    """Get the gateway its token, so that a fault set next hits the call under test."""
    gateway.charge(payment())
    sandbox.reset()


def test_proxy_from_the_environment_at_construction(sandbox, payment, forward_proxy, proxy_environment):
    proxy_environment(forward_proxy.url)
    proxied = sandbox.gateway()
    proxy_environment(forward_proxy.url, no_proxy="127.0.0.1")
    direct = sandbox.gateway()
    proxy_environment(None)  # read at construction only: the calls below still honour it

    assert proxied.charge(payment()).status is GatewayStatus.CAPTURED
    assert direct.charge(payment()).status is GatewayStatus.CAPTURED

    assert forward_proxy.seen == [
        ("POST", sandbox.url + "/v1/oauth2/token"),
        ("POST", sandbox.url + "/v2/checkout/orders"),
    ]


def test_ca_bundle_from_the_environment_at_construction(monkeypatch, sandbox):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/paywave/curl-ca.pem")
    curl = sandbox.gateway()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/paywave/ca.pem")  # requests' own name comes first
    ours = sandbox.gateway()
    monkeypatch.delenv("CURL_CA_BUNDLE")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")

    assert (curl.session.verify, ours.session.verify, sandbox.gateway().session.verify) == (
        "/etc/paywave/curl-ca.pem",
        "/etc/paywave/ca.pem",
        True,
    )
