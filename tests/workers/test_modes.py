"""A test payment moves money only through the gateways' test credentials, a live one only through the
live ones: the sandboxes record which credential each movement used."""

import time

import pytest

from tests.support.api import pay
from tests.support.sandbox import wait_status


def credentials(config):
    """``{livemode: {gateway: what the sandbox records}}``: a Stripe key's last four, a PayPal client id."""
    return {
        live: {"stripe": mode.stripe_api_key[-4:], "paypal": mode.paypal_client_id}
        for live, mode in ((True, config), (False, config.for_mode(False)))
    }


def refunded(sandbox, payment_id, timeout=15.0):
    """The payment's movements at the sandbox, once they include its refund."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entries = sandbox.ledger(payment_id)
        if any(e["type"] == "refund" for e in entries):
            return entries
        time.sleep(0.05)
    raise AssertionError(f"no refund of {payment_id} at the sandbox after {timeout}s")


@pytest.mark.parametrize("gateway", ["stripe", "paypal"])
def test_each_mode_moves_money_with_its_own_credentials_only(
    api, mint, merchant, worker_config, gateway, request
):
    sandbox = request.getfixturevalue(gateway)
    used = credentials(worker_config)
    assert used[True][gateway] != used[False][gateway]  # else this test could not tell them apart
    for live in (False, True):
        auth = {"Authorization": f"Bearer {mint(merchant, livemode=live)}"}
        pid = pay(api, auth, gateway=gateway, amount=1500)
        payment = wait_status(pid)
        assert (payment.status, payment.gateway, payment.livemode) == ("succeeded", gateway, live)
        refund = api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 500}, headers=auth)
        assert refund.status_code == 202 and refund.json["livemode"] is live
        entries = refunded(sandbox, pid)
        assert sandbox.captured(pid) == 1000
        assert {e["credential"] for e in entries} == {used[live][gateway]}
