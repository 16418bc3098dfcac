"""The status table and the error table, on inputs the sandbox does not produce."""

import email.utils
import time
import typing

import pytest
import stripe
from requests.structures import CaseInsensitiveDict

from gateways.base import CardFacts, GatewayStatus
from gateways.errors import (
    HardDeclineError,
    InvalidRequestError,
    RetryableError,
    SoftDeclineError,
    UnknownOutcomeError,
)
from gateways.stripe.errors import from_stripe
from gateways.stripe.transformers import PAYMENT_INTENT_STATUS, to_card_facts, to_payment, to_refund


def intent(status, **fields):
    return {
        "id": "pi_1",
        "object": "payment_intent",
        "status": status,
        "amount": 900,
        "amount_received": 0,
        "currency": "gbp",
        **fields,
    }


def test_status_table_covers_every_payment_intent_status_the_sdk_knows():
    literal, _ = typing.get_args(stripe.PaymentIntent.__annotations__["status"])
    assert set(PAYMENT_INTENT_STATUS) == set(typing.get_args(literal))


@pytest.mark.parametrize(
    "status, ours",
    [
        ("succeeded", GatewayStatus.CAPTURED),
        ("requires_capture", GatewayStatus.AUTHORIZED),
        ("processing", GatewayStatus.PROCESSING),
        ("requires_action", GatewayStatus.REQUIRES_ACTION),
        ("canceled", GatewayStatus.CANCELED),
    ],
)
def test_payment_intent_statuses(status, ours):
    payment = to_payment(intent(status, amount_received=400))
    assert (
        payment.status,
        payment.vendor_status,
        payment.amount,
        payment.amount_captured,
        payment.currency,
    ) == (ours, status, 900, 400, "GBP")


@pytest.mark.parametrize(
    "last_error, error, code",
    [
        (
            {"code": "card_declined", "decline_code": "insufficient_funds"},
            SoftDeclineError,
            "insufficient_funds",
        ),
        (
            {"code": "card_declined", "decline_code": "generic_decline", "advice_code": "do_not_try_again"},
            HardDeclineError,
            "generic_decline",
        ),
        (
            {"code": "card_declined", "decline_code": "lost_card", "advice_code": "try_again_later"},
            SoftDeclineError,
            "lost_card",
        ),
        (None, SoftDeclineError, "card_declined"),
    ],
)
def test_declined_intent_raises_its_last_payment_error(last_error, error, code):
    with pytest.raises(error) as declined:
        to_payment(intent("requires_payment_method", last_payment_error=last_error))
    assert type(declined.value) is error and declined.value.code == code


def test_unconfirmed_and_unknown_statuses():
    with pytest.raises(InvalidRequestError):
        to_payment(intent("requires_confirmation"))
    with pytest.raises(UnknownOutcomeError):
        to_payment(intent("requires_reauthorization"))


def test_refund_statuses():
    refund = {"id": "re_1", "object": "refund", "amount": 5, "currency": "usd"}
    assert to_refund({**refund, "status": "succeeded"}).succeeded is True
    assert to_refund({**refund, "status": "pending"}).succeeded is False
    with pytest.raises(HardDeclineError) as failed:
        to_refund({**refund, "status": "failed", "failure_reason": "expired_or_canceled_card"})
    assert failed.value.code == "expired_or_canceled_card"


def api_error(status, headers=None, cls=stripe.APIError):
    return cls("boom", b"{}", status, {"error": {"message": "boom"}}, CaseInsensitiveDict(headers or {}))


@pytest.mark.parametrize(
    "exc, error, code",
    [
        (api_error(500), RetryableError, "gateway_error"),
        (api_error(500, {"Stripe-Should-Retry": "false"}), UnknownOutcomeError, "gateway_error"),
        (api_error(409), RetryableError, "idempotency_key_in_use"),
        (api_error(200), UnknownOutcomeError, "unreadable_response"),
        (api_error(403, cls=stripe.PermissionError), InvalidRequestError, "permission_denied"),
        (stripe.StripeError("new in some SDK"), UnknownOutcomeError, "unclassified_error"),
    ],
)
def test_api_errors(exc, error, code):
    mapped = from_stripe(exc)
    assert (type(mapped), mapped.code, mapped.gateway) == (error, code, "stripe")


def test_retry_after_as_an_http_date():
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    mapped = from_stripe(api_error(429, {"Retry-After": later}, cls=stripe.RateLimitError))
    assert type(mapped) is RetryableError and 28 <= mapped.retry_after <= 30


def test_card_facts_need_an_expanded_charge_with_card_details():
    charge = {
        "id": "ch_1",
        "payment_method_details": {"type": "card", "card": {"country": "fr", "funding": "debit"}},
    }
    assert to_card_facts(intent("succeeded", latest_charge=charge)) == CardFacts("FR", "debit")
    assert to_card_facts(intent("succeeded", latest_charge="ch_1")) is None  # not expanded
    assert to_card_facts(intent("requires_payment_method", latest_charge=None)) is None
    no_card = {**charge, "payment_method_details": {"type": "sepa_debit"}}
    assert to_card_facts(intent("succeeded", latest_charge=no_card)) is None
