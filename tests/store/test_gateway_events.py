"""Gateway events folded into payments: stored once, forward only, refunds counted once, by the rules alone
(events built here; the sandboxes' own deliveries are in ``tests/workers/test_gateway_events.py``)."""

import datetime

import orjson
import peewee
import pytest

from gateways.base import Fact
from shared.ids import new_id
from shared.radar.counters import digest
from store import attempts, gateway_events
from store.db import database
from store.models import Attempt, Event, FraudLabel, GatewayEvent, OutboxJob, Payment, Refund, utcnow


@pytest.fixture(autouse=True)
def _db(db):
    last = OutboxJob.select(peewee.fn.MAX(OutboxJob.id)).scalar() or 0
    yield
    # Nothing consumes this test's jobs: keep them from reaching another package's queues.
    OutboxJob.delete().where(OutboxJob.id > last).execute()


def payment(merchant, status="processing", attempt="unknown", reference=None, captured=0, gateway="stripe"):
    now = utcnow()
    p = Payment.create(
        id=new_id("pay"),
        merchant_id=merchant,
        status=status,
        amount=1000,
        amount_captured=captured,
        currency="USD",
        capture="automatic",
        route="stripe,paypal",
        gateway=gateway,
        gateway_reference=reference,
        card_brand="visa",
        card_last4="4242",
        card_exp_month=12,
        card_exp_year=2031,
        card_fingerprint="fp",
        card_key_id="dev",
        card_ciphertext="sealed",
        cvc_ciphertext="sealed-cvc",
        created_at=now,
        updated_at=now,
    )
    if attempt:
        a = attempts.start_attempt(p, gateway, "charge", 1000)
        a.status = attempt
        a.save()
    return p


def stripe_event(type_, **obj):
    return {"id": new_id("evt"), "object": "event", "type": type_, "data": {"object": obj}}


def intent(p, status="succeeded", **extra):
    return {
        "id": p.gateway_reference or "pi_" + p.id,
        "object": "payment_intent",
        "status": status,
        "amount_received": 1000 if status == "succeeded" else 0,
        "metadata": {"payment_id": p.id},
        **extra,
    }


def refund(p, refund_id="re_1", amount=300, status="succeeded"):
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "status": status,
        "payment_intent": p.gateway_reference,
        "metadata": {"payment_id": p.id},
    }


def deliver(event, gateway="stripe"):
    """Receive then apply, as ingress and actor do; returns the stored event row."""
    type_ = event["type"] if gateway == "stripe" else event["event_type"]
    assert gateway_events.receive(gateway, event["id"], type_, orjson.dumps(event).decode())
    gateway_events.apply(gateway, event["id"])
    return GatewayEvent.get(GatewayEvent.event_id == event["id"])


def fresh(p):
    return Payment.get_by_id(p.id)


def events_of(p):
    return [e.type for e in Event.select().where(Event.payment_id == p.id).order_by(Event.created_at)]


def test_an_event_is_received_once(merchant):
    event = stripe_event("payment_intent.succeeded", id="pi_x", object="payment_intent")
    body = orjson.dumps(event).decode()
    assert gateway_events.receive("stripe", event["id"], event["type"], body) is True
    assert gateway_events.receive("stripe", event["id"], event["type"], body) is False
    assert [j.args for j in OutboxJob.select() if event["id"] in j.args] == [["stripe", event["id"]]]
    # A PayPal transmission id is only claimed: another event under it is stored, and verified like any other.
    assert gateway_events.receive(
        "paypal", "WH-1" + event["id"], "X", "{}", {}, transmission_id="t-" + event["id"]
    )
    assert gateway_events.receive(
        "paypal", "WH-2" + event["id"], "X", "{}", {}, transmission_id="t-" + event["id"]
    )


def test_a_charge_completed_later_succeeds_the_payment_once(merchant):
    p = payment(merchant)
    row = deliver(stripe_event("payment_intent.succeeded", **intent(p)))

    done = fresh(p)
    assert (row.status, row.payment_id, row.applied_at is not None) == ("applied", p.id, True)
    assert (done.status, done.amount_captured, done.gateway_reference, done.cvc_ciphertext) == (
        "succeeded",
        1000,
        "pi_" + p.id,
        None,
    )
    assert Attempt.get(Attempt.payment_id == p.id).status == "succeeded"
    again = deliver(
        stripe_event("payment_intent.succeeded", **intent(done))
    )  # the same news, another event id
    assert (again.status, again.detail) == ("ignored", "already succeeded")
    assert fresh(p).version == done.version and events_of(p) == ["payment.succeeded"]


@pytest.mark.parametrize(
    "status, attempt, type_, reason",
    [
        (
            "succeeded",
            "succeeded",
            "payment_intent.amount_capturable_updated",
            "would move succeeded to requires_capture",
        ),
        ("failed", "declined", "payment_intent.succeeded", "would move failed to succeeded"),
        ("processing", "declined", "payment_intent.succeeded", "our stripe attempt is declined"),
    ],
)
def test_an_event_never_moves_a_payment_backwards_nor_past_our_records(
    merchant, status, attempt, type_, reason
):
    p = payment(merchant, status, attempt, reference="pi_held")
    row = deliver(
        stripe_event(type_, **intent(p, "requires_capture" if "capturable" in type_ else "succeeded"))
    )

    assert (row.status, row.detail) == ("ignored", reason)
    assert (fresh(p).status, fresh(p).version) == (status, p.version)


def test_an_event_about_another_charge_or_gateway_is_ignored(merchant):
    p = payment(merchant, reference="pi_ours")
    other = deliver(stripe_event("payment_intent.succeeded", **intent(p, id="pi_other")))
    elsewhere = deliver(
        stripe_event("payment_intent.succeeded", **intent(payment(merchant, gateway="paypal")))
    )

    assert (other.status, other.detail) == ("ignored", "about pi_other, not our pi_ours")
    assert (elsewhere.status, elsewhere.detail) == ("ignored", "the payment is held by paypal")
    assert fresh(p).status == "processing"


def test_an_event_is_placed_by_its_reference_and_a_foreign_payment_id_in_it_never_selects_that_payment(
    merchant,
):
    """``metadata.payment_id`` was merchant-writable: on another merchant's PaymentIntent it must not reach
    ours."""
    victim = payment(merchant)  # our call timed out: its PaymentIntent id is not known yet
    paid = payment("m_other", "succeeded", "succeeded", reference="pi_theirs", captured=1000)
    forged = {"metadata": {"payment_id": victim.id}}
    charged = deliver(stripe_event("payment_intent.succeeded", **intent(paid, **forged)))
    refunded = deliver(stripe_event("refund.created", **{**refund(paid, "re_theirs"), **forged}))
    disputed = deliver(
        stripe_event("charge.dispute.created", id="dp_x", object="dispute", payment_intent=None, **forged)
    )

    assert [(e.status, e.detail) for e in (charged, refunded)] == [
        ("ignored", f"names payment {victim.id}, not {paid.id} that holds pi_theirs")
    ] * 2
    # No reference: Stripe's metadata alone places nothing.
    assert (disputed.status, disputed.detail) == ("ignored", "no payment of ours")
    assert (fresh(victim).version, fresh(paid).version) == (victim.version, paid.version)
    assert events_of(victim) == events_of(paid) == []


def test_a_paypal_event_without_a_reference_is_placed_by_the_custom_id_only_we_write(merchant):
    p = payment(merchant, "succeeded", "succeeded", reference="ORDER-1", captured=1000, gateway="paypal")
    money = {"currency_code": "USD", "value": "2.50"}
    refunded = deliver(
        {
            "id": "WH-" + new_id("r"),
            "event_type": "PAYMENT.CAPTURE.REFUNDED",
            "resource": {"id": "RF-1", "status": "COMPLETED", "amount": money, "custom_id": p.id},
        },
        "paypal",
    )
    disputed = deliver(
        {
            "id": "WH-" + new_id("d"),
            "event_type": "CUSTOMER.DISPUTE.CREATED",
            "resource": {"disputed_transactions": [{"seller_transaction_id": "CAP-1", "custom": p.id}]},
        },
        "paypal",
    )

    assert (refunded.status, disputed.status) == ("applied", "applied")
    assert (fresh(p).amount_refunded, fresh(p).disputed) == (250, True)


def test_a_decline_makes_the_worker_ask_again_when_our_outcome_is_unknown(merchant):
    unknown, running = payment(merchant), payment(merchant, attempt="started")
    applied = deliver(
        stripe_event("payment_intent.payment_failed", **intent(unknown, "requires_payment_method"))
    )
    ignored = deliver(
        stripe_event("payment_intent.payment_failed", **intent(running, "requires_payment_method"))
    )

    assert applied.status == "applied" and fresh(unknown).status == "processing"
    assert [(j.queue_name, j.actor_name, j.args) for j in OutboxJob.select() if unknown.id in j.args] == [
        ("payments.stripe", "process_payment", [unknown.id, "stripe"])
    ]
    assert ignored.status == "ignored" and fresh(running).version == running.version


def test_a_refund_is_counted_once_whoever_made_it_and_never_beyond_the_capture(merchant):
    p = payment(merchant, "succeeded", "succeeded", reference="pi_paid", captured=1000)
    first = deliver(stripe_event("refund.created", **refund(p, "re_a", 300)))
    again = deliver(stripe_event("refund.updated", **refund(p, "re_a", 300)))
    too_much = deliver(stripe_event("refund.created", **refund(p, "re_b", 800)))

    assert (first.status, again.status, again.detail) == ("applied", "ignored", "refund re_a already counted")
    assert too_much.status == "ignored" and fresh(p).amount_refunded == 300
    ours = Refund.get(Refund.gateway_reference == "re_a")
    assert (ours.payment_id, ours.amount, ours.status) == (p.id, 300, "succeeded")
    failed = deliver(stripe_event("refund.failed", **refund(p, "re_a", 300, "failed")))
    assert (
        failed.status == "applied"
        and fresh(p).amount_refunded == 0
        and Refund.get_by_id(ours.id).status == "failed"
    )
    assert events_of(p) == ["payment.refunded", "payment.refund_failed"]


def test_a_refund_event_waits_for_our_own_refund_job(merchant):
    p = payment(merchant, "succeeded", "succeeded", reference="pi_paid", captured=1000)
    now = utcnow()
    ours = Refund.create(
        id=new_id("re"),
        payment_id=p.id,
        merchant_id=merchant,
        amount=400,
        currency="USD",
        status="pending",
        created_at=now,
        updated_at=now,
    )
    event = stripe_event("refund.created", **refund(p, "re_job", 400))
    assert gateway_events.receive("stripe", event["id"], event["type"], orjson.dumps(event).decode())

    with pytest.raises(gateway_events.NotYet):
        gateway_events.apply("stripe", event["id"])
    assert gateway_events.received("stripe", event["id"]) is not None  # nothing written
    with database.atomic():  # what refund_payment records when the gateway answers
        ours.status, ours.gateway_reference = "succeeded", "re_job"
        ours.save()
        attempts.save(attempts.lock(p.id), event="payment.refunded", amount_refunded=400)
    assert gateway_events.apply("stripe", event["id"]) is None
    assert GatewayEvent.get(GatewayEvent.event_id == event["id"]).detail == "refund re_job already counted"
    assert fresh(p).amount_refunded == 400


def test_a_dispute_marks_the_payment_once(merchant):
    p = payment(merchant, "succeeded", "succeeded", reference="pi_disputed", captured=1000)
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": "pi_disputed", "metadata": {}}
    first = deliver(stripe_event("charge.dispute.created", **dispute))  # found by the PaymentIntent id
    again = deliver(stripe_event("charge.dispute.created", **{**dispute, "id": "dp_2"}))

    assert (first.status, first.payment_id, again.status) == ("applied", p.id, "ignored")
    assert fresh(p).disputed is True and events_of(p) == ["payment.disputed"]
    # Its card is labelled fraudulent, durably and (by the job) in Redis; the second delivery adds nothing.
    labels = FraudLabel.select().where(FraudLabel.payment_id == p.id)
    assert [(row.dimension, row.digest, row.source) for row in labels] == [("card", digest("fp"), "disputed")]
    jobs = OutboxJob.select().where(OutboxJob.actor_name == "label_fraud")
    assert [job.args for job in jobs if job.args[0] == merchant] == [
        [merchant, p.livemode, [["card", digest("fp")]]]
    ]


def test_events_we_cannot_place_are_ignored(merchant):
    unknown_type = deliver(stripe_event("customer.created", id="cus_1", object="customer"))
    not_ours = deliver(
        stripe_event(
            "payment_intent.succeeded",
            id="pi_nobody",
            object="payment_intent",
            amount_received=5,
            metadata={},
        )
    )
    unreadable = deliver(
        {"id": "WH-" + new_id("x"), "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}}, "paypal"
    )

    assert [e.status for e in (unknown_type, not_ours, unreadable)] == ["ignored"] * 3
    assert not_ours.detail == "no payment of ours" and unreadable.detail.startswith("unreadable")


def test_an_event_never_applied_is_queued_again_once_per_period(merchant):
    p = payment(merchant)
    event = stripe_event("payment_intent.succeeded", **intent(p))
    assert gateway_events.receive("stripe", event["id"], event["type"], orjson.dumps(event).decode())
    jobs = OutboxJob.select().where(OutboxJob.args.contains(event["id"]))
    before = jobs.count()  # the one receive() wrote, as if it had been lost
    with database.atomic():
        # Earlier tests' events left unapplied may be stuck by now (a long run): they are marked, so the next
        # call finds none of theirs; this test's own, if taken here, shows in the job count below.
        gateway_events.redrive_stuck(utcnow() - datetime.timedelta(minutes=5))
        assert gateway_events.redrive_stuck(utcnow() - datetime.timedelta(minutes=5)) == 0  # not stuck yet
    with database.atomic():
        assert gateway_events.redrive_stuck(utcnow() + datetime.timedelta(seconds=1)) >= 1
    assert jobs.count() == before + 1
    with database.atomic():  # marked: the next pass waits a full period
        gateway_events.redrive_stuck(utcnow() - datetime.timedelta(seconds=60))
    assert jobs.count() == before + 1
    gateway_events.apply("stripe", event["id"])
    with database.atomic():  # applied: never again
        gateway_events.redrive_stuck(utcnow() + datetime.timedelta(hours=1))
    assert jobs.count() == before + 1


def test_a_forged_delivery_first_under_a_genuine_id_does_not_block_the_genuine_one(merchant):
    p = payment(merchant, status="succeeded", attempt=None, gateway="paypal")
    genuine = {
        "id": "WH-" + new_id("x"),
        "event_type": "CUSTOMER.DISPUTE.CREATED",
        "resource": {"disputed_transactions": [{"custom": p.id}]},
    }
    forged = {**genuine, "resource": {"disputed_transactions": [{"custom": p.id}], "note": "forged"}}

    assert gateway_events.receive(
        "paypal", genuine["id"], genuine["event_type"], orjson.dumps(forged).decode()
    )
    assert gateway_events.receive(
        "paypal", genuine["id"], genuine["event_type"], orjson.dumps(genuine).decode()
    )
    assert not gateway_events.receive(
        "paypal", genuine["id"], genuine["event_type"], orjson.dumps(genuine).decode()
    )
    first = gateway_events.received("paypal", genuine["id"])
    assert first.payload == orjson.dumps(forged).decode()  # the ops pool verifies each delivery in turn
    assert gateway_events.reject("paypal", genuine["id"], "forged", first.digest)
    second = gateway_events.received("paypal", genuine["id"])
    assert gateway_events.apply("paypal", genuine["id"], second.digest) is not None

    rows = GatewayEvent.select().where(GatewayEvent.event_id == genuine["id"])
    assert sorted((r.status, r.payload == orjson.dumps(genuine).decode()) for r in rows) == [
        ("applied", True),
        ("rejected", False),
    ]
    assert fresh(p).disputed and events_of(p) == ["payment.disputed"]


def test_only_one_delivery_of_an_event_is_ever_applied(merchant):
    p = payment(merchant, status="succeeded", attempt=None, gateway="paypal")
    event = {
        "id": "WH-" + new_id("x"),
        "event_type": "CUSTOMER.DISPUTE.CREATED",
        "resource": {"disputed_transactions": [{"custom": p.id}]},
    }
    # Same event, other bytes.
    for body in (orjson.dumps(event), orjson.dumps(event, option=orjson.OPT_INDENT_2)):
        assert gateway_events.receive("paypal", event["id"], event["event_type"], body.decode())
    digests = [r.digest for r in GatewayEvent.select().where(GatewayEvent.event_id == event["id"])]

    assert [gateway_events.apply("paypal", event["id"], d) is not None for d in digests] == [True, False]
    assert sorted(
        r.detail or "" for r in GatewayEvent.select().where(GatewayEvent.event_id == event["id"])
    ) == ["", "another delivery of this event was applied"]


def test_a_backlog_of_unapplied_events_refuses_new_ones(merchant):
    backlog = (
        GatewayEvent.select()
        .where((GatewayEvent.gateway == "paypal") & (GatewayEvent.status == "received"))
        .count()
    )
    assert gateway_events.receive("paypal", "WH-" + new_id("x"), "X", "{}", unverified_max=backlog + 1)
    refused = "WH-" + new_id("x")
    with pytest.raises(gateway_events.Backlog):
        gateway_events.receive("paypal", refused, "X", "{}", unverified_max=backlog + 1)
    assert not GatewayEvent.select().where(GatewayEvent.event_id == refused).exists()
    assert not OutboxJob.select().where(OutboxJob.args.contains(refused)).exists()


def test_rejected_and_ignored_events_are_purged_after_the_retention(merchant):
    old, recent = utcnow() - datetime.timedelta(days=31), utcnow() - datetime.timedelta(days=29)
    rows = {}
    for status, when in (
        ("rejected", old),
        ("ignored", old),
        ("applied", old),
        ("received", old),
        ("rejected", recent),
    ):
        rows[status, when] = event_id = "WH-" + new_id("x")
        GatewayEvent.create(
            gateway="paypal",
            event_id=event_id,
            digest="d",
            type="X",
            status=status,
            payload="{}",
            received_at=when,
        )

    assert gateway_events.purge_settled(retention_days=30) >= 2
    kept = {r.event_id for r in GatewayEvent.select().where(GatewayEvent.event_id.in_(list(rows.values())))}
    assert kept == {rows["applied", old], rows["received", old], rows["rejected", recent]}


def waiting_for_customer(merchant):
    """A payment whose Stripe charge waits for the customer's 3-D Secure challenge."""
    p = payment(merchant, status="requires_action", attempt="requires_action", reference="pi_" + new_id("x"))
    p.next_action = {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": "https://x", "return_url": "https://y"},
    }
    p.cvc_ciphertext = None
    p.save()
    return p


def test_a_charge_completed_after_the_customer_acted_succeeds_before_they_return(merchant):
    p = waiting_for_customer(merchant)
    row = deliver(stripe_event("payment_intent.succeeded", **intent(p)))

    done = fresh(p)
    assert row.status == "applied"
    assert (done.status, done.amount_captured, done.next_action) == ("succeeded", 1000, None)
    assert Attempt.get(Attempt.payment_id == p.id).status == "succeeded"
    assert events_of(p) == ["payment.succeeded"]


def test_a_decline_or_a_completed_action_while_the_customer_acts_makes_the_worker_read_the_gateway(merchant):
    declined, approved = waiting_for_customer(merchant), waiting_for_customer(merchant)
    row = deliver(
        stripe_event("payment_intent.payment_failed", **intent(declined, "requires_payment_method"))
    )
    with database.atomic():  # PayPal's CHECKOUT.ORDER.APPROVED, as its Webhooks.read gives it
        locked = attempts.lock(approved.id)
        gateway_events.HANDLERS["action_completed"]("stripe", locked, Fact("action_completed"))

    for p in (declined, approved):
        assert (
            fresh(p).status == "requires_action" and events_of(p) == []
        )  # only the gateway's answer moves it
        assert [(j.actor_name, j.args) for j in OutboxJob.select() if p.id in j.args] == [
            ("process_payment", [p.id, "stripe"])
        ]
    assert row.status == "applied"
    done = payment(merchant, status="succeeded", attempt="succeeded", reference="pi_done")
    with database.atomic(), pytest.raises(gateway_events.Ignored):
        gateway_events.HANDLERS["action_completed"](
            "stripe", attempts.lock(done.id), Fact("action_completed")
        )
