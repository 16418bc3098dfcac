"""Every payment ends in a true state: charged exactly once, or not at all."""

from store.models import Attempt
from tests.support.api import pay
from tests.support.sandbox import wait_status


def wait_unknown(payment_id, timeout=15.0):
    """Until the payment's attempt has an unknown outcome (a response the gateway dropped)."""
    import time

    deadline = time.monotonic() + timeout
    while (
        time.monotonic() < deadline
        and not Attempt.select()
        .where((Attempt.payment_id == payment_id) & (Attempt.status == "unknown"))
        .exists()
    ):
        time.sleep(0.05)


def attempts(payment_id):
    return [
        (a.gateway, a.operation, a.status, a.error_class)
        for a in Attempt.select().where(Attempt.payment_id == payment_id).order_by(Attempt.number)
    ]


def test_happy_path_on_stripe(api, auth, stripe, paypal):
    pid = pay(api, auth, gateway="stripe", amount=1234)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway, payment.amount_captured) == ("succeeded", "stripe", 1234)
    assert payment.cvc_ciphertext is None  # erased once the authorization attempt ended
    assert attempts(pid) == [("stripe", "charge", "succeeded", None)]
    assert stripe.captured(pid) == 1234 and paypal.ledger(pid) == []
    body = api.simulate_get(f"/payments/{pid}", headers=auth).json
    assert body["status"] == "succeeded" and body["attempts"][0]["gateway"] == "stripe"


def test_happy_path_on_paypal_in_jpy(api, auth, stripe, paypal):
    pid = pay(api, auth, gateway="paypal", amount=1500, currency="JPY")
    payment = wait_status(pid)
    assert (payment.status, payment.gateway, payment.amount_captured) == ("succeeded", "paypal", 1500)
    assert paypal.captured(pid) == 1500 and stripe.ledger(pid) == []


def test_manual_capture_then_partial_capture(api, auth, stripe):
    pid = pay(api, auth, gateway="stripe", amount=2000, capture="manual")
    assert wait_status(pid).status == "requires_capture"
    assert [e["type"] for e in stripe.ledger(pid)] == ["authorization"]
    assert (
        api.simulate_post(f"/payments/{pid}/capture", json={"amount": 1500}, headers=auth).status_code == 202
    )
    payment = wait_status(pid, ("succeeded",))
    assert payment.amount_captured == 1500 and stripe.captured(pid) == 1500
    assert attempts(pid)[-1] == ("stripe", "capture", "succeeded", None)


def test_manual_capture_on_paypal_then_cancel_another(api, auth, paypal):
    pid = pay(api, auth, gateway="paypal", amount=800, capture="manual")
    assert wait_status(pid).status == "requires_capture"
    api.simulate_post(f"/payments/{pid}/capture", headers=auth)
    assert wait_status(pid, ("succeeded",)).amount_captured == 800 and paypal.captured(pid) == 800
    other = pay(api, auth, gateway="paypal", amount=900, capture="manual")
    wait_status(other)
    assert api.simulate_post(f"/payments/{other}/cancel", headers=auth).status_code == 202
    assert wait_status(other, ("canceled",)).status == "canceled"
    assert [e["type"] for e in paypal.ledger(other)] == ["authorization", "void"] and paypal.captured(
        other
    ) == 0


def test_refunds_up_to_the_captured_amount_and_a_refused_over_refund(api, auth, stripe, paypal):
    for gateway, sandbox in (("stripe", stripe), ("paypal", paypal)):
        pid = pay(api, auth, gateway=gateway, amount=1000)
        wait_status(pid)
        assert (
            api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 300}, headers=auth).status_code
            == 202
        )
        assert (
            api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 700}, headers=auth).status_code
            == 202
        )
        assert (
            api.simulate_post(f"/payments/{pid}/refunds", json={"amount": 1}, headers=auth).status_code == 409
        )
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            refunds = api.simulate_get(f"/payments/{pid}/refunds", headers=auth).json["data"]
            if all(r["status"] == "succeeded" for r in refunds):
                break
            time.sleep(0.05)
        assert [r["status"] for r in refunds] == ["succeeded", "succeeded"], gateway
        assert api.simulate_get(f"/payments/{pid}", headers=auth).json["amount_refunded"] == 1000
        assert sandbox.captured(pid) == 0, gateway


def test_stripe_failing_everything_falls_back_to_paypal_after_the_retries(
    api, auth, stripe, paypal, worker_config
):
    stripe.faults(error_rate=1.0, error_status=500)
    pid = pay(api, auth, amount=4321)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway) == ("succeeded", "paypal")
    stripe_attempt = Attempt.get((Attempt.payment_id == pid) & (Attempt.gateway == "stripe"))
    assert stripe_attempt.tries == worker_config.retry_max
    assert attempts(pid) == [
        ("stripe", "charge", "error", "retryable"),
        ("paypal", "charge", "succeeded", None),
    ]
    assert stripe.ledger(pid) == [] and paypal.captured(pid) == 4321


def test_soft_decline_falls_back_and_hard_decline_does_not(api, auth, stripe, paypal):
    soft = pay(api, auth, number="4000000000009995")  # insufficient funds, at both sandboxes
    payment = wait_status(soft)
    assert (payment.status, payment.failure_code) == ("failed", "insufficient_funds")
    assert [a[:3] for a in attempts(soft)] == [
        ("stripe", "charge", "declined"),
        ("paypal", "charge", "declined"),
    ]
    hard = pay(api, auth, number="4000000000009987")  # lost card
    payment = wait_status(hard)
    assert (payment.status, payment.failure_code) == ("failed", "lost_card")
    assert attempts(hard) == [("stripe", "charge", "declined", "hard_decline")]
    assert stripe.ledger(hard) == [] and paypal.ledger(hard) == []


def test_dropped_response_is_resolved_at_the_same_gateway_with_one_charge(api, auth, stripe, paypal):
    stripe.faults(drop_response_rate=1.0)
    pid = pay(api, auth, amount=777)
    wait_unknown(pid)
    stripe.faults(drop_response_rate=0.0)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway) == ("succeeded", "stripe")
    assert [e["type"] for e in stripe.ledger(pid) if e["type"] == "capture"] == ["capture"]
    assert stripe.captured(pid) == 777 and paypal.ledger(pid) == []
    assert attempts(pid) == [("stripe", "charge", "succeeded", None)]
    assert Attempt.get(Attempt.payment_id == pid).tries >= 2  # the first answer was lost


def test_the_same_job_delivered_twice_charges_once(api, auth, stripe, fleet, worker_config):
    stripe.faults(latency_ms=200)
    pid = pay(api, auth, amount=555)
    fleet.actors["process_payment"].send_with_options(args=(pid, "stripe"))
    fleet.actors["process_payment"].send_with_options(args=(pid, "stripe"))
    payment = wait_status(pid)
    assert payment.status == "succeeded" and stripe.captured(pid) == 555
    assert len(attempts(pid)) == 1


def test_polling_sees_every_status_change_through_the_cache(api, auth, stripe):
    stripe.faults(latency_ms=600)
    pid = pay(api, auth, gateway="stripe")
    seen = []
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not seen or seen[-1] != "succeeded"):
        status = api.simulate_get(f"/payments/{pid}", headers=auth).json["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.02)
    assert seen[-1] == "succeeded" and "processing" in seen
    assert seen == sorted(seen, key=["pending", "processing", "succeeded"].index)  # never backwards


def test_fallback_to_stripe_after_the_cvc_was_erased(api, auth, stripe, paypal):
    paypal.faults(error_rate=1.0, error_status=503)
    pid = pay(api, auth, gateway="paypal", amount=2500)
    payment = wait_status(pid)
    assert (payment.status, payment.gateway) == ("succeeded", "stripe")
    assert payment.cvc_ciphertext is None and stripe.captured(pid) == 2500 and paypal.ledger(pid) == []


def test_an_update_while_the_outcome_is_unknown_is_not_in_the_replay_and_reaches_the_gateway_after(
    api, auth, stripe, worker_config
):
    """A retry under the attempt's key sends what the first try sent (Stripe refuses a key
    replayed with other parameters); the merchant's update follows once the charge is known."""
    import time

    import requests

    stripe.faults(drop_response_rate=1.0)
    pid = pay(api, auth, amount=888)
    wait_unknown(pid)
    changed = api.simulate_put(
        f"/payments/{pid}", json={"description": "order 42", "metadata": {"order": "42"}}, headers=auth
    )
    assert changed.status_code == 200 and changed.json["status"] == "processing"
    stripe.faults(drop_response_rate=0.0)
    payment = wait_status(pid)
    assert payment.status == "succeeded" and stripe.captured(pid) == 888
    assert attempts(pid)[0] == ("stripe", "charge", "succeeded", None)
    intent_url = f"{stripe.base}/v1/payment_intents/{payment.gateway_reference}"
    key = {"Authorization": f"Bearer {worker_config.stripe_api_key}"}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        intent = requests.get(intent_url, headers=key, timeout=5).json()
        if intent["metadata"].get("order") == "42":
            break
        time.sleep(0.1)
    assert intent["description"] == "order 42" and intent["metadata"]["order"] == "42"
