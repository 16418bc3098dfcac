"""The PayPal wallet through the whole flow: the ingress, the fleet, the PayPal sandbox's checkout page
pressed as a browser does (``tests.support.paypal.Buyer``), PayWave's return route, the sweeper's expiry.
The webhook alone (the buyer never returns) is in ``test_gateway_events``."""

import urllib.parse

import pytest

from shared import returns
from store.models import OutboxJob, Payment
from tests.support.paypal import Buyer
from tests.support.sandbox import wait_status
from tests.workers.test_customer_actions import SHOP, charges, events, expire, follow, waiting
from workers.actors.process import process_payment


def pay(api, auth, amount=3100, **extra):
    body = {
        "amount": amount,
        "currency": "USD",
        "return_url": SHOP,
        "payment_method": {"type": "paypal"},
        **extra,
    }
    resp = api.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json["id"]


def checkout_page(api, auth, pid, paypal):
    """The payment once it waits for the buyer: the sandbox's checkout page it sends them to."""
    action = waiting(api, auth, pid)["next_action"]
    assert action["type"] == "redirect_to_url" and action["redirect_to_url"]["return_url"] == SHOP
    url = action["redirect_to_url"]["url"]
    assert url.startswith(paypal.base + "/checkoutnow?token=")
    return url


def ledger(paypal, pid):
    return [(e["type"], e["amount"]) for e in paypal.ledger(pid)]


def test_an_approved_order_is_captured_once_when_the_buyer_returns(api, auth, stripe, paypal, fleet):
    pid = pay(api, auth)
    page = checkout_page(api, auth, pid, paypal)
    assert charges(pid) == [("paypal", "charge", "requires_action", None)]
    assert events(pid, "payment.requires_action") == 1 and ledger(paypal, pid) == []
    assert Payment.get_by_id(pid).gateway_reference == urllib.parse.parse_qs(page.split("?")[1])["token"][0]

    back = Buyer().answer(page, "approve")

    assert back.startswith(returns.return_url(fleet.context.config, pid) + "&token=")
    resp = follow(api, back)
    assert (resp.status_code, resp.headers["Location"]) == (303, f"{SHOP}&payment_id={pid}")
    payment = wait_status(pid, ("succeeded",))
    assert (payment.amount_captured, payment.next_action, payment.gateway) == (3100, None, "paypal")
    assert charges(pid) == [("paypal", "charge", "succeeded", None)]
    assert ledger(paypal, pid) == [("capture", 3100)] and stripe.ledger(pid) == []

    # A second return, duplicate and late jobs: nothing happens twice.
    jobs_before = OutboxJob.select().where(OutboxJob.args.contains(pid)).count()
    assert follow(api, back).headers["Location"] == f"{SHOP}&payment_id={pid}"
    assert OutboxJob.select().where(OutboxJob.args.contains(pid)).count() == jobs_before
    for _ in range(2):
        process_payment(fleet.context, pid, "paypal")
    assert Payment.get_by_id(pid).version == payment.version
    assert events(pid, "payment.succeeded") == 1 and ledger(paypal, pid) == [("capture", 3100)]


def test_two_jobs_reading_an_approved_order_capture_it_once(api, auth, paypal, fleet):
    """A return and a webhook (or the sweeper) at once: both read the order while it is APPROVED, and
    both capture with the attempt's ``:capture`` request id; PayPal does it once."""
    pid = pay(api, auth, amount=1400)
    Buyer().answer(checkout_page(api, auth, pid, paypal), "approve")  # the browser is not followed
    process_payment(fleet.context, pid, "paypal")
    process_payment(fleet.context, pid, "paypal")
    assert Payment.get_by_id(pid).status == "succeeded"
    assert ledger(paypal, pid) == [("capture", 1400)] and events(pid, "payment.succeeded") == 1


def test_a_canceled_approval_waits_then_expires_without_a_void(api, auth, paypal, fleet):
    pid = pay(api, auth, amount=1500)
    page = checkout_page(api, auth, pid, paypal)

    back = Buyer().answer(page, "cancel")

    assert "canceled=1" in back and back.startswith(returns.return_url(fleet.context.config, pid))
    resp = follow(api, back)  # the cancel_url is our return route too: the browser just goes on
    assert (resp.status_code, resp.headers["Location"]) == (303, f"{SHOP}&payment_id={pid}")
    process_payment(fleet.context, pid, "paypal")
    payment = Payment.get_by_id(pid)
    assert (payment.status, payment.next_action["redirect_to_url"]["url"]) == ("requires_action", page)
    assert Buyer().open(page)  # the buyer may try again

    expire(pid)
    process_payment(fleet.context, pid, "paypal")

    payment = Payment.get_by_id(pid)
    assert (payment.status, payment.failure_code, payment.next_action) == ("canceled", "action_expired", None)
    # PayPal voids no unapproved order (it lapses there): the refused void is recorded, the payment canceled.
    assert [a[1:] for a in charges(pid)] == [
        ("charge", "declined", "action_expired"),
        ("void", "error", "not_voidable"),
    ]
    assert events(pid, "payment.canceled") == 1 and ledger(paypal, pid) == []
    # The buyer approving after the expiry moves no money: the payment is no longer read.
    Buyer().answer(page, "approve")
    process_payment(fleet.context, pid, "paypal")
    assert Payment.get_by_id(pid).status == "canceled" and ledger(paypal, pid) == []


@pytest.mark.parametrize("via_return", [True, False], ids=["return", "sweeper"])
def test_a_manual_capture_order_is_authorized_then_captured_once(api, auth, paypal, fleet, via_return):
    pid = pay(api, auth, amount=2600, capture="manual")
    back = Buyer().answer(checkout_page(api, auth, pid, paypal), "approve")
    if via_return:
        follow(api, back)
    else:
        process_payment(fleet.context, pid, "paypal")  # the sweeper's re-read: the same job
    payment = wait_status(pid, ("requires_capture",))
    assert charges(pid) == [("paypal", "authorize", "succeeded", None)]
    assert ledger(paypal, pid) == [("authorization", 2600)]

    for _ in range(2):
        resp = api.simulate_post(f"/payments/{pid}/capture", json={}, headers=auth)
    assert resp.status_code in (202, 409)

    payment = wait_status(pid, ("succeeded",))
    assert payment.amount_captured == 2600
    assert ledger(paypal, pid) == [("authorization", 2600), ("capture", 2600)]
    process_payment(fleet.context, pid, "paypal")  # a late job
    assert ledger(paypal, pid) == [("authorization", 2600), ("capture", 2600)]


def test_the_merchant_cancels_a_waiting_order_here_as_paypal_voids_none(api, auth, paypal):
    pid = pay(api, auth, amount=1800)
    page = checkout_page(api, auth, pid, paypal)

    assert api.simulate_post(f"/payments/{pid}/cancel", headers=auth).status_code == 202

    payment = wait_status(pid, ("canceled",))
    assert (payment.failure_code, payment.pending_operation) == (None, None)
    assert [a[1:] for a in charges(pid)] == [
        ("charge", "declined", "canceled"),
        ("void", "error", "not_voidable"),
    ]
    assert events(pid, "payment.canceled") == 1
    Buyer().answer(page, "approve")  # too late: nobody captures the order, PayPal lets it lapse
    assert wait_status(pid, ("canceled",)) and ledger(paypal, pid) == []
