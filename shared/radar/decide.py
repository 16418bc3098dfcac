"""The decision: a payment's risk score, then its rules in Radar's order.

Order: every ``request_3ds`` rule that matches asks for 3-D Secure and evaluation goes on; then the first
``allow`` rule that matches decides (the payment proceeds, whatever a block rule says), else the first
``block``, else the first ``review``; nothing matching is ``allow`` with no rule.  Within an action, rules
go in the order given (the store gives the built-in rules first, then the merchant's by creation).

The risk score (0 to 100) is a sum over ``SCORE_WEIGHTS``, capped at 100, and usable in rules as
``:risk_score:``; a missing signal adds nothing (and is named in ``Decision.missing``).
"""

import dataclasses
from collections.abc import Collection, Mapping, Sequence

from shared.radar import language
from shared.radar.language import Node

#: In the order they are evaluated.
ACTIONS = ("request_3ds", "allow", "block", "review")


@dataclasses.dataclass(frozen=True)
class Weight:
    """``points`` per unit of ``attribute`` beyond ``free`` (a boolean counts 1), at most ``cap``."""

    attribute: str
    free: int
    points: int
    cap: int


#: The risk score's only inputs (the README's table is this one).
SCORE_WEIGHTS = (
    Weight("card_decline_count_10m", 0, 15, 45),
    Weight("ip_decline_count_10m", 0, 10, 50),
    Weight("card_decline_count_24h", 0, 5, 20),
    Weight("distinct_cards_per_email_24h", 1, 10, 30),
    Weight("distinct_cards_per_ip_24h", 2, 5, 25),
    Weight("card_count_1h", 3, 5, 20),
    Weight("ip_count_1h", 10, 2, 20),
    Weight("is_new_card", 0, 10, 10),
    Weight("is_new_email", 0, 5, 5),
    Weight("is_new_ip", 0, 5, 5),
    Weight("card_seen_as_fraud", 0, 65, 65),
    Weight("email_seen_as_fraud", 0, 40, 40),
    Weight("ip_seen_as_fraud", 0, 25, 25),
)
#: ``(lowest score, level)``, highest first.
LEVELS = ((75, "highest"), (65, "elevated"), (0, "normal"))


@dataclasses.dataclass(frozen=True)
class Rule:
    """A rule ready to evaluate: ``node`` is ``predicate`` compiled."""

    id: str
    action: str
    predicate: str
    node: Node


@dataclasses.dataclass(frozen=True)
class Builtin:
    """A default rule every merchant has until it disables it (``PATCH /radar/rules/{id}``).

    Parameters:
      template: The predicate, with ``{threshold}`` where the merchant's threshold goes (if it has one).
      threshold: The default threshold; None: the rule takes none.
    """

    id: str
    action: str
    template: str
    threshold: int | None
    description: str

    def rule(self, threshold: int | None = None) -> Rule:
        """The rule with ``threshold`` (default: the built-in one)."""
        predicate = self.template.format(threshold=self.threshold if threshold is None else threshold)
        return Rule(self.id, self.action, predicate, language.compile_(predicate, RESERVED_LISTS))


#: Value lists the built-in rules read: a merchant's list of that alias must hold that item type.
RESERVED_LISTS = {"blocked_cards": "card_fingerprint"}
BUILTINS = (
    Builtin(
        "rule_default_card_testing",
        "block",
        ":card_decline_count_10m: >= {threshold} or :ip_decline_count_10m: >= {threshold}",
        5,
        "Block card testing: this many declines for the card or the IP address in 10 minutes.",
    ),
    Builtin(
        "rule_default_blocked_card",
        "block",
        ":card_fingerprint: in @blocked_cards",
        None,
        "Block the cards of the value list @blocked_cards.",
    ),
    Builtin(
        "rule_default_new_card_review",
        "review",
        ":is_new_card: and :amount_in_usd: > {threshold}",
        50000,
        "Review the first payment of a card over this amount (US cents).",
    ),
)
BUILTIN_IDS = {builtin.id: builtin for builtin in BUILTINS}


@dataclasses.dataclass(frozen=True)
class Decision:
    """Parameters:
    action: ``allow``, ``block`` or ``review``.
    rule: The rule that decided; None when none matched (``allow``).
    request_3ds: The ``request_3ds`` rules that matched: ask the gateway for 3-D Secure when any did.
    score, level: The risk score and its level.
    reasons: Why, for a person: each rule that matched, each score contribution, what was missing.
    missing: The attributes the score or an evaluated rule needed that the signals lacked.
    """

    action: str
    rule: Rule | None
    request_3ds: tuple[Rule, ...]
    score: int
    level: str
    reasons: tuple[str, ...]
    missing: frozenset[str]

    def risk(self) -> dict:
        """The payment's ``risk`` object (``degraded`` is the caller's to add: it knows why)."""
        rule = self.rule
        return {
            "score": self.score,
            "level": self.level,
            "rule": rule and {"id": rule.id, "action": rule.action, "predicate": rule.predicate},
            "request_3ds": bool(self.request_3ds),
            "reasons": list(self.reasons),
            "missing": sorted(self.missing),
        }


def score(signals: Mapping[str, object]) -> tuple[int, list[str], set[str]]:
    """The risk score of ``signals``.

    Returns:
      ``(score, reasons, missing)``: each reason one weight's contribution, ``missing`` the weights' absent
      attributes.
    """
    total, reasons, missing = 0, [], set()
    for weight in SCORE_WEIGHTS:
        value = signals.get(weight.attribute)
        if value is None:
            missing.add(weight.attribute)
            continue
        units = int(value) if isinstance(value, int) else 0  # a boolean counts 1
        points = min(weight.cap, weight.points * max(0, units - weight.free))
        if points:
            total += points
            reasons.append(f"score +{points}: :{weight.attribute}: is {value}")
    return min(100, total), reasons, missing


def level(value: int) -> str:
    """``normal``, ``elevated`` or ``highest``."""
    return next(name for lowest, name in LEVELS if value >= lowest)


def decide(
    rules: Sequence[Rule], signals: Mapping[str, object], lists: Mapping[str, Collection[str]]
) -> Decision:
    """Score the payment, then evaluate ``rules`` in Radar's order.

    Parameters:
      rules: The merchant's enabled rules, built-in ones included, each compiled.
      signals: Attribute -> value; ``risk_score`` is added here.
      lists: Alias -> the value list's items (as stored).
    """
    risk_score, reasons, missing = score(signals)
    signals = {**signals, "risk_score": risk_score}
    request_3ds: list[Rule] = []
    decided: Rule | None = None
    for action in ACTIONS:
        for rule in rules:
            if rule.action != action:
                continue
            outcome = language.evaluate(rule.node, signals, lists)
            missing |= outcome.missing
            if outcome.matched:
                reasons.append(f"{rule.action} rule {rule.id} matched: {rule.predicate}")
                if action == "request_3ds":
                    request_3ds.append(rule)
                else:
                    decided = rule
                    break
        if decided:
            break
    if missing:
        reasons.append("missing signals: " + ", ".join(sorted(missing)))
    return Decision(
        action=decided.action if decided else "allow",
        rule=decided,
        request_3ds=tuple(request_3ds),
        score=risk_score,
        level=level(risk_score),
        reasons=tuple(reasons),
        missing=frozenset(missing),
    )
