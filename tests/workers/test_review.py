"""Payments that wait for a person: the CVC is erased on every path that ends or abandons the first
authorization, and what the machine cannot settle lands in ``requires_review``, where the sweeper leaves
it."""

import dataclasses
import datetime
import time

import pytest

from store import attempts, payments
from store.models import Attempt, AuditEvent, Event, Payment, utcnow
from tests.support.api import card_payment
from tests.support.sandbox import wait_status
from workers.actors.sweeper import sweep


def stored(fleet, merchant, tag, status="pending", number="4242424242424242", **columns):
    """A payment written straight to the database, with its card (and CVC) sealed."""
    pid = "pay_" + tag + merchant[-12:].rjust(24 - len(tag), "0")
    card = fleet.context.vault.seal_card(pid, number, 12, 2031, "123")
    card.update(columns.pop("card", {}))
    Payment.create(
        id=pid,
        merchant_id=merchant,
        status=status,
        amount=700,
        currency="USD",
        capture="automatic",
        route="stripe,paypal",
        metadata={},
        **card,
        **columns,
    )
    return pid


def unknown_past_replay_window(fleet, merchant, tag):
    """A processing payment whose charge's outcome is unknown and older than the gateway's key memory."""
    pid = stored(fleet, merchant, tag, status="processing", gateway="stripe")
    long_ago = utcnow() - datetime.timedelta(hours=30)
    Attempt.create(
        id="att_" + tag + merchant,
        payment_id=pid,
        number=1,
        gateway="stripe",
        operation="charge",
        idempotency_key=attempts.idempotency_key(pid, 1),
        status="unknown",
        tries=1,
        created_at=long_ago,
        updated_at=long_ago,
    )
    fleet.actors["process_payment"].send(pid, "stripe")
    return wait_status(pid, ("requires_review",))


def dead_letter(fleet, pid, times):
    """Send ``process_payment`` with no retries until the payment's jobs have dead-lettered ``times``
    times."""
    marked = Event.select().where((Event.payment_id == pid) & (Event.type == "payment.dead_lettered"))
    for n in range(marked.count() + 1, times + 1):
        fleet.actors["process_payment"].send_with_options(args=(pid, "stripe"), max_retries=0)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and marked.count() < n:
            time.sleep(0.05)
        assert marked.count() == n
    return Payment.get_by_id(pid)


def undecryptable(fleet, merchant, tag):
    """A payment whose job can never succeed: its card no longer decrypts."""
    return stored(fleet, merchant, tag, card={"card_ciphertext": "A" * 40})


def pay(api, auth, number, **extra):
    return wait_status(
        api.simulate_post("/payments", json=card_payment(number=number, **extra), headers=auth).json["id"]
    )


PATHS = {
    "succeeded": lambda fleet, api, auth, merchant: pay(api, auth, "4242424242424242"),
    "authorized": lambda fleet, api, auth, merchant: pay(api, auth, "4242424242424242", capture="manual"),
    "failed_hard_decline": lambda fleet, api, auth, merchant: pay(api, auth, "4000000000009987"),
    "failed_after_fallback": lambda fleet, api, auth, merchant: pay(api, auth, "4000000000000002"),
    "canceled_while_pending": lambda fleet, api, auth, merchant: payments.cancel(
        merchant, stored(fleet, merchant, "cancel"), livemode=True
    )[0],
    "replay_window_given_up": lambda fleet, api, auth, merchant: unknown_past_replay_window(
        fleet, merchant, "replay"
    ),
    "dead_lettered_unprocessable": lambda fleet, api, auth, merchant: dead_letter(
        fleet, undecryptable(fleet, merchant, "dlq"), attempts.DEAD_LETTERS_BEFORE_REVIEW
    ),
    "settled_by_an_operator": lambda fleet, api, auth, merchant: payments.settle(
        stored(fleet, merchant, "settle", status="requires_review", review_reason="dead_lettered"),
        "failed",
        "ticket-1",
        None,
    )[0],
}


@pytest.mark.parametrize("path", PATHS)
def test_the_cvc_is_erased_on_every_path_that_ends_the_first_authorization(path, fleet, api, auth, merchant):
    payment = PATHS[path](fleet, api, auth, merchant)
    assert payment.status in ("succeeded", "requires_capture", "failed", "canceled", "requires_review")
    assert Payment.get_by_id(payment.id).cvc_ciphertext is None


def test_an_unknown_outcome_past_the_replay_window_awaits_a_person_and_the_sweeper_leaves_it(
    fleet, merchant, stripe
):
    payment = unknown_past_replay_window(fleet, merchant, "review")
    assert (payment.review_reason, payment.gateway) == ("unknown_outcome_past_replay_window", "stripe")
    assert (
        Attempt.get(Attempt.payment_id == payment.id).tries == 1 and stripe.ledger(payment.id) == []
    )  # never replayed
    assert (
        Event.select()
        .where((Event.payment_id == payment.id) & (Event.type == "payment.requires_review"))
        .exists()
    )
    cached = fleet.context.cache.get_payment(merchant, True, payment.id)
    assert b'"status":"requires_review"' in cached
    # Untouched for an hour: the sweeper would drive a processing payment, never one that awaits a person.
    Payment.update(updated_at=utcnow() - datetime.timedelta(hours=1)).where(
        Payment.id == payment.id
    ).execute()
    ctx = dataclasses.replace(
        fleet.context, config=dataclasses.replace(fleet.context.config, stuck_after_seconds=60)
    )
    assert payment.id not in [p.id for p in attempts.stuck(60)[0]]
    sweep(ctx)
    assert Payment.get_by_id(payment.id).status == "requires_review"


def test_a_payment_that_keeps_dead_lettering_awaits_a_person(fleet, merchant):
    pid = undecryptable(fleet, merchant, "again")
    once = dead_letter(fleet, pid, 1)
    assert once.status == "processing" and once.review_reason is None  # one dead letter: still driven again
    assert pid in [p.id for p in attempts.stuck(0)[0]]
    payment = dead_letter(fleet, pid, attempts.DEAD_LETTERS_BEFORE_REVIEW)
    assert (payment.status, payment.review_reason) == ("requires_review", "dead_lettered")
    assert pid not in [p.id for p in attempts.stuck(0)[0]]
    assert b'"status":"requires_review"' in fleet.context.cache.get_payment(merchant, True, pid)
    assert (
        AuditEvent.select().where(AuditEvent.object_id == pid).count() == 0
    )  # machines move it there (unaudited: events tell); people move it on
