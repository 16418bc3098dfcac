"""The rule language: what parses, what type-checks (errors with their position), and how predicates
evaluate, missing signals included (three-valued: a predicate over a missing counter does not match)."""

import pytest

from shared.radar import language
from shared.radar.attributes import CATALOGUE, normalize
from shared.radar.language import RuleError, compile_, evaluate, parse, requires_counters

LISTS = {"blocked_emails": "email", "bad_ips": "ip_address", "risky_countries": "country"}


def matches(predicate, signals, lists=None):
    return evaluate(compile_(predicate, LISTS), signals, lists or {}).matched


@pytest.mark.parametrize(
    ("predicate", "signals", "expected"),
    [
        (":amount_in_usd: > 50000", {"amount_in_usd": 50001}, True),
        (":amount_in_usd: > 50000", {"amount_in_usd": 50000}, False),
        (
            ":amount_in_usd: >= 50000 AND :currency: = 'usd'",
            {"amount_in_usd": 50000, "currency": "USD"},
            True,
        ),
        (":card_country: in ('US', 'ca')", {"card_country": "CA"}, True),
        (":card_country: NOT IN ('US', 'CA')", {"card_country": "FR"}, True),
        (":card_brand: != 'amex' or :amount: < 100", {"card_brand": "amex", "amount": 50}, True),
        ("not (:is_new_card: and :is_new_email:)", {"is_new_card": True, "is_new_email": True}, False),
        (":is_new_card:", {"is_new_card": False}, False),
        ("5 <= :card_count_1h:", {"card_count_1h": 5}, True),
        (':email_domain: = "Example.test"', {"email_domain": "example.test"}, True),
        (":is_new_ip: = true", {"is_new_ip": True}, True),
        ("(:amount: > 1 or :amount: < 0)\n  and :currency: = 'EUR'", {"amount": 2, "currency": "EUR"}, True),
    ],
)
def test_predicates_evaluate(predicate, signals, expected):
    assert matches(predicate, signals) is expected


def test_list_membership_compares_as_the_list_normalizes():
    lists = {"blocked_emails": {"fraud@example.test"}, "bad_ips": {"2001:db8::1"}}
    assert matches(":email: in @blocked_emails", {"email": "Fraud@Example.TEST"}, lists)
    assert not matches(":email: in @blocked_emails", {"email": "ok@example.test"}, lists)
    assert matches(":ip_address: in @bad_ips", {"ip_address": "2001:0db8::0001"}, lists)
    assert matches(":ip_address: not in @bad_ips", {"ip_address": "203.0.113.9"}, lists)
    assert not matches(":ip_address: in @bad_ips", {"ip_address": "not an address"}, lists)
    assert not matches(":card_country: in @risky_countries", {"card_country": "US"}, {})  # absent list: empty


def test_a_missing_signal_makes_its_comparison_unknown_and_is_reported():
    node = compile_(":card_count_1h: > 3", LISTS)
    outcome = evaluate(node, {}, {})
    assert outcome.matched is False and outcome.missing == {"card_count_1h"}
    # not unknown is unknown: the rule still does not match
    assert evaluate(compile_("not :card_count_1h: > 3", LISTS), {}, {}).matched is False
    # false and unknown is false; true or unknown is true; every missing attribute is named
    both = compile_(":amount: > 100 and :ip_count_1h: > 3 and :email_count_1h: > 3", LISTS)
    assert evaluate(both, {"amount": 50}, {}) == language.Outcome(
        False, frozenset({"ip_count_1h", "email_count_1h"})
    )
    either = compile_(":amount: > 100 or :ip_count_1h: > 3", LISTS)
    assert evaluate(either, {"amount": 500}, {}).matched is True


@pytest.mark.parametrize(
    ("predicate", "line", "column", "message"),
    [
        ("", 1, 1, "empty"),
        (":amount: >", 1, 11, "ends too early"),
        (":amount: > 1.5", 1, 13, "unexpected character '.'"),
        (":amount: = = 1", 1, 12, "unexpected '='"),
        (":amount: > 1 :amount:", 1, 14, "unexpected ':amount:'"),
        ("(:amount: > 1", 1, 14, "ends too early"),
        (":amount: > 1 and\n   :nope: = 1", 2, 4, "unknown attribute :nope:"),
        (":card_country: = 1", 1, 18, "cannot compare a string with a number"),
        (":is_new_card: = 'yes'", 1, 17, "cannot compare a boolean with a string"),
        (":email: > 'a'", 1, 1, "compares numbers only"),
        (":amount:", 1, 1, "is a number, not a predicate"),
        (":amount: in ('a')", 1, 14, ":amount: is a number"),
        (":email: in @nowhere", 1, 12, "no value list @nowhere"),
        (":ip_address: in @blocked_emails", 1, 17, "@blocked_emails holds email items"),
        (":currency: in @blocked_emails", 1, 15, ":currency: cannot be tested against a value list"),
        ("not " * 40 + ":is_new_card:", 1, 161, "nests deeper than 32"),
        (":amount: > 1 or " * 200 + ":is_new_card:", 1, 2001, "at most 2000 characters"),
    ],
)
def test_errors_say_what_and_where(predicate, line, column, message):
    with pytest.raises(RuleError) as caught:
        compile_(predicate, LISTS)
    assert message in caught.value.message
    assert (caught.value.line, caught.value.column) == (line, column)


def test_no_predicate_reaches_python_evaluation():
    for hostile in ("__import__('os')", ":amount:.__class__", "eval(':amount:')", ":amount: > 1; drop"):
        with pytest.raises(RuleError):
            parse(hostile)


def test_requires_counters_tells_velocity_attributes_apart():
    assert requires_counters(parse(":amount: > 1 and :ip_decline_count_10m: >= 5"))
    assert requires_counters(parse("not :is_new_card:"))
    assert not requires_counters(parse(":card_country: in ('US') or :risk_score: > 70"))


def test_the_catalogue_holds_the_issues_attributes():
    for name in (
        "amount_in_usd",
        "card_country",
        "ip_address",
        "email_domain",
        "card_count_1h",
        "ip_decline_count_10m",
        "is_new_card",
        "distinct_cards_per_email_24h",
        "merchant_amount_24h",
        "customer_count_10m",
        "card_first_seen_age_days",
        "risk_score",
    ):
        assert name in CATALOGUE, name


@pytest.mark.parametrize(
    ("item_type", "value", "normalized"),
    [
        ("email", "A@B.Example", "a@b.example"),
        ("ip_address", "::FFFF:1.2.3.4", "::ffff:102:304"),
        ("country", "fr", "FR"),
        ("card_bin", "424242", "424242"),
    ],
)
def test_normalize(item_type, value, normalized):
    assert normalize(item_type, value) == normalized


@pytest.mark.parametrize(
    ("item_type", "value"),
    [("email", "a@b"), ("ip_address", "1.2.3"), ("country", "F1"), ("card_bin", "42424"), ("customer", "c")],
)
def test_normalize_refuses_what_is_not_of_the_type(item_type, value):
    with pytest.raises(ValueError):
        normalize(item_type, value)
