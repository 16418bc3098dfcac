"""The fraud decision before any gateway call (issue 15): ``risk`` on every payment, a block fails the
payment with no gateway call (the sandboxes' ledgers are empty), a card-testing burst is blocked once the
built-in rule trips, ``request_3ds`` makes Stripe challenge, and Redis down degrades without blocking."""

import redis

from shared.radar.counters import Counters
from store.models import Attempt, Event
from tests.support.api import pay
from tests.support.sandbox import wait_status

LOST_CARD = "4000000000009987"  # a hard decline: final at the first gateway


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
