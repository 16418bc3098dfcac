"""``store.merchants``: what a new payment reads of its merchant, and how stale it may be."""

from store import merchants
from store.merchants import PaymentRules, RulesCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_change_made_elsewhere_is_seen_once_the_ttl_has_passed_and_one_made_here_at_once(db, merchant):
    clock = Clock()
    rules = RulesCache(5, clock)
    assert rules.get(merchant) == PaymentRules()  # not stored yet: the defaults
    merchants.update(
        merchant, {"route": ["paypal"], "accepted_currencies": ["USD", "EUR"]}
    )  # another process
    clock.now += 4.9
    assert rules.get(merchant) == PaymentRules()  # within the bound: the cached rules
    clock.now += 0.1
    assert rules.get(merchant) == PaymentRules(("paypal",), frozenset({"USD", "EUR"}))
    merchants.update(merchant, {"route": None})
    rules.forget(merchant)  # what PATCH /merchant does in the process that answered it
    assert rules.get(merchant) == PaymentRules(None, frozenset({"USD", "EUR"}))


def test_a_ttl_of_zero_reads_the_merchant_each_time(db, merchant):
    rules = RulesCache(0, Clock())
    rules.get(merchant)
    merchants.update(merchant, {"route": ["paypal", "stripe"]})
    assert rules.get(merchant).route == ("paypal", "stripe")
