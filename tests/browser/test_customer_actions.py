"""Customer actions in a real browser from the demo checkout: the 3-D Secure challenge completed or
failed, and a PayPal order approved or canceled on PayPal's page (the sandboxes serve both)."""

import re

import requests

PAYMENT_ID = re.compile(r"pay_[A-Za-z0-9]{24}")


def test_a_completed_3ds_challenge_succeeds(checkout):
    checkout.pay_with_card("4000 0025 0000 3155")
    checkout.act("Complete", screenshot="3ds-challenge.png")
    title, detail = checkout.status("succeeded")
    assert title == "Payment succeeded" and detail.startswith("49.00 USD · ") and PAYMENT_ID.search(detail)


def test_a_failed_3ds_challenge_fails(checkout):
    checkout.pay_with_card("4000 0025 0000 3155")
    checkout.act("Fail")
    title, detail = checkout.status("failed")
    assert title == "Payment failed"
    shown = requests.get(
        f"{checkout.stack.shop}/payments/{PAYMENT_ID.search(detail).group()}", timeout=10
    ).json()
    assert (shown["status"], shown["failure_code"]) == ("failed", "authentication_failed")


def test_an_approved_paypal_order_succeeds(checkout):
    checkout.pay_with_paypal()
    checkout.act("Pay Now", screenshot="paypal-approval.png")  # PAY_NOW: the buyer approves and pays
    title, detail = checkout.status("succeeded")
    assert title == "Payment succeeded" and PAYMENT_ID.search(detail)


def test_a_canceled_paypal_approval_still_waits_for_the_buyer_who_may_try_again(checkout):
    checkout.pay_with_paypal()
    checkout.act("Cancel")

    title, detail = checkout.status("requires_action")

    assert title == "Waiting for your confirmation" and "not confirmed" in detail
    assert checkout.page.is_enabled("#paypal") and checkout.page.is_enabled("#pay")  # or another way
    checkout.page.click("#status-action")  # back to PayPal's page: the same order
    checkout.act("Pay Now")
    assert checkout.status("succeeded")[0] == "Payment succeeded"
