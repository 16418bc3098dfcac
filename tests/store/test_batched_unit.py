"""A batched unit of work (a worker's claim and finish of a payment): its writes go with the COMMIT, all or
nothing, and the locked payment comes with its attempts in one read."""

import pytest

from store import attempts, payments
from store.db import database
from store.models import Attempt, Event, Payment
from store.unit import Unit

FIELDS = dict(
    amount=1000,
    currency="USD",
    capture="automatic",
    route="stripe",
    gateway_preference=None,
    description=None,
    metadata={"order": "42"},
    customer=None,
)


class Boom(Exception):
    pass


@pytest.fixture
def payment_id(db, merchant):
    payment, _ = payments.create(merchant, dict(FIELDS), lambda pid: {"method": "card"}, livemode=True)
    return payment.id


def claim(payment_id):
    payment, history = attempts.lock_with_attempts(payment_id)
    attempt = attempts.start_attempt(
        payment, "stripe", "charge", payment.amount, attempts=history, request={"x": 1}, tries=1
    )
    attempts.save(payment, status="processing", gateway="stripe", attempts=history)
    return attempt


def test_a_batched_unit_writes_everything_at_its_commit(payment_id):
    with Unit(batched=True):
        attempt = claim(payment_id)
    with Unit(batched=True):
        payment, history = attempts.lock_with_attempts(payment_id)
        attempt.status = "succeeded"
        attempts.save(
            payment, status="succeeded", attempt=attempt, attempts=history, event="payment.succeeded"
        )
    stored = Payment.get_by_id(payment_id)
    assert (stored.status, stored.gateway, stored.version) == ("succeeded", "stripe", 3)
    assert [(a.id, a.status, a.tries) for a in Attempt.select().where(Attempt.payment_id == payment_id)] == [
        (attempt.id, "succeeded", 1)
    ]
    event = Event.get(Event.payment_id == payment_id)
    assert event.type == "payment.succeeded" and event.data["attempts"][0]["status"] == "succeeded"
    assert not database.in_transaction()


def test_a_batched_unit_that_fails_writes_nothing(payment_id):
    with pytest.raises(Boom), Unit(batched=True):
        claim(payment_id)
        raise Boom
    assert Payment.get_by_id(payment_id).status == "pending"
    assert not Attempt.select().where(Attempt.payment_id == payment_id).exists()


def test_the_locked_payment_comes_with_its_attempts_as_stored(payment_id):
    with Unit(batched=True):
        claim(payment_id)
    with database.atomic():
        payment, history = attempts.lock_with_attempts(payment_id)
    stored = list(Attempt.select().where(Attempt.payment_id == payment_id))
    assert payment.id == payment_id and payment.metadata == {"order": "42"}
    assert [a.__data__ for a in history] == [a.__data__ for a in stored]
    assert not any(a.is_dirty() for a in history)


def test_the_lock_reads_ahead_what_the_event_and_the_fraud_decision_read(db, merchant, config):
    from store import deliveries, notifications, radar, unit
    from store.models import WebhookDelivery, WebhookEndpoint
    from store.vault import Vault

    vault = Vault.from_config(config)
    url = "https://93.184.215.14/"
    wanted = deliveries.create_endpoint(merchant, url, ["payment.succeeded"], None, vault, livemode=True)[
        "id"
    ]
    deliveries.create_endpoint(merchant, url, ["payment.failed"], None, vault, livemode=True)
    deliveries.create_endpoint(merchant, url, ["*"], None, vault, livemode=False)  # the other mode
    off = deliveries.create_endpoint(merchant, url, ["*"], None, vault, livemode=True)["id"]
    WebhookEndpoint.update(status="disabled").where(WebhookEndpoint.id == off).execute()
    card = {"method": "card", "card_fingerprint": "f" * 32}
    payment, _ = payments.create(merchant, dict(FIELDS), lambda pid: card, livemode=True)
    radar.learn_card(payment, "stripe", "FR", "debit")

    def unread():
        raise AssertionError("read again")

    with Unit(batched=True):
        payment, history = attempts.lock_with_attempts(payment.id)
        ahead = unit.read(deliveries.endpoints_key(merchant, True), unread)
        assert sorted(events for _, events in ahead) == [["payment.failed"], ["payment.succeeded"]]
        assert unit.read(notifications.settings_key(merchant), unread) == {}
        assert (
            unit.read(radar.card_facts_key(payment), unread) == ("FR", "debit") == radar.card_facts(payment)
        )
        attempts.save(payment, status="processing", gateway="stripe", attempts=history)
    with Unit(batched=True):
        payment, history = attempts.lock_with_attempts(payment.id)
        attempts.save(payment, status="succeeded", attempts=history, event="payment.succeeded")
    event = Event.get((Event.payment_id == payment.id) & (Event.type == "payment.succeeded"))
    assert [d.endpoint_id for d in WebhookDelivery.select().where(WebhookDelivery.event_id == event.id)] == [
        wanted
    ]
