"""3-D Secure through the whole flow: the ingress, the fleet, the Stripe sandbox's challenge page driven over
HTTP as a browser does, PayWave's return route, the sweeper's expiry."""

import dataclasses
import datetime
import urllib.parse

import dramatiq
import pytest
import requests

from gateways.base import GatewayPayment, GatewayStatus
from shared import jobs, returns
from store.models import Attempt, Event, OutboxJob, Payment, utcnow
from tests.support.api import card_payment
from tests.support.sandbox import wait_status
from workers.actors import process
from workers.actors.calls import Call
from workers.actors.process import process_payment
from workers.actors.sweeper import job_for, sweep

SHOP = "https://shop.example/checkout/done?order=42"


def pay(api, auth, number, **extra):
    body = card_payment(number, amount=2400, return_url=SHOP, **extra)
    resp = api.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json["id"]


def waiting(api, auth, pid):
    """The payment once it waits for the customer: its API object."""
    assert wait_status(pid, ("requires_action", "succeeded", "failed")).status == "requires_action"
    return api.simulate_get(f"/payments/{pid}", headers=auth).json


def browser(action_url, result):
    """The customer's browser on the issuer's challenge: GET the page, press ``result``; returns where it
    is sent back to (the 303's Location)."""
    page = requests.get(action_url, timeout=5)
    assert page.status_code == 200 and "Complete" in page.text
    resp = requests.post(action_url, data={"result": result}, allow_redirects=False, timeout=5)
    assert resp.status_code == 303, resp.text
    return resp.headers["Location"]


def follow(api, location):
    """The browser arriving at PayWave's return route (served here in-process)."""
    parts = urllib.parse.urlsplit(location)
    return api.simulate_get(parts.path, query_string=parts.query)


def events(pid, type_):
    return Event.select().where((Event.payment_id == pid) & (Event.type == type_)).count()


def charges(pid):
    return [
        (a.gateway, a.operation, a.status, a.error_code)
        for a in Attempt.select().where(Attempt.payment_id == pid).order_by(Attempt.number)
    ]


@pytest.mark.parametrize("number", ["4000002500003155", "4000000000003220"])
def test_a_completed_challenge_succeeds_once(api, auth, stripe, paypal, fleet, number):
    pid = pay(api, auth, number)
    body = waiting(api, auth, pid)
    action = body["next_action"]
    assert action["type"] == "redirect_to_url" and action["redirect_to_url"]["return_url"] == SHOP
    payment = Payment.get_by_id(pid)
    assert payment.cvc_ciphertext is None and payment.action_expires_at > utcnow()  # the gateway has the card
    assert charges(pid) == [("stripe", "charge", "requires_action", None)]
    assert events(pid, "payment.requires_action") == 1 and stripe.ledger(pid) == []

    back = browser(action["redirect_to_url"]["url"], "complete")

    assert back.startswith(returns.return_url(fleet.context.config, pid) + "&payment_intent=pi_")
    resp = follow(api, back)
    assert resp.status_code == 303
    assert resp.headers["Location"] == f"{SHOP}&payment_id={pid}"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    payment = wait_status(pid, ("succeeded",))
    assert (payment.amount_captured, payment.next_action) == (2400, None)
    assert charges(pid) == [("stripe", "charge", "succeeded", None)]
    assert stripe.captured(pid) == 2400 and paypal.ledger(pid) == []
    assert [e["type"] for e in stripe.ledger(pid)] == ["authorization", "capture"]

    # A second return, a duplicate and a late job: nothing happens twice.
    jobs_before = OutboxJob.select().where(OutboxJob.args.contains(pid)).count()
    assert follow(api, back).headers["Location"] == f"{SHOP}&payment_id={pid}"
    assert OutboxJob.select().where(OutboxJob.args.contains(pid)).count() == jobs_before
    for _ in range(2):
        process_payment(fleet.context, pid, "stripe")  # run here: done when it returns
    assert Payment.get_by_id(pid).version == payment.version
    assert events(pid, "payment.requires_action") == 1 and events(pid, "payment.succeeded") == 1
    assert stripe.captured(pid) == 2400


def test_a_manual_capture_with_3ds_is_authorized_after_the_challenge(api, auth, stripe):
    pid = pay(api, auth, "4000000000003063", capture="manual")
    follow(api, browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], "complete"))
    assert wait_status(pid, ("requires_capture",)).gateway_reference.startswith("pi_")
    assert [e["type"] for e in stripe.ledger(pid)] == ["authorization"]


@pytest.mark.parametrize(
    "number, result, code",
    [
        ("4000008400001629", "complete", "generic_decline"),
        ("4000002500003155", "fail", "authentication_failed"),
    ],
)
def test_a_decline_after_the_challenge_fails_without_falling_back(
    api, auth, stripe, paypal, number, result, code
):
    pid = pay(api, auth, number)
    follow(api, browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], result))
    payment = wait_status(pid, ("failed",))
    assert (payment.failure_code, payment.next_action) == (code, None)
    assert [a[:3] for a in charges(pid)] == [("stripe", "charge", "declined")]  # no PayPal attempt
    assert stripe.ledger(pid) == [] and paypal.ledger(pid) == []
    assert events(pid, "payment.failed") == 1


def test_without_return_url_a_challenge_is_a_soft_decline_and_falls_back(api, auth, stripe, paypal):
    resp = api.simulate_post("/payments", json=card_payment("4000002500003155", amount=1300), headers=auth)
    pid = resp.json["id"]
    payment = wait_status(pid)
    assert (payment.status, payment.gateway, payment.next_action) == ("succeeded", "paypal", None)
    assert charges(pid) == [
        ("stripe", "charge", "declined", "authentication_required"),
        ("paypal", "charge", "succeeded", None),
    ]
    assert events(pid, "payment.requires_action") == 0 and paypal.captured(pid) == 1300


def expire(pid):
    """As if the customer had left the challenge an hour ago: expired, and untouched since."""
    past = utcnow() - datetime.timedelta(hours=1)
    Payment.update(action_expires_at=past, updated_at=past).where(Payment.id == pid).execute()


def intent(stripe, worker_config, reference):
    key = {"Authorization": f"Bearer {worker_config.stripe_api_key}"}
    return requests.get(f"{stripe.base}/v1/payment_intents/{reference}", headers=key, timeout=5).json()


def test_an_abandoned_challenge_is_swept_and_expires_canceled_at_the_gateway_too(
    api, auth, stripe, fleet, worker_config
):
    pid = pay(api, auth, "4000002500003155")
    waiting(api, auth, pid)
    payment = Payment.get_by_id(pid)
    assert job_for(payment) == jobs.process_payment(pid, "stripe")
    process_payment(fleet.context, pid, "stripe")  # the sweeper's re-read before expiry: still waiting
    assert Payment.get_by_id(pid).version == payment.version and charges(pid)[0][2] == "requires_action"
    expire(pid)
    ctx = dataclasses.replace(
        fleet.context, config=dataclasses.replace(fleet.context.config, stuck_after_seconds=60)
    )
    assert sweep(ctx)["payments"] >= 1  # its job: the same re-read, past the expiry

    payment = wait_status(pid, ("canceled",))

    assert (payment.failure_code, payment.next_action) == ("action_expired", None)
    assert intent(stripe, worker_config, payment.gateway_reference)["status"] == "canceled"
    assert [a[1:3] for a in charges(pid)] == [("charge", "declined"), ("void", "succeeded")]
    assert events(pid, "payment.canceled") == 1 and events(pid, "payment.requires_action") == 1
    assert stripe.ledger(pid) == []


def test_a_challenge_completed_just_before_the_expiry_succeeds(api, auth, stripe, fleet, worker_config):
    """The customer completed the challenge, but neither their return nor a webhook reached us before
    the expiry: the gateway is read first, and the payment it charged is never canceled."""
    pid = pay(api, auth, "4000002500003155")
    browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], "complete")  # not followed
    expire(pid)
    process_payment(fleet.context, pid, "stripe")

    payment = Payment.get_by_id(pid)

    assert (payment.status, payment.amount_captured) == ("succeeded", 2400)
    assert intent(stripe, worker_config, payment.gateway_reference)["status"] == "succeeded"
    assert [a[1:3] for a in charges(pid)] == [("charge", "succeeded")]  # no cancel was tried
    assert stripe.captured(pid) == 2400


def test_the_return_route_answers_404_to_anything_but_its_own_signed_address(api, auth, fleet):
    config = fleet.context.config
    pid = pay(api, auth, "4000002500003155")
    waiting(api, auth, pid)
    good = urllib.parse.urlsplit(returns.return_url(config, pid))
    sig = returns.signature(config, pid)
    other = pay(api, auth, "4000002500003155")
    tampered = sig[:-1] + ("B" if sig.endswith("A") else "A")  # one character off, never the signature
    for query in ("", "sig=", f"sig={tampered}", f"sig={returns.signature(config, other)}", "sig=%00"):
        resp = api.simulate_get(good.path, query_string=query)
        assert resp.status_code == 404 and resp.headers["Content-Type"] == "application/problem+json", query
    unknown = "pay_" + "0" * 24
    path = returns.PATH.format(payment_id=unknown)
    assert api.simulate_get(path, query_string=f"sig={returns.signature(config, unknown)}").status_code == 404
    # A payment without a return_url has no customer to send back.
    plain = api.simulate_post("/payments", json=card_payment(), headers=auth).json["id"]
    path = returns.PATH.format(payment_id=plain)
    assert api.simulate_get(path, query_string=f"sig={returns.signature(config, plain)}").status_code == 404
    assert api.simulate_get(good.path, query_string=good.query).status_code == 303


def test_an_unknown_outcome_while_the_customer_acts_is_read_again_never_elsewhere(
    api, auth, stripe, paypal, fleet
):
    pid = pay(api, auth, "4000002500003155")
    follow_up = browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], "complete")
    stripe.faults(drop_response_rate=1.0)  # Stripe answers, the answer is lost
    with pytest.raises(dramatiq.Retry):
        process_payment(fleet.context, pid, "stripe")
    assert Payment.get_by_id(pid).status == "requires_action"
    assert [a[:3] for a in charges(pid)] == [("stripe", "charge", "unknown")]
    stripe.faults(drop_response_rate=0.0)

    assert follow(api, follow_up).status_code == 303  # the customer's return: the same attempt, same key

    payment = wait_status(pid, ("succeeded",))
    assert charges(pid) == [("stripe", "charge", "succeeded", None)] and paypal.ledger(pid) == []
    assert stripe.captured(pid) == 2400 and payment.gateway == "stripe"


def test_a_challenge_completed_between_the_read_and_the_cancel_still_succeeds(
    api, auth, stripe, fleet, worker_config
):
    """The narrowest race: the expiring job read the intent still waiting, then the customer completed the
    challenge, then the job canceled. Stripe refuses to cancel a succeeded intent: the job reads it again
    and the charge stands."""
    pid = pay(api, auth, "4000002500003155")
    browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], "complete")
    payment = Payment.get_by_id(pid)
    attempt = Attempt.get((Attempt.payment_id == pid) & (Attempt.operation == "charge"))
    stale = Call(
        attempt,
        GatewayPayment(
            payment.gateway_reference, GatewayStatus.REQUIRES_ACTION, 2400, 0, "USD", "requires_action"
        ),
    )
    gw = fleet.context.gateway("stripe", payment.livemode)

    read = process._cancel_intent(
        fleet.context, gw, payment, process._request(fleet.context, payment, attempt), stale
    )

    assert (read.error, read.result.status) == (None, GatewayStatus.CAPTURED)
    assert [a[1:] for a in charges(pid)][-1] == ("void", "error", "payment_intent_unexpected_state")
    process._finish(fleet.context, pid, read)
    assert Payment.get_by_id(pid).status == "succeeded" and stripe.captured(pid) == 2400
    assert intent(stripe, worker_config, payment.gateway_reference)["status"] == "succeeded"


def cancel(api, auth, pid):
    return api.simulate_post(f"/payments/{pid}/cancel", headers=auth)


def test_the_merchant_cancels_a_waiting_payment_at_the_gateway_first(api, auth, stripe, worker_config):
    pid = pay(api, auth, "4000002500003155")
    challenge = waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"]

    resp = cancel(api, auth, pid)

    assert resp.status_code == 202 and resp.json["status"] == "requires_action"
    payment = wait_status(pid, ("canceled",))
    # As a canceled authorization: no failure, the merchant's own doing.
    assert (payment.failure_code, payment.next_action, payment.pending_operation) == (None, None, None)
    assert intent(stripe, worker_config, payment.gateway_reference)["status"] == "canceled"
    assert [a[1:] for a in charges(pid)] == [("charge", "declined", "canceled"), ("void", "succeeded", None)]
    assert events(pid, "payment.canceled") == 1 and stripe.ledger(pid) == []
    assert cancel(api, auth, pid).status_code == 409
    # The customer's challenge is over at Stripe too.
    assert (
        requests.post(challenge, data={"result": "complete"}, allow_redirects=False, timeout=5).status_code
        == 409
    )


def test_a_cancel_after_the_customer_completed_the_challenge_leaves_the_payment_succeeded(
    api, auth, stripe, worker_config
):
    """The customer completed the challenge, then the merchant canceled before their return was read:
    Stripe refuses to cancel a succeeded intent, and the charge stands."""
    pid = pay(api, auth, "4000002500003155")
    browser(waiting(api, auth, pid)["next_action"]["redirect_to_url"]["url"], "complete")  # not followed

    assert cancel(api, auth, pid).status_code == 202

    payment = wait_status(pid, ("succeeded", "canceled"))
    assert (payment.status, payment.pending_operation, payment.amount_captured) == ("succeeded", None, 2400)
    assert stripe.captured(pid) == 2400 and events(pid, "payment.canceled") == 0
    assert cancel(api, auth, pid).status_code == 409
