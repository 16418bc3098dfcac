"""Velocity counters against the real Redis: one round trip per payment, windows that expire with the clock,
declines, distinct cards, first-seen times, bounded keys, and a clear error when Redis is down."""

import dataclasses
import secrets
import threading

import pytest
import redis

from shared.net import free_port
from shared.radar.counters import Counters, CountersUnavailable, Subject, fraud_digests
from shared.radar.decide import BUILTINS, decide

NOW = 1_900_000_000  # a fixed clock: every test moves it by hand
CARD_A, CARD_B = "a" * 32, "b" * 32


@pytest.fixture
def counters(config):
    return Counters(redis.Redis.from_url(config.redis_url), config.cache_prefix)


@pytest.fixture
def subject():
    merchant = "m_" + secrets.token_hex(6)

    def make(card=CARD_A, email="Ann@Example.test", ip="203.0.113.7", amount=1000, **extra):
        payment_id = extra.get("payment_id") or "pay_" + secrets.token_hex(12)
        customer = extra.get("customer")
        return Subject(merchant, True, payment_id, amount, card=card, email=email, ip=ip, customer=customer)

    return make


def test_a_payment_is_counted_per_dimension_and_merchant_wide(counters, subject):
    first = counters.record(subject(customer="cus_" + "a" * 24), NOW)
    assert first["card_count_10m"] == first["email_count_1h"] == first["customer_count_24h"] == 1
    assert first["is_new_card"] and first["is_new_email"] and first["is_new_ip"]
    second = counters.record(subject(card=CARD_B, email="ann@example.TEST", amount=500), NOW + 30)
    assert second["card_count_10m"] == 1 and second["email_count_10m"] == 2  # an email in any case
    assert second["email_amount_10m"] == second["ip_amount_24h"] == second["merchant_amount_1h"] == 1500
    assert second["merchant_count_10m"] == 2 and "customer_count_10m" not in second  # no customer given
    assert second["distinct_cards_per_email_24h"] == second["distinct_cards_per_ip_24h"] == 2
    assert second["is_new_card"] and not second["is_new_email"] and not second["is_new_ip"]


def test_declines_are_counted_for_the_card_and_the_ip_by_a_second_call(counters, subject):
    for second in range(5):
        counters.record_decline(subject(), NOW + second)
    signals = counters.record(subject(card=CARD_B), NOW + 10)
    assert signals["ip_decline_count_10m"] == 5 and signals["card_decline_count_10m"] == 0
    assert counters.record(subject(), NOW + 11)["card_decline_count_10m"] == 5


def test_a_payment_recorded_again_is_counted_once_and_answered_alike(counters, subject):
    """The worker's claim can roll back after the script ran: the retried job records the payment again."""
    first = counters.record(subject(payment_id="pay_again"), NOW)
    again = counters.record(subject(payment_id="pay_again"), NOW + 5)
    assert again == first and first["is_new_card"] and first["card_count_10m"] == 1
    counters.record_decline(subject(payment_id="pay_again"), NOW + 6)
    counters.record_decline(subject(payment_id="pay_again"), NOW + 7)
    other = counters.record(subject(), NOW + 8)
    assert other["card_count_10m"] == 2 and other["card_amount_1h"] == 2000 and not other["is_new_card"]
    assert other["card_decline_count_10m"] == other["ip_decline_count_10m"] == 1


def test_windows_expire_with_the_clock(counters, subject):
    counters.record(subject(), NOW)
    counters.record_decline(subject(), NOW)
    at = {  # seconds after the payment -> what each window still holds (this call's payment included)
        9 * 60: (2, 2, 2, 1),
        11 * 60: (2, 3, 3, 1),  # the first payment has left the 10 minutes, the one at 9 minutes not yet
        2 * 3600: (1, 1, 4, 1),
        25 * 3600: (1, 1, 2, 0),  # the one at 2 hours is 23 hours old
    }
    for later, (in_10m, in_1h, in_24h, declines_24h) in at.items():
        signals = counters.record(subject(), NOW + later)
        seen = (signals["card_count_10m"], signals["card_count_1h"], signals["card_count_24h"])
        assert seen == (in_10m, in_1h, in_24h), later
        assert signals["card_decline_count_24h"] == declines_24h, later
    assert signals["card_first_seen_age_days"] == 1 and not signals["is_new_card"]


def test_distinct_cards_per_ip_forget_after_a_day(counters, subject):
    for n in range(3):
        counters.record(subject(card=f"{n:032x}"), NOW + n)
    assert counters.record(subject(card=CARD_B), NOW + 60)["distinct_cards_per_ip_24h"] == 4
    assert counters.record(subject(card=CARD_B), NOW + 25 * 3600)["distinct_cards_per_ip_24h"] == 1


def test_every_key_expires_and_holds_a_bounded_number_of_buckets(counters, subject, config):
    for minute in range(0, 48 * 60, 7):  # two days of payments, every 7 minutes
        counters.record(subject(), NOW + minute * 60)
    keys = list(counters.client.scan_iter(match=f"{config.cache_prefix}radar:{{{subject().merchant_id}:*"))
    assert keys
    for key in keys:
        ttl = counters.client.ttl(key)
        assert 0 < ttl <= 400 * 86400, key
        if counters.client.type(key) == b"hash":
            assert counters.client.hlen(key) <= 4 * 24, key  # bucket, count, amount, declines per slot
    assert not any(b"Ann@" in key or b"ann@" in key or b"203.0.113.7" in key for key in keys)  # hashed


def test_one_round_trip_per_payment(counters, subject, config):
    counters.record(subject(), NOW)  # loads the script once
    end = f"{config.cache_prefix}radar-end-{secrets.token_hex(4)}"
    seen = []
    watcher = redis.Redis.from_url(config.redis_url)
    with watcher.monitor() as monitor:

        def read():
            while end not in (command := monitor.next_command())["command"]:
                if command["client_type"] != "lua":  # what the script runs inside Redis is no round trip
                    seen.append(command["command"])

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        counters.record(subject(), NOW + 1)
        watcher.get(end)
        thread.join(10)
    ours = [command for command in seen if f"{config.cache_prefix}radar:" in command]
    assert len(ours) == 1 and ours[0].startswith("EVALSHA "), ours


def test_redis_down_raises_a_clear_error(config, subject):
    down = Counters(redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_timeout=0.25), "x:")
    with pytest.raises(CountersUnavailable, match="Redis"):
        down.record(subject(), NOW)
    with pytest.raises(CountersUnavailable):
        down.record_decline(subject(), NOW)
    with pytest.raises(CountersUnavailable, match="PAYWAVE_REDIS_URL"):
        Counters.from_config(dataclasses.replace(config, redis_url="")).record(subject(), NOW)


def test_a_card_testing_burst_from_one_ip_is_blocked_once_five_cards_were_declined(counters, subject):
    """The pieces together as the payment flow will use them: count, decide, and count the decline."""
    rules = [builtin.rule() for builtin in BUILTINS]
    actions = []
    for n in range(8):  # a bot tries a new card every 10 seconds from one address; the issuer declines each
        payment = subject(card=f"{n:032x}", email=f"bot{n}@example.test", amount=100)
        signals = counters.record(payment, NOW + 10 * n)
        decision = decide(rules, {**signals, "amount_in_usd": 100}, {})
        actions.append(decision.action)
        if decision.action == "allow":
            counters.record_decline(payment, NOW + 10 * n + 1)
    assert actions == ["allow"] * 5 + ["block"] * 3
    assert decision.rule.id == "rule_default_card_testing" and decision.level == "highest"
    # ten minutes later the address is no longer blocked by the 10-minute rule (its day still scores)
    later = counters.record(subject(card=CARD_B), NOW + 15 * 60)
    assert decide(rules, {**later, "amount_in_usd": 100}, {}).action == "allow"


def test_fraud_labels_are_read_in_the_same_round_trip_per_merchant(counters, subject):
    clean = counters.record(subject(), NOW)
    assert not (clean["card_seen_as_fraud"] or clean["email_seen_as_fraud"] or clean["ip_seen_as_fraud"])
    labels = fraud_digests(subject())
    counters.label_fraud(subject().merchant_id, True, [("card", labels["card"]), ("ip", labels["ip"])])
    seen = counters.record(subject(email="bob@example.test"), NOW + 1)
    assert seen["card_seen_as_fraud"] and seen["ip_seen_as_fraud"] and not seen["email_seen_as_fraud"]
    assert not counters.record(subject(card=CARD_B, ip="198.51.100.1"), NOW + 2)["card_seen_as_fraud"]
    other_merchant = counters.record(dataclasses.replace(subject(), merchant_id="m_other"), NOW + 3)
    assert not other_merchant["card_seen_as_fraud"]
    test_mode = counters.record(dataclasses.replace(subject(), livemode=False), NOW + 4)
    assert not test_mode["card_seen_as_fraud"]
