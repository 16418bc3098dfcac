"""PayPal's failures → our taxonomy, for the answers the sandbox never gives."""

import email.utils
import json
import time

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from gateways.errors import (
    HARD_DECLINE_CODES,
    HardDeclineError,
    InvalidRequestError,
    RetryableError,
    SoftDeclineError,
    UnknownOutcomeError,
    UnsupportedOperation,
    retry_after_seconds,
)
from gateways.paypal import errors


def _response(status, body=None, headers=None):
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    response.headers.update(headers or {})
    return response


def _paypal(status, issue, **detail):
    return _response(
        status,
        {
            "name": "UNPROCESSABLE_ENTITY",
            "message": "...",
            "debug_id": "d1",
            "details": [{"issue": issue, **detail}],
        },
    )


@pytest.mark.parametrize(
    "response_code, cls, code",
    [
        ("0500", SoftDeclineError, "do_not_honor"),
        ("5100", SoftDeclineError, "generic_decline"),
        ("5120", SoftDeclineError, "insufficient_funds"),
        ("9100", SoftDeclineError, "processing_error"),
        ("5400", HardDeclineError, "expired_card"),
        ("9500", HardDeclineError, "fraudulent"),
        ("9520", HardDeclineError, "stolen_card"),
        ("5110", HardDeclineError, "incorrect_cvc"),
        ("00N7", HardDeclineError, "incorrect_cvc"),
        ("1330", HardDeclineError, "invalid_account"),
        ("5180", HardDeclineError, "restricted_card"),
        ("PPRN", HardDeclineError, "do_not_try_again"),
        ("ZZZZ", SoftDeclineError, "generic_decline"),
        (None, SoftDeclineError, "generic_decline"),
    ],
)
def test_issuer_response_codes(response_code, cls, code):
    error = errors.declined({"status": "DECLINED", "processor_response": {"response_code": response_code}})

    assert type(error) is cls
    assert (error.code, error.vendor_code, error.gateway) == (code, response_code or "DECLINED", "paypal")


def test_every_final_issuer_answer_is_hard():
    final = {"0390", "1330", "5140", "5150", "5180", "5400", "9500", "9510", "9520", "PPRN"}

    assert {c for c, ours in errors.RESPONSE_CODES.items() if ours in HARD_DECLINE_CODES} >= final


@pytest.mark.parametrize(
    "status, issue, cls, code",
    [
        (422, "INSTRUMENT_DECLINED", SoftDeclineError, "generic_decline"),
        (422, "TRANSACTION_REFUSED", SoftDeclineError, "transaction_refused"),
        (422, "PAYER_ACTION_REQUIRED", SoftDeclineError, "authentication_required"),
        (422, "CARD_EXPIRED", HardDeclineError, "expired_card"),
        (422, "ORDER_ALREADY_COMPLETED", UnsupportedOperation, "order_completed"),
        (409, "PREVIOUS_REQUEST_IN_PROGRESS", RetryableError, "request_in_progress"),
        (422, "DUPLICATE_INVOICE_ID", InvalidRequestError, "unprocessable_entity"),
        (422, "SOMETHING_NEW", InvalidRequestError, "unprocessable_entity"),
        (400, "MISSING_REQUIRED_PARAMETER", InvalidRequestError, "invalid_request"),
        (403, "PERMISSION_DENIED", InvalidRequestError, "permission_denied"),
    ],
)
def test_issues(status, issue, cls, code):
    error = errors.from_response(_paypal(status, issue, description="why"))

    assert type(error) is cls
    assert (error.code, error.vendor_code) == (code, issue)
    assert issue in error.message


@pytest.mark.parametrize(
    "status, body, retry_after",
    [
        (500, {"name": "INTERNAL_SERVER_ERROR"}, None),
        (502, b"<html>bad gateway</html>", None),
        (503, {"name": "SERVICE_UNAVAILABLE"}, "2"),
        (429, {"name": "RATE_LIMIT_REACHED"}, "7"),
    ],
)
def test_server_trouble_is_retryable(status, body, retry_after):
    headers = {"Retry-After": retry_after} if retry_after else {}

    error = errors.from_response(_response(status, body, headers))

    assert type(error) is RetryableError
    assert error.retry_after == (float(retry_after) if retry_after else None)


def test_retry_after_as_a_date():
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)

    assert 55 < retry_after_seconds(in_a_minute) <= 60
    assert retry_after_seconds("soon") is None


def test_oauth_errors():
    error = errors.from_response(
        _response(401, {"error": "invalid_client", "error_description": "Client failed"})
    )

    assert (type(error), error.code, error.vendor_code) == (
        InvalidRequestError,
        "gateway_credentials_rejected",
        "invalid_client",
    )


def test_echoed_values_stay_out_of_messages():
    error = errors.from_response(
        _paypal(
            400,
            "INVALID_PARAMETER_SYNTAX",
            field="/payment_source/card/number",
            value="4111111111111111",
            description="bad",
        )
    )

    assert "4111111111111111" not in str(error) and "/payment_source/card/number" in str(error)


@pytest.mark.parametrize(
    "exc, safe, cls",
    [
        (
            requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused"))),
            False,
            RetryableError,
        ),
        (
            requests.ConnectTimeout(MaxRetryError(None, "/", NewConnectionError(None, "slow"))),
            False,
            RetryableError,
        ),
        (requests.ConnectionError(ProtocolError("Connection aborted.")), False, UnknownOutcomeError),
        (requests.ReadTimeout("read timed out"), False, UnknownOutcomeError),
        (requests.ReadTimeout("read timed out"), True, RetryableError),
        (requests.exceptions.InvalidURL("no"), False, InvalidRequestError),
    ],
)
def test_transport(exc, safe, cls):
    assert type(errors.from_transport(exc, safe=safe)) is cls
