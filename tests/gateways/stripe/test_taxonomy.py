"""Every class of our error taxonomy, provoked for real through the Stripe sandbox."""

import logging
import traceback

import pytest
import stripe

from gateways.base import GatewayStatus
from gateways.errors import (
    HardDeclineError,
    InvalidRequestError,
    RetryableError,
    SoftDeclineError,
    UnknownOutcomeError,
)
from gateways.stripe import StripeGateway
from shared.net import free_port


def assert_no_card_data(exc, number):
    """Neither the error nor anything chained to it shows the card number."""
    text = "".join(traceback.format_exception(exc))
    for shown in (str(exc), repr(exc), text):
        assert number not in shown
    return text


@pytest.mark.parametrize(
    "number, error, code",
    [
        ("4000000000000002", SoftDeclineError, "generic_decline"),
        ("4000000000009995", SoftDeclineError, "insufficient_funds"),
        ("4000000000000119", SoftDeclineError, "processing_error"),
        ("4000000000000259", SoftDeclineError, "do_not_honor"),
        ("4000000000009987", HardDeclineError, "lost_card"),
        ("4000000000009979", HardDeclineError, "stolen_card"),
        ("4000000000000069", HardDeclineError, "expired_card"),
        ("4000000000000127", HardDeclineError, "incorrect_cvc"),
        ("4100000000000019", HardDeclineError, "fraudulent"),
        ("4242424242424241", HardDeclineError, "incorrect_number"),  # fails Luhn
    ],
)
def test_declines(gateway, new_request, ledger, number, error, code):
    request = new_request(number)

    with pytest.raises(error) as declined:
        gateway.charge(request)

    assert type(declined.value) is error
    assert (declined.value.code, declined.value.gateway) == (code, "stripe")
    assert_no_card_data(declined.value, number)
    assert ledger(request.payment_id) == []


@pytest.mark.parametrize(
    "changes, code, says",
    [
        ({"amount": 0}, "amount_too_small", "Amount must be"),
        ({"currency": "XYZ"}, "invalid_request", "Invalid currency: xyz"),
    ],
)
def test_invalid_request(gateway, new_request, ledger, changes, code, says):
    request = new_request(**changes)

    with pytest.raises(InvalidRequestError) as invalid:
        gateway.charge(request)

    assert invalid.value.code == code
    assert says in invalid.value.message
    assert ledger(request.payment_id) == []


def test_unknown_api_key_is_a_final_configuration_error(sandbox, new_request):
    with pytest.raises(InvalidRequestError) as refused:
        StripeGateway("sk_live_not_for_the_sandbox", api_base=sandbox).charge(new_request())
    assert refused.value.code == "gateway_credentials_rejected"


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_is_retryable(gateway, new_request, faults, ledger, status):
    request = new_request()
    faults(error_rate=1, error_status=status)

    with pytest.raises(RetryableError) as failed:
        gateway.charge(request)

    assert type(failed.value) is RetryableError
    assert failed.value.code == "gateway_error"
    assert ledger(request.payment_id) == []


def test_rate_limit_is_retryable_after_the_asked_delay(gateway, new_request, faults):
    faults(error_rate=1, error_status=429)

    with pytest.raises(RetryableError) as limited:
        gateway.charge(new_request())

    assert (limited.value.code, limited.value.retry_after) == ("rate_limited", 1)


def test_connection_refused_is_retryable(make_gateway, new_request):
    port = free_port()  # nobody listens there
    request = new_request()

    with pytest.raises(RetryableError) as refused:
        make_gateway(api_base=f"http://127.0.0.1:{port}", connect_timeout=1).charge(request)

    assert type(refused.value) is RetryableError
    assert refused.value.code == "gateway_unreachable"
    assert_no_card_data(refused.value, request.card.number)


def test_dropped_answer_is_unknown_then_replay_finds_one_charge(gateway, new_request, faults, ledger):
    request = new_request()
    faults(drop_response_rate=1)

    with pytest.raises(UnknownOutcomeError) as lost:
        gateway.charge(request)
    assert lost.value.code == "connection_lost"
    assert_no_card_data(lost.value, request.card.number)

    faults(drop_response_rate=0)
    payment = gateway.retrieve(request, None)
    assert payment.status is GatewayStatus.CAPTURED
    assert [e["type"] for e in ledger(request.payment_id)] == ["authorization", "capture"]


def test_read_timeout_is_unknown_then_replay_finds_one_charge(make_gateway, new_request, faults, ledger):
    request = new_request()
    impatient = make_gateway(read_timeout=0.2)
    faults(timeout_rate=1, timeout_ms=800)  # the sandbox does the work, then holds the answer

    with pytest.raises(UnknownOutcomeError) as timed_out:
        impatient.charge(request)
    assert timed_out.value.code == "gateway_timeout"
    assert_no_card_data(timed_out.value, request.card.number)

    faults(timeout_rate=0)
    payment = impatient.retrieve(request, None)
    assert (payment.status, payment.amount_captured) == (GatewayStatus.CAPTURED, 1000)
    assert [e["type"] for e in ledger(request.payment_id)] == ["authorization", "capture"]


def test_lost_answer_after_the_charge_resolves_to_that_charge(gateway, new_request, faults, ledger):
    """The capture went through, its answer was lost: retrieve sees it, the retry replays it."""
    request = new_request(capture=False)
    held = gateway.authorize(request)
    faults(drop_response_rate=1)

    with pytest.raises(UnknownOutcomeError):
        gateway.capture(held.reference, 1000, "USD", request.idempotency_key + ":cap")

    faults(drop_response_rate=0)
    assert gateway.retrieve(request, held.reference).status is GatewayStatus.CAPTURED
    again = gateway.capture(held.reference, 1000, "USD", request.idempotency_key + ":cap")
    assert again.amount_captured == 1000  # the retry is answered from the saved capture
    assert [e["type"] for e in ledger(request.payment_id)] == ["authorization", "capture"]


def test_sdk_debug_logs_never_carry_card_data(gateway, new_request, caplog):
    caplog.set_level(logging.DEBUG, logger="stripe")
    request = new_request()

    gateway.charge(request)

    assert "Request to Stripe api" in caplog.text  # the SDK did log at debug level
    assert request.card.number not in caplog.text and "card[cvc]" not in caplog.text


def test_refuses_to_run_where_the_sdk_prints_request_bodies(monkeypatch, make_gateway):
    monkeypatch.setattr(stripe, "log", "debug")
    with pytest.raises(ValueError):
        make_gateway()
