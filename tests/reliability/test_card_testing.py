"""Card testing through real worker processes (issue 15): a bot pays $1 from one IP address with many cards,
mostly declined, among a shop's ordinary customers.  The built-in card-testing rule (5 declines for one IP
address in 10 minutes) blocks the bot's payments once it trips, before any gateway call; every ordinary
payment succeeds; the sandboxes' ledgers hold nothing for a blocked payment.

``PAYWAVE_CARD_TESTING_PAYMENTS`` payments (default 1,000: about 30 s here), one in five the bot's.  The
payments arrive as fast as the API takes them, so a few of the bot's may be screened while the declines
before them are still at the gateway or falling back: ``IN_FLIGHT`` bounds those beyond the threshold.
"""

import os
import time

import pytest

from store.models import Attempt, Payment
from tests.support.api import card_payment
from tests.support.sandbox import Sandbox

PAYMENTS = int(os.environ.get("PAYWAVE_CARD_TESTING_PAYMENTS", 1000))
THRESHOLD = 5  # rule_default_card_testing
THREADS = 2
#: Bot payments a worker may screen before the declines ahead of them are counted: the threads of the
#: stripe pool, and of the PayPal and fallback pools (a soft decline falls back, and is final there).
IN_FLIGHT = 3 * THREADS
BOT_IP = "203.0.113.66"
#: The bot's cards: lost (hard decline), generic and insufficient-funds declines (soft), and one that works.
BOT_CARDS = (
    "4000000000009987",
    "4000000000000002",
    "4000000000009995",
    "4000000000009987",
    "5555555555554444",
)
#: Their failure codes: Stripe's hard decline, and PayPal's after a soft decline fell back to it.
DECLINES = ("lost_card", "card_declined", "generic_decline", "insufficient_funds")
FINAL = ("succeeded", "failed", "canceled")


def body(n: int) -> tuple[bool, dict]:
    """The ``n``-th payment: ``(the bot's?, its body)``."""
    if n % 5 == 4:
        bot = n // 5
        return True, card_payment(
            number=BOT_CARDS[bot % len(BOT_CARDS)],
            amount=100,
            gateway="stripe",
            customer_details={"email": f"bot{bot}@mailinator.test", "ip_address": BOT_IP},
        )
    details = {"email": f"customer{n}@shop.example", "ip_address": f"198.51.{n // 200}.{n % 200 + 1}"}
    number = ("4242424242424242", "5555555555554444")[n % 2]
    return False, card_payment(number=number, amount=1000 + n, gateway="stripe", customer_details=details)


@pytest.mark.chaos
def test_a_card_testing_bot_is_blocked_and_customers_are_not(chaos_api, auth, workers, sandboxes):
    workers("stripe", THREADS)
    workers("paypal", THREADS)  # a soft decline falls back to PayPal
    workers("fallback", THREADS)
    started = time.monotonic()
    bot, customers = [], []
    for n in range(PAYMENTS):
        is_bot, payment = body(n)
        resp = chaos_api.simulate_post("/payments", json=payment, headers=auth)
        assert resp.status_code == 202, resp.text
        (bot if is_bot else customers).append(resp.json["id"])
    deadline = time.monotonic() + 90
    ids = bot + customers
    while open_ := Payment.select().where(Payment.id.in_(ids) & Payment.status.not_in(FINAL)):
        assert time.monotonic() < deadline, [(p.id, p.status, p.gateway) for p in open_][:5]
        time.sleep(0.2)
    seconds = time.monotonic() - started
    found = {p.id: p for p in Payment.select().where(Payment.id.in_(ids))}

    assert [pid for pid in customers if found[pid].status != "succeeded"] == []
    blocked = [pid for pid in bot if found[pid].failure_code == "blocked"]
    reached = [pid for pid in bot if pid not in blocked]
    declined = [pid for pid in reached if found[pid].failure_code in DECLINES]
    assert {found[pid].risk["rule"]["id"] for pid in blocked} == {"rule_default_card_testing"}
    assert THRESHOLD <= len(declined) <= THRESHOLD + IN_FLIGHT, len(declined)
    # Once tripped, tripped: no bot payment after the first blocked one (in arrival order) reached a gateway
    # beyond those already being screened.
    first = bot.index(blocked[0])
    assert len([pid for pid in bot[first:] if pid in reached]) <= IN_FLIGHT
    assert not Attempt.select().where(Attempt.payment_id.in_(blocked)).exists()
    charged = {e["payment_id"] for name in ("stripe", "paypal") for e in Sandbox(sandboxes[name]).ledger()}
    assert charged.isdisjoint(blocked) and set(customers) <= charged
    print(
        f"\ncard testing: {PAYMENTS} payments in {seconds:.1f} s, bot {len(bot)}: {len(blocked)} blocked, "
        f"{len(declined)} declines reached a gateway ({len(reached)} bot payments in all)"
    )
