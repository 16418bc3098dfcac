"""The decision engine: Radar's order, each built-in rule, and the documented risk score."""

import pathlib
import re

import pytest

from shared.radar import decide as engine
from shared.radar.decide import BUILTINS, Rule, decide, level, score
from shared.radar.language import compile_

LISTS = {"blocked_cards": "card_fingerprint", "vip": "email"}
CARD = "0123456789abcdef0123456789abcdef"
CALM = {  # a returning customer's ordinary payment: scores 0
    "amount": 1050,
    "amount_in_usd": 1050,
    "card_fingerprint": CARD,
    "card_decline_count_10m": 0,
    "ip_decline_count_10m": 0,
    "card_decline_count_24h": 0,
    "distinct_cards_per_email_24h": 1,
    "distinct_cards_per_ip_24h": 1,
    "card_count_1h": 1,
    "ip_count_1h": 1,
    "is_new_card": False,
    "is_new_email": False,
    "is_new_ip": False,
    "card_seen_as_fraud": False,
    "email_seen_as_fraud": False,
    "ip_seen_as_fraud": False,
}


def rule(rule_id, action, predicate):
    return Rule(rule_id, action, predicate, compile_(predicate, LISTS))


def defaults():
    return [builtin.rule() for builtin in BUILTINS]


def test_nothing_matching_allows_with_no_rule():
    decision = decide(defaults(), CALM, {})
    assert (decision.action, decision.rule, decision.request_3ds, decision.score) == ("allow", None, (), 0)
    assert decision.level == "normal" and decision.missing == frozenset()


@pytest.mark.parametrize("counter", ["card_decline_count_10m", "ip_decline_count_10m"])
def test_card_testing_blocks_at_five_declines_of_the_card_or_the_ip(counter):
    assert decide(defaults(), {**CALM, counter: 4}, {}).action == "allow"
    decision = decide(defaults(), {**CALM, counter: 5}, {})
    assert decision.action == "block" and decision.rule.id == "rule_default_card_testing"


def test_a_card_on_the_blocked_list_is_blocked():
    decision = decide(defaults(), CALM, {"blocked_cards": {CARD}})
    assert decision.action == "block" and decision.rule.id == "rule_default_blocked_card"


def test_the_first_large_payment_of_a_new_card_is_reviewed_at_the_merchants_threshold():
    new_card = {**CALM, "is_new_card": True, "amount_in_usd": 60000}
    assert decide(defaults(), new_card, {}).rule.id == "rule_default_new_card_review"
    assert decide(defaults(), {**new_card, "is_new_card": False}, {}).action == "allow"
    merchant_set = [BUILTINS[2].rule(threshold=100000)]
    assert decide(merchant_set, new_card, {}).action == "allow"


def test_order_request_3ds_collects_then_allow_beats_block_beats_review():
    rules = [
        rule("rule_review", "review", ":amount: > 1000"),
        rule("rule_block", "block", ":amount: > 1000"),
        rule("rule_3ds_a", "request_3ds", ":amount: > 1000"),
        rule("rule_allow", "allow", ":email: in @vip"),
        rule("rule_3ds_b", "request_3ds", ":is_new_card:"),
    ]
    vip = {**CALM, "email": "ceo@example.test"}
    decision = decide(rules, vip, {"vip": {"ceo@example.test"}})
    assert decision.action == "allow" and decision.rule.id == "rule_allow"
    assert [r.id for r in decision.request_3ds] == ["rule_3ds_a"]
    assert decide(rules, CALM, {}).rule.id == "rule_block"
    assert decide(rules[:1], CALM, {}).action == "review"
    risk = decide(rules, CALM, {}).risk()
    assert risk["rule"] == {"id": "rule_block", "action": "block", "predicate": ":amount: > 1000"}
    assert risk["request_3ds"] is True and any("rule_block matched" in reason for reason in risk["reasons"])


def test_rules_over_missing_counters_do_not_match_and_say_so():
    degraded = {"amount": 1050, "amount_in_usd": 1050, "card_fingerprint": CARD}
    decision = decide(defaults(), degraded, {})
    assert decision.action == "allow"
    assert {"card_decline_count_10m", "ip_decline_count_10m", "is_new_card"} <= decision.missing
    assert decision.reasons[-1].startswith("missing signals: ")
    assert decide(defaults(), degraded, {"blocked_cards": {CARD}}).action == "block"  # needs no counter


def test_the_score_follows_the_table_and_caps_at_100():
    bot = {**CALM, "card_decline_count_10m": 2, "distinct_cards_per_ip_24h": 5, "is_new_card": True}
    points, reasons, missing = score(bot)
    assert points == 30 + 15 + 10 and missing == set()
    assert "score +30: :card_decline_count_10m: is 2" in reasons
    flood = {weight.attribute: 1000 for weight in engine.SCORE_WEIGHTS}
    assert score(flood)[0] == 100
    card_labelled = score({**CALM, "card_seen_as_fraud": True})[0]
    assert card_labelled == 65 and level(card_labelled) == "elevated"  # a card once used in fraud, alone
    assert score({**CALM, "email_seen_as_fraud": True, "ip_seen_as_fraud": True})[0] == 40 + 25
    assert sum(weight.cap for weight in engine.SCORE_WEIGHTS) >= 100  # the cap can be reached


def test_levels_and_risk_score_in_rules():
    assert (level(0), level(64), level(65), level(74), level(75), level(100)) == (
        "normal",
        "normal",
        "elevated",
        "elevated",
        "highest",
        "highest",
    )
    risky = {**CALM, "card_decline_count_10m": 3, "ip_decline_count_10m": 3}  # 45 + 30
    decision = decide([rule("rule_score", "review", ":risk_score: >= 75")], risky, {})
    assert decision.score == 75 and decision.level == "highest" and decision.action == "review"


def test_every_builtin_compiles_with_its_default_and_ids_are_stable():
    assert [b.id for b in BUILTINS] == [
        "rule_default_card_testing",
        "rule_default_blocked_card",
        "rule_default_new_card_review",
    ]
    for builtin in BUILTINS:
        assert builtin.rule().predicate == builtin.template.format(threshold=builtin.threshold)


def test_the_readmes_score_table_is_the_one_applied():
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    rows = re.findall(r"^  \| `(\w+)` \| (\d+) \| (\d+) \| (\d+) \|$", readme, re.M)
    assert [(name, int(free), int(points), int(cap)) for name, free, points, cap in rows] == [
        (w.attribute, w.free, w.points, w.cap) for w in engine.SCORE_WEIGHTS
    ]
