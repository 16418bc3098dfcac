"""The signals the fraud decision learns from outside the payment (issue 15): the card's country and funding
from Stripe's answer on the card's earlier payment, the IP address's country from the operator's GeoIP
database, the amount in US cents at the operator's rates; a payment decided on again (its claim rolled back)
counted once; and every decision in ``paywave_risk_decisions_total``."""

import contextlib
import dataclasses
import time

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from prometheus_client import REGISTRY

from shared.config import ConfigError
from shared.radar import usd
from shared.radar.geoip import GeoIP
from store.models import CardFacts, Payment
from tests.support.api import pay
from tests.support.sandbox import wait_status
from workers.radar import Radar

BRAZIL = "4000000760000002"  # Stripe's documented test cards: issuer country and funding
US_DEBIT = "4000056655665556"


def rule(api, auth, action, predicate):
    resp = api.simulate_post("/radar/rules", json={"action": action, "predicate": predicate}, headers=auth)
    assert resp.status_code == 201, resp.text


def learned(payment, timeout=30.0):
    """The card's facts, once the worker kept them (after it committed the payment's outcome)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = CardFacts.get_or_none(
            CardFacts.merchant_id == payment.merchant_id,
            CardFacts.card_fingerprint == payment.card_fingerprint,
        )
        if row is not None:
            return row
        time.sleep(0.05)
    raise AssertionError(f"nothing learned of the card of {payment.id}")


@contextlib.contextmanager
def radar_with(fleet, **changes):
    """The fleet's decision with other rates or GeoIP database for the block (restored after)."""
    radar = fleet.context.radar
    before = {name: getattr(radar, name) for name in changes}
    for name, value in changes.items():
        setattr(radar, name, value)
    try:
        yield radar
    finally:
        for name, value in before.items():
            setattr(radar, name, value)


def test_a_cards_country_and_funding_are_learned_from_stripe_for_its_next_payment(api, auth, stripe):
    rule(api, auth, "block", ":card_country: = 'BR'")
    first = wait_status(pay(api, auth, number=BRAZIL, gateway="stripe"))
    # Nothing known before the first answer: a rule over an unknown attribute does not match.
    assert first.status == "succeeded" and "card_country" not in first.risk["signals"]
    facts = learned(first)
    assert (facts.country, facts.funding, facts.gateway) == ("BR", "credit", "stripe")
    second = wait_status(pay(api, auth, number=BRAZIL, gateway="stripe"))
    assert (second.status, second.failure_code) == ("failed", "blocked")
    assert (
        second.risk["signals"]["card_country"] == "BR" and second.risk["signals"]["card_funding"] == "credit"
    )
    assert stripe.ledger(second.id) == []  # known before any gateway call
    debit = wait_status(pay(api, auth, number=US_DEBIT, gateway="stripe"))
    assert (learned(debit).country, learned(debit).funding) == ("US", "debit")
    again = wait_status(pay(api, auth, number=US_DEBIT, gateway="stripe"))
    assert again.status == "succeeded" and again.risk["signals"]["card_funding"] == "debit"


def test_the_amount_in_usd_is_converted_at_the_operators_rate_and_summed(api, auth, fleet):
    with radar_with(fleet, rates=usd.parse(["EUR:1.08", "JPY:0.0067"])):
        eur = wait_status(pay(api, auth, gateway="stripe", amount=1050, currency="EUR"))
        jpy = wait_status(pay(api, auth, gateway="stripe", amount=1000, currency="JPY"))
        dollars = wait_status(pay(api, auth, gateway="stripe", amount=100, currency="USD"))
        gbp = wait_status(pay(api, auth, gateway="stripe", amount=100, currency="GBP"))
    # 10.50 EUR at 1.08 = 11.34 USD; 1000 JPY at 0.0067 = 6.70 USD; the rate used is kept beside it.
    assert (eur.risk["signals"]["amount_in_usd"], eur.risk["signals"]["usd_rate"]) == (1134, "1.08")
    assert jpy.risk["signals"]["amount_in_usd"] == 670
    assert dollars.risk["signals"]["amount_in_usd"] == 100 and "usd_rate" not in dollars.risk["signals"]
    assert dollars.risk["signals"]["card_amount_10m"] == 1134 + 670 + 100  # the velocity sums in US cents
    assert "amount_in_usd" not in gbp.risk["signals"]  # no rate: unknown, and adds nothing
    assert gbp.risk["signals"]["card_amount_10m"] == 1134 + 670 + 100


def test_the_ip_country_comes_from_the_operators_geoip_database(api, auth, fleet, tmp_path):
    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "NL"}})
    writer.insert_network(IPSet(["2001:db8::/32"]), {"registered_country": {"iso_code": "DE"}})
    path = tmp_path / "country.mmdb"
    writer.to_db_file(str(path))
    rule(api, auth, "block", ":ip_country: in ('DE')")
    with radar_with(fleet, geoip=GeoIP(str(path))):
        dutch = wait_status(pay(api, auth, customer_details={"ip_address": "203.0.113.50"}))
        german = wait_status(pay(api, auth, customer_details={"ip_address": "2001:db8::7"}))
        elsewhere = wait_status(pay(api, auth, customer_details={"ip_address": "198.51.100.1"}))
    assert dutch.status == "succeeded" and dutch.risk["signals"]["ip_country"] == "NL"
    assert (german.failure_code, german.risk["signals"]["ip_country"]) == ("blocked", "DE")
    assert elsewhere.status == "succeeded" and "ip_country" not in elsewhere.risk["signals"]
    # Unset: unknown, as without a database.
    assert (
        "ip_country"
        not in wait_status(pay(api, auth, customer_details={"ip_address": "2001:db8::7"})).risk["signals"]
    )


def test_a_missing_or_corrupt_geoip_database_is_a_config_error_at_start(worker_config, tmp_path):
    corrupt = tmp_path / "corrupt.mmdb"
    corrupt.write_bytes(b"not a MaxMind database")
    for path in (tmp_path / "missing.mmdb", corrupt):
        with pytest.raises(ConfigError, match="PAYWAVE_GEOIP_DB"):
            Radar.from_config(dataclasses.replace(worker_config, geoip_db=str(path)))


def test_a_payment_decided_on_again_is_counted_once(api, auth, fleet, stripe):
    """The claim's transaction can roll back after the counters ran: the retried job decides again."""
    payment = wait_status(pay(api, auth, gateway="stripe", customer_details={"ip_address": "203.0.113.8"}))
    radar = fleet.context.radar
    first = payment.risk["signals"]
    again = radar.assess(Payment.get_by_id(payment.id))[1]["signals"]  # the card's country known since
    assert (
        {name: again[name] for name in first} == first
        and first["card_count_10m"] == 1
        and first["is_new_card"] is True
    )
    other = wait_status(pay(api, auth, gateway="stripe", customer_details={"ip_address": "203.0.113.8"}))
    assert other.risk["signals"]["ip_count_10m"] == 2 and other.risk["signals"]["is_new_card"] is False


def test_every_decision_is_counted_by_its_action(api, auth):
    def decisions(action):
        sample = REGISTRY.get_sample_value(
            "paywave_risk_decisions_total", {"action": action, "degraded": "false"}
        )
        return sample or 0

    before = decisions("block"), decisions("none")
    rule(api, auth, "block", ":amount: = 4321")
    assert wait_status(pay(api, auth, amount=4321)).failure_code == "blocked"
    assert wait_status(pay(api, auth, amount=1234)).status == "succeeded"
    assert (decisions("block"), decisions("none")) == (before[0] + 1, before[1] + 1)
