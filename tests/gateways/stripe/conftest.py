"""The Stripe adapter against a real Stripe sandbox subprocess, reset around each test."""

import datetime
import uuid

import pytest
import requests

from gateways.base import PaymentRequest
from gateways.stripe import StripeGateway
from shared.cards import Card

API_KEY = "sk_test_paywave_adapter_tests"
VISA = "4242424242424242"


@pytest.fixture(scope="session")
def stripe_url(start_sandbox):
    return start_sandbox("stripe")


@pytest.fixture
def sandbox(stripe_url):
    """The sandbox's base URL; faults and ledger empty at the start, faults reset at the end."""
    requests.delete(stripe_url + "/_sandbox/faults").raise_for_status()
    requests.delete(stripe_url + "/_sandbox/ledger").raise_for_status()
    yield stripe_url
    requests.delete(stripe_url + "/_sandbox/faults").raise_for_status()


@pytest.fixture
def api_key():
    return API_KEY


@pytest.fixture
def make_gateway(sandbox):
    """``make_gateway(**options)``: a StripeGateway on the sandbox unless ``api_base`` is given."""

    def make(**options):
        return StripeGateway(API_KEY, **{"api_base": sandbox, **options})

    return make


@pytest.fixture
def gateway(make_gateway):
    return make_gateway()


@pytest.fixture
def faults(sandbox):
    """``faults(error_rate=1, ...)`` sets the sandbox's faults."""

    def set_faults(**values):
        requests.post(sandbox + "/_sandbox/faults", json=values).raise_for_status()

    return set_faults


@pytest.fixture
def ledger(sandbox):
    """``ledger(payment_id)`` -> that payment's ledger entries, oldest first."""

    def entries(payment_id):
        data = requests.get(sandbox + "/_sandbox/ledger").json()["data"]
        return [e for e in data if e["payment_id"] == payment_id]

    return entries


def make_request(number=VISA, *, capture=True, amount=1000, currency="USD", **kwargs):
    """A fresh payment attempt: new payment id, new idempotency key."""
    card = Card(number, 12, datetime.date.today().year + 3, "123")
    return PaymentRequest(
        payment_id=f"pay_{uuid.uuid4().hex[:12]}",
        amount=amount,
        currency=currency,
        card=card,
        capture=capture,
        idempotency_key=f"att_{uuid.uuid4().hex}",
        **kwargs,
    )


@pytest.fixture
def new_request():
    return make_request
