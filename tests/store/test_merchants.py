"""``store.merchants``: what a new payment reads of its merchant, and how stale it may be."""

from store import merchants
from store.db import open_database
from store.merchants import PaymentRules, RulesCache
from store.migrate import migrate
from store.models import Merchant


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


def test_a_merchant_stored_in_one_database_is_stored_again_in_the_next_one_bound(
    db, database_url, merchant, tmp_path
):
    """The process remembers which merchants it stored per database: a test's own database (the browser
    stack's), bound after the run's, gets its merchant even though the run's has it already."""
    merchants.ensure(merchant)
    assert Merchant.get_or_none(Merchant.id == merchant) is not None
    scratch = open_database(f"sqlite:///{tmp_path}/paywave.db")
    try:
        migrate()
        merchants.ensure(merchant)
        assert Merchant.get_by_id(merchant).display_name == merchant
    finally:
        scratch.close()
        open_database(database_url)
