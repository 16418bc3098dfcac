"""The fraud decision before any gateway call (issue 15): ``risk`` on every payment, a block fails the
payment with no gateway call (the sandboxes' ledgers are empty), a card-testing burst is blocked once the
built-in rule trips, the other built-in rules (blocked cards, a new card's large payment reviewed) do what
they say, ``request_3ds`` makes Stripe challenge, Redis down degrades without blocking, and a review holds a
capture until approved, or undoes the payment when rejected."""

import time

import redis

from shared.radar.counters import Counters
from store import radar
from store.models import Attempt, Event, FraudLabel, Payment, Refund
from store.vault import Vault
from tests.support.api import conforms, pay
from tests.support.sandbox import wait_status

LOST_CARD = "4000000000009987"  # a hard decline: final at the first gateway
MASTERCARD = "5555555555554444"


def rule(api, auth, action, predicate):
    resp = api.simulate_post("/radar/rules", json={"action": action, "predicate": predicate}, headers=auth)
    assert resp.status_code == 201, resp.text


def no_gateway_call(pid, stripe, paypal):
    assert stripe.ledger(pid) == [] and paypal.ledger(pid) == []
    assert not Attempt.select().where(Attempt.payment_id == pid).exists()


def test_every_payment_carries_its_risk_and_an_allowed_one_proceeds(api, auth, stripe):
    pid = pay(api, auth, gateway="stripe", amount=1200, customer_details={"email": "Ann@Shop.test"})
    payment = wait_status(pid)
    assert payment.status == "succeeded" and stripe.captured(pid) == 1200
    risk = api.simulate_get(f"/payments/{pid}", headers=auth).json["risk"]
    assert (risk["rule"], risk["degraded"], risk["three_d_secure"]) == (None, False, None)
    signals = risk["signals"]
    assert signals["card_bin"] == "424242" and signals["email_domain"] == "shop.test"
    assert (
        signals["amount_in_usd"] == 1200 and signals["is_new_card"] is True and signals["card_count_10m"] == 1
    )
    # is_new_card (10) and is_new_email (5): the score adds what it says.
    assert (
        risk["score"] == 15
        and risk["level"] == "normal"
        and "score +10: :is_new_card: is True" in risk["reasons"]
    )


def test_a_block_rule_fails_the_payment_before_any_gateway_call(api, auth, stripe, paypal):
    lst = api.simulate_post(
        "/radar/value_lists", json={"alias": "bad_emails", "item_type": "email"}, headers=auth
    ).json
    api.simulate_post(f"/radar/value_lists/{lst['id']}/items", json={"value": "bot@fraud.test"}, headers=auth)
    rule(api, auth, "block", ":email: in @bad_emails")
    pid = pay(api, auth, customer_details={"email": "BOT@fraud.test"})
    payment = wait_status(pid)
    assert (payment.status, payment.failure_code, payment.gateway) == ("failed", "blocked", None)
    assert payment.risk["rule"]["action"] == "block" and "@bad_emails" in payment.failure_message
    assert Event.get(Event.payment_id == pid, Event.type == "payment.failed")
    no_gateway_call(pid, stripe, paypal)


def test_a_card_testing_burst_from_one_ip_is_blocked_after_the_threshold(api, auth, stripe, paypal):
    bot = {"customer_details": {"ip_address": "203.0.113.9"}}
    for _ in range(5):  # the built-in rule: 5 declines for one IP address in 10 minutes
        declined = wait_status(pay(api, auth, number=LOST_CARD, gateway="stripe", **bot))
        assert (declined.status, declined.failure_code) == ("failed", "lost_card")
    blocked = [wait_status(pay(api, auth, gateway="stripe", **bot)) for _ in range(3)]
    for payment in blocked:
        assert payment.failure_code == "blocked"
        assert payment.risk["rule"]["id"] == "rule_default_card_testing"
        assert payment.risk["signals"]["ip_decline_count_10m"] == 5
        no_gateway_call(payment.id, stripe, paypal)
    # Another customer of the same merchant is unaffected.
    other = wait_status(pay(api, auth, gateway="stripe", customer_details={"ip_address": "198.51.100.7"}))
    assert other.status == "succeeded"


def test_request_3ds_makes_stripe_challenge_a_card_that_needs_none(api, auth, stripe):
    rule(api, auth, "request_3ds", ":amount: >= 5000")
    pid = pay(api, auth, gateway="stripe", amount=5000, return_url="https://shop.example/done")
    payment = wait_status(pid, ("requires_action",))
    assert payment.risk["three_d_secure"] == "requested" and payment.next_action["type"] == "redirect_to_url"
    # No customer present: recorded, and the payment goes on without a challenge.
    quiet = wait_status(pay(api, auth, gateway="stripe", amount=6000))
    assert (quiet.status, quiet.risk["three_d_secure"]) == ("succeeded", "skipped: no customer present")


def test_redis_down_degrades_to_the_rules_without_counters(api, auth, fleet, worker_config, stripe):
    rule(api, auth, "block", ":card_count_10m: >= 1")  # would block every payment, if counted
    radar = fleet.context.radar
    counting = radar.counters
    radar.counters = Counters(redis.Redis(port=1, socket_connect_timeout=0.25), worker_config.cache_prefix)
    try:
        pid = pay(api, auth, gateway="stripe", currency="EUR")
        payment = wait_status(pid)
    finally:
        radar.counters = counting
    assert payment.status == "succeeded" and stripe.captured(pid) == 1050
    assert payment.risk["degraded"] is True and "card_count_10m" in payment.risk["missing"]
    assert "amount_in_usd" not in payment.risk["signals"]  # a EUR payment: no rates, no USD amount


def open_review(api, auth, pid):
    found = api.simulate_get("/reviews", params={"open": "true"}, headers=auth).json["data"]
    assert [r["payment"] for r in found] == [pid]
    return found[0]


def test_a_review_holds_the_capture_until_approved(api, auth, stripe):
    rule(api, auth, "review", ":amount: >= 7000")
    pid = pay(api, auth, gateway="stripe", amount=7000, capture="manual")
    assert wait_status(pid).status == "requires_capture"  # a review lets the payment proceed
    review = open_review(api, auth, pid)
    conforms(review, "Review")
    assert review["reason"] == Payment.get_by_id(pid).risk["rule"]["id"] and review["open"] is True
    assert (
        Event.get(Event.type == "review.opened", Event.merchant_id == review_merchant(pid)).data["id"]
        == review["id"]
    )
    refused = api.simulate_post(f"/payments/{pid}/capture", headers=auth)
    assert refused.status_code == 409 and review["id"] in refused.json["detail"]
    approved = api.simulate_post(f"/reviews/{review['id']}/approve", headers=auth)
    assert approved.status_code == 200 and approved.json["closed_reason"] == "approved"
    assert api.simulate_post(f"/reviews/{review['id']}/approve", headers=auth).status_code == 409
    assert api.simulate_get("/reviews", params={"open": "false"}, headers=auth).json["data"] == [
        approved.json
    ]
    assert api.simulate_post(f"/payments/{pid}/capture", headers=auth).status_code == 202
    assert wait_status(pid, ("succeeded",)).amount_captured == 7000 and stripe.captured(pid) == 7000


def test_rejecting_cancels_an_authorization_and_refunds_a_capture_as_fraudulent(api, auth, stripe):
    rule(api, auth, "review", ":amount: >= 7000")
    held = pay(api, auth, gateway="stripe", amount=7000, capture="manual")
    assert wait_status(held).status == "requires_capture"
    rejected = api.simulate_post(f"/reviews/{open_review(api, auth, held)['id']}/reject", headers=auth)
    assert rejected.status_code == 200 and rejected.json["closed_reason"] == "canceled"
    assert wait_status(held, ("canceled",)).status == "canceled" and stripe.captured(held) == 0
    charged = pay(api, auth, gateway="stripe", amount=8000)
    assert wait_status(charged).status == "succeeded"
    rejected = api.simulate_post(f"/reviews/{open_review(api, auth, charged)['id']}/reject", headers=auth)
    assert rejected.status_code == 200 and rejected.json["closed_reason"] == "refunded"
    refund = Refund.get(Refund.payment_id == charged)
    assert (refund.amount, refund.reason) == (8000, "fraudulent")
    deadline = time.monotonic() + 30
    while stripe.captured(charged) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert stripe.captured(charged) == 0
    assert Event.get(Event.type == "review.closed", Event.merchant_id == review_merchant(charged))
    sources = {
        row.payment_id: row.source for row in FraudLabel.select().where(FraudLabel.dimension == "card")
    }
    assert (sources[held], sources[charged]) == ("review_rejected", "refunded_as_fraud")


def review_merchant(pid):
    return Payment.get_by_id(pid).merchant_id


def test_the_built_in_blocked_cards_list_blocks_its_cards(api, auth, worker_config, stripe, paypal):
    lst = api.simulate_post(
        "/radar/value_lists", json={"alias": "blocked_cards", "item_type": "card_fingerprint"}, headers=auth
    ).json
    fingerprint = Vault.from_config(worker_config).fingerprint(MASTERCARD)
    api.simulate_post(f"/radar/value_lists/{lst['id']}/items", json={"value": fingerprint}, headers=auth)
    blocked = wait_status(pay(api, auth, number=MASTERCARD))
    assert (blocked.failure_code, blocked.risk["rule"]["id"]) == ("blocked", "rule_default_blocked_card")
    no_gateway_call(blocked.id, stripe, paypal)
    assert wait_status(pay(api, auth)).status == "succeeded"  # another card


def test_the_built_in_review_takes_a_new_cards_first_large_payment_only(api, auth):
    first = wait_status(pay(api, auth, gateway="stripe", amount=60000))
    assert first.status == "succeeded" and first.risk["rule"]["id"] == "rule_default_new_card_review"
    assert open_review(api, auth, first.id)["reason"] == "rule_default_new_card_review"
    again = wait_status(pay(api, auth, gateway="stripe", amount=60000))  # the card is not new any more
    assert again.risk["rule"] is None and again.risk["signals"]["is_new_card"] is False
    assert open_review(api, auth, first.id)  # still the one review


def paid_until(api, auth, predicate, timeout=15.0, **kwargs):
    """Pay with ``kwargs`` until a payment's risk satisfies ``predicate`` (a label reaches Redis through the
    ops pool's job): that payment."""
    deadline = time.monotonic() + timeout
    while True:
        payment = wait_status(pay(api, auth, gateway="stripe", **kwargs))
        if predicate(payment.risk) or time.monotonic() > deadline:
            return payment


def test_a_fraud_refund_labels_its_card_email_and_ip_and_the_labels_survive_redis_loss(
    api, auth, worker_config, stripe, paypal
):
    rule(api, auth, "block", ":email_seen_as_fraud: or :card_seen_as_fraud:")
    who = {"email": "Mallory@Fraud.test", "ip_address": "203.0.113.66"}
    first = wait_status(pay(api, auth, gateway="stripe", number=MASTERCARD, customer_details=who))
    assert first.status == "succeeded" and first.risk["signals"]["card_seen_as_fraud"] is False
    refund = api.simulate_post(f"/payments/{first.id}/refunds", json={"reason": "fraudulent"}, headers=auth)
    assert refund.status_code == 202
    labels = FraudLabel.select().where(FraudLabel.payment_id == first.id)
    assert {(row.dimension, row.source) for row in labels} == {
        ("card", "refunded_as_fraud"),
        ("email", "refunded_as_fraud"),
        ("ip", "refunded_as_fraud"),
    }
    # Another card, the same email in another case: blocked, no gateway call, and the score says why.
    same_email = {"customer_details": {"email": "mallory@fraud.TEST", "ip_address": "198.51.100.20"}}
    blocked = paid_until(api, auth, lambda risk: risk["signals"]["email_seen_as_fraud"], **same_email)
    assert blocked.failure_code == "blocked" and blocked.risk["score"] >= 40
    assert (
        not blocked.risk["signals"]["card_seen_as_fraud"] and not blocked.risk["signals"]["ip_seen_as_fraud"]
    )
    no_gateway_call(blocked.id, stripe, paypal)
    # Redis loses the labels: the durable ones are written again by store.radar.relabel.
    client = redis.Redis.from_url(worker_config.redis_url)
    lost = list(client.scan_iter(f"{worker_config.cache_prefix}radar:{{{first.merchant_id}:*:fraud"))
    assert len(lost) == 3 and client.delete(*lost) == 3
    fresh = {"customer_details": {"ip_address": "198.51.100.21"}}
    assert wait_status(pay(api, auth, gateway="stripe", number=MASTERCARD, **fresh)).status == "succeeded"
    assert radar.relabel() >= 3
    again = paid_until(
        api, auth, lambda risk: risk["signals"]["card_seen_as_fraud"], number=MASTERCARD, **fresh
    )
    assert again.failure_code == "blocked"
    no_gateway_call(again.id, stripe, paypal)
