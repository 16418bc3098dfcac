"""3-D Secure through the Stripe adapter: with a customer present (``return_url``) a challenge is
REQUIRES_ACTION with the issuer's page; the customer's answer is read back by ``retrieve``; without one
it stays the old soft decline."""

import urllib.parse

import pytest
import requests

from gateways.base import GatewayStatus
from gateways.errors import SoftDeclineError

RETURN = "https://paywave.example/v1/actions/pay_x/return?sig=abc"


def answer_challenge(action_url, result):
    """The customer's browser on the sandbox's challenge page: GET it, press ``result``. Returns where the
    browser is sent (the 303's Location)."""
    assert requests.get(action_url, timeout=5).status_code == 200
    resp = requests.post(action_url, data={"result": result}, allow_redirects=False, timeout=5)
    assert resp.status_code == 303, resp.text
    return resp.headers["Location"]


@pytest.mark.parametrize("number", ["4000002500003155", "4000000000003220", "4000000000003063"])
def test_a_challenge_is_requires_action_then_succeeds_once_completed(gateway, new_request, ledger, number):
    request = new_request(number, return_url=RETURN)

    payment = gateway.charge(request)

    assert (payment.status, payment.amount_captured) == (GatewayStatus.REQUIRES_ACTION, 0)
    assert payment.action_url and payment.reference.startswith("pi_")
    assert gateway.retrieve(request, payment.reference) == payment  # still waiting: the same answer
    assert gateway.retrieve(request, None) == payment  # a replay of the call under its key, too
    assert ledger(request.payment_id) == []

    back = answer_challenge(payment.action_url, "complete")

    assert back.startswith(RETURN + "&payment_intent=" + payment.reference)
    done = gateway.retrieve(request, payment.reference)
    assert (done.status, done.amount_captured, done.action_url) == (GatewayStatus.CAPTURED, 1000, None)
    assert [e["type"] for e in ledger(request.payment_id)] == ["authorization", "capture"]


def test_a_completed_challenge_of_an_authorization_is_authorized(gateway, new_request, ledger):
    request = new_request("4000002500003155", capture=False, return_url=RETURN)
    payment = gateway.authorize(request)
    answer_challenge(payment.action_url, "complete")
    assert gateway.retrieve(request, payment.reference).status == GatewayStatus.AUTHORIZED
    assert [e["type"] for e in ledger(request.payment_id)] == ["authorization"]


@pytest.mark.parametrize(
    "number, result, code",
    [
        ("4000002500003155", "fail", "authentication_failed"),  # the customer failed the challenge
        ("4000008400001629", "complete", "generic_decline"),  # authenticated, then the issuer declined
    ],
)
def test_a_failed_challenge_or_a_decline_after_it_is_a_soft_decline(
    gateway, new_request, ledger, number, result, code
):
    request = new_request(number, return_url=RETURN)
    payment = gateway.charge(request)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(answer_challenge(payment.action_url, result)).query)
    assert query["redirect_status"] == ["failed"]
    with pytest.raises(SoftDeclineError) as declined:
        gateway.retrieve(request, payment.reference)
    assert declined.value.code == code
    assert ledger(request.payment_id) == []  # no money moved


def test_without_a_customer_a_challenge_is_a_soft_decline_as_before(gateway, new_request, ledger):
    request = new_request("4000002500003155")
    with pytest.raises(SoftDeclineError) as declined:
        gateway.charge(request)
    assert declined.value.code == "authentication_required"
    assert ledger(request.payment_id) == []
