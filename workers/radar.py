"""The fraud decision, taken once per payment before any gateway call (issue 15).

When a worker first claims a payment from ``pending`` it builds the payment's signals (``signals``), counts
it in the velocity counters and reads them back in one Redis round trip (``Counters.record``), scores it and
evaluates the merchant's enabled rules (``shared.radar.decide``), and writes ``risk`` on the payment in the
claim's transaction.  Redis unreachable: the decision goes on without the counters (rules over them are
unknown, so they never fire) and says so (``risk.degraded``); the pipeline never waits for Redis.

``:amount_in_usd:`` is the amount in US cents: a USD payment's own, another currency's at the operator's
rate (``PAYWAVE_USD_RATES``, ``shared.radar.usd``; the rate used is kept in the signals as ``usd_rate``), none
for a currency without a rate (a rule over it does not match, and it adds nothing to the ``*_amount_*`` sums).
``:ip_country:`` comes from the operator's country database (``PAYWAVE_GEOIP_DB``, ``shared.radar.geoip``).
``:card_country:`` and ``:card_funding:`` are what a gateway told of the card on an earlier payment of the
merchant and mode (``learn_card``, kept by ``store.radar``): the first payment of a card knows neither.
"""

import threading
import time
from collections.abc import Mapping
from decimal import Decimal

from gateways.base import Gateway, GatewayPayment
from gateways.errors import GatewayError, HardDeclineError, SoftDeclineError
from shared import metrics
from shared.config import Config
from shared.logging import worker_log
from shared.radar import language, usd
from shared.radar.counters import Counters, CountersUnavailable
from shared.radar.decide import Decision, Rule, decide
from shared.radar.geoip import GeoIP
from store import attempts, radar, reviews
from store.models import Attempt, Payment
from store.states import PaymentStatus

#: How long a worker keeps a merchant's rules and the lists they read (a change applies within it).
RULES_SECONDS = 5.0
#: The signals a gateway's earlier answer gives (``store.radar.card_facts``), in its order.
CARD_FACTS = ("card_country", "card_funding")
#: ``risk.three_d_secure`` when a ``request_3ds`` rule matched.
REQUESTED, SKIPPED = "requested", "skipped: no customer present"
#: The attempts' ``error_class`` of a decline, counted by ``Radar.record_decline``.
DECLINES = (SoftDeclineError.error_class, HardDeclineError.error_class)


def signals(
    payment: Payment, rates: Mapping[str, Decimal] | None = None, geoip: GeoIP | None = None
) -> dict[str, object]:
    """The signals of ``payment`` itself, the velocity counters and the card's facts aside (``assess``); a
    signal not known is left out.

    Parameters:
      rates: US dollars per unit of a currency (``PAYWAVE_USD_RATES``).
      geoip: The country database (``PAYWAVE_GEOIP_DB``); None: no ``ip_country``.
    """
    details = payment.customer_details or {}
    email, ip = details.get("email"), details.get("ip_address")
    rate = usd.rate(payment.currency, rates or {})
    found = {
        "amount": payment.amount,
        "amount_in_usd": None if rate is None else usd.to_cents(payment.amount, payment.currency, rate),
        "usd_rate": None if rate is None or payment.currency == "USD" else str(rate),
        "currency": payment.currency,
        "card_bin": payment.card_bin,
        "card_brand": payment.card_brand,
        "card_fingerprint": payment.card_fingerprint,
        "email": email and email.lower(),
        "email_domain": email and email.rpartition("@")[2].lower(),
        "ip_address": ip,
        "ip_country": geoip.country(ip) if geoip is not None and ip else None,
        "customer": payment.customer,
    }
    return {name: value for name, value in found.items() if value is not None}


class Radar:
    """Parameters:
    counters: The velocity counters (``Counters.from_config``).
    rates: US dollars per unit of other currencies (``PAYWAVE_USD_RATES``).
    geoip: The country database (``PAYWAVE_GEOIP_DB``), opened once per process; None: not configured.
    """

    def __init__(
        self, counters: Counters, rates: Mapping[str, Decimal] | None = None, geoip: GeoIP | None = None
    ) -> None:
        self.counters = counters
        self.rates = dict(rates or {})
        self.geoip = geoip
        self._rules: dict[tuple[str, bool], tuple[float, list[Rule], dict[str, set[str]]]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Config) -> "Radar":
        """Raises:
        ConfigError: ``PAYWAVE_GEOIP_DB`` names no readable database.
        """
        return cls(Counters.from_config(config), usd.parse(config.usd_rates), GeoIP.from_config(config))

    def rules(self, merchant_id: str, livemode: bool) -> tuple[list[Rule], dict[str, set[str]]]:
        """The merchant's enabled rules and the value lists they name, kept ``RULES_SECONDS``."""
        key = (merchant_id, livemode)
        with self._lock:
            kept = self._rules.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1], kept[2]
        rules = radar.enabled_rules(merchant_id, livemode)
        aliases = set().union(*(language.aliases_in(rule.node) for rule in rules))
        lists = radar.values(merchant_id, livemode, aliases) if aliases else {}
        with self._lock:
            self._rules[key] = (time.monotonic() + RULES_SECONDS, rules, lists)
        return rules, lists

    def assess(self, payment: Payment, now: float | None = None) -> tuple[Decision, dict]:
        """Decide on ``payment``, counting it in the velocity counters.

        Parameters:
          now: Unix time for the counters (tests move it); default the clock.

        Returns:
          ``(decision, risk)``: ``risk`` the payment's ``risk`` object, signals and ``degraded`` included.
        """
        found = signals(payment, self.rates, self.geoip)
        degraded = False
        amount_in_usd = found.get("amount_in_usd", 0)
        assert isinstance(amount_in_usd, int)
        try:
            found |= self.counters.record(radar.subject(payment, amount_in_usd), now)
        except CountersUnavailable as exc:
            degraded = True
            worker_log.warning("radar_degraded", payment_id=payment.id, reason=str(exc))
        # A card the merchant never saw has taught nothing yet: no query for it (most of a shop's cards).
        card = radar.card_facts(payment) if found.get("is_new_card") is not True else None
        if card is not None:
            found |= {name: value for name, value in zip(CARD_FACTS, card, strict=True) if value is not None}
        rules, lists = self.rules(payment.merchant_id, bool(payment.livemode))
        decision = decide(rules, found, lists)
        three_ds = None
        if decision.request_3ds:
            three_ds = REQUESTED if payment.return_url else SKIPPED
        risk = {**decision.risk(), "three_d_secure": three_ds, "degraded": degraded, "signals": found}
        action = decision.rule.action if decision.rule else "none"
        metrics.risk_decisions.labels(action, str(degraded).lower()).inc()
        return decision, risk

    def record_decline(self, payment: Payment) -> None:
        """Count a declined payment for its card and IP address; Redis down: not counted (logged)."""
        try:
            self.counters.record_decline(radar.subject(payment))
        except CountersUnavailable as exc:
            worker_log.warning("radar_decline_not_counted", payment_id=payment.id, reason=str(exc))


def screen(rad: Radar, payment: Payment, history: list[Attempt]) -> bool:
    """Decide on the locked ``pending`` payment, in the claim's transaction: ``risk`` is set on it (saved
    with the claim), a ``review`` opens a review (``store.reviews``) and a ``block`` fails it at once
    (``blocked``, ``payment.failed``).

    Parameters:
      history: The payment's attempts (none yet: it was never sent to a gateway).

    Returns:
      False when the payment was blocked: no gateway may be called.
    """
    decision, payment.risk = rad.assess(payment)
    rule = decision.rule
    if decision.action == "review" and rule is not None:
        reviews.open_(payment, rule.id)
    if decision.action != "block":
        return True
    assert rule is not None  # only a rule blocks
    attempts.save(
        payment,
        status=PaymentStatus.FAILED,
        event="payment.failed",
        attempts=history,
        failure_code="blocked",
        failure_message=f"blocked by the fraud rule {rule.id}: {rule.predicate}",
    )
    return False


def learn_card(gw: Gateway, payment: Payment, result: GatewayPayment) -> None:
    """After ``gw`` authorized or charged ``payment`` (committed): ask it once for the card's country and
    funding when the merchant's earlier payments never taught them, and keep them for the card's next
    payment (``store.radar.learn_card``).  A failed read is logged and leaves them unknown: it is no part
    of the payment.  Facts the decision already knew (``risk.signals``) are not read again."""
    known = (payment.risk or {}).get("signals", {})
    if not payment.card_fingerprint or any(name in known for name in CARD_FACTS):
        return
    if radar.card_facts(payment) is not None:
        return
    try:
        facts = gw.card_facts(result.reference)
    except GatewayError as exc:
        worker_log.warning("card_facts_unread", payment_id=payment.id, gateway=gw.name, error=exc.code)
        return
    if facts is not None:
        radar.learn_card(payment, gw.name, facts.country, facts.funding)


def requests_3ds(payment: Payment) -> bool:
    """Whether the gateway is to be asked for 3-D Secure: a ``request_3ds`` rule matched and a customer is
    present to answer the challenge (``risk.three_d_secure``)."""
    return bool(payment.risk) and payment.risk.get("three_d_secure") == REQUESTED
