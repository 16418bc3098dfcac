"""Payment methods bound to one gateway: a Stripe PaymentMethod is charged at Stripe only, declined or not,
and never falls back to PayPal."""

from store.models import Attempt, Payment
from tests.support.sandbox import wait_status
from tests.workers.test_customer_actions import SHOP, browser, follow, waiting
from tests.workers.test_payments import attempts, wait_unknown


def pay_with(api, auth, pm, amount=1050, **extra):
    body = {
        "amount": amount,
        "currency": "USD",
        "payment_method": {"type": "stripe_payment_method", "id": pm},
        **extra,
    }
    resp = api.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json["id"]


def test_a_stripe_test_payment_method_is_charged_at_stripe(api, auth, stripe, paypal):
    pid = pay_with(api, auth, "pm_card_visa", 2468)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway, payment.amount_captured) == ("succeeded", "stripe", 2468)
    assert attempts(pid) == [("stripe", "charge", "succeeded", None)]
    assert stripe.captured(pid) == 2468 and paypal.ledger(pid) == []
    body = api.simulate_get(f"/payments/{pid}", headers=auth).json
    assert body["payment_method"] == {"type": "stripe_payment_method", "id": "pm_card_visa"}
    assert body["card"] is None and Payment.get_by_id(pid).card_ciphertext is None


def test_a_declined_or_unknown_payment_method_fails_without_fallback(api, auth, stripe, paypal):
    # insufficient funds: a soft decline, which sends a card payment on to PayPal
    declined = pay_with(api, auth, "pm_card_visa_chargeDeclinedInsufficientFunds")
    payment = wait_status(declined)
    assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")
    assert [a[:3] for a in attempts(declined)] == [("stripe", "charge", "declined")]
    unknown = pay_with(api, auth, "pm_1NoSuchPaymentMethod")
    payment = wait_status(unknown)
    assert (payment.status, payment.failure_code) == ("failed", "resource_missing")
    assert [a[:2] for a in attempts(unknown)] == [("stripe", "charge")]
    for pid in (declined, unknown):
        assert stripe.ledger(pid) == [] and paypal.ledger(pid) == []


def test_a_lost_answer_is_resolved_by_replaying_the_same_payment_method_once(api, auth, stripe, paypal):
    stripe.faults(drop_response_rate=1.0)
    pid = pay_with(api, auth, "pm_card_mastercard", 777)
    wait_unknown(pid)
    stripe.faults(drop_response_rate=0.0)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway) == ("succeeded", "stripe")
    assert [e["type"] for e in stripe.ledger(pid) if e["type"] == "capture"] == ["capture"]
    assert stripe.captured(pid) == 777 and paypal.ledger(pid) == []
    assert Attempt.get(Attempt.payment_id == pid).tries >= 2  # the first answer was lost


def test_a_payment_method_needing_3ds_waits_for_the_customer_and_completes_the_challenge(
    api, auth, stripe, paypal
):
    pid = pay_with(api, auth, "pm_card_threeDSecure2Required", 1999, return_url=SHOP)
    challenge = waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"]
    assert attempts(pid) == [("stripe", "charge", "requires_action", None)] and stripe.ledger(pid) == []

    follow(api, browser(challenge, "complete"))

    payment = wait_status(pid, ("succeeded",))
    assert (payment.gateway, payment.amount_captured) == ("stripe", 1999)
    assert stripe.captured(pid) == 1999 and paypal.ledger(pid) == []


def test_a_payment_method_needing_3ds_without_return_url_fails_without_fallback(api, auth, stripe, paypal):
    """No customer to send to the challenge, and no other gateway for a Stripe PaymentMethod."""
    pid = pay_with(api, auth, "pm_card_threeDSecure2Required", 1998)
    payment = wait_status(pid)
    assert (payment.status, payment.failure_code, payment.next_action) == (
        "failed",
        "authentication_required",
        None,
    )
    assert attempts(pid) == [("stripe", "charge", "declined", "soft_decline")]  # final all the same
    assert stripe.ledger(pid) == [] and paypal.ledger(pid) == []
