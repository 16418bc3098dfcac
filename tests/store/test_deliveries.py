"""Deliveries in the store: one attempt at a time per delivery (a duplicate job waits), and
what an answer leads to."""

import datetime

import pytest

from shared.ids import new_id
from store import deliveries
from store.models import Event, WebhookAttempt, WebhookEndpoint, utcnow
from store.vault import Vault
from workers.delivery_http import Outcome

DISABLE_AFTER = datetime.timedelta(hours=72)


@pytest.fixture
def vault(config):
    return Vault.from_config(config)


@pytest.fixture
def delivery(db, merchant, vault):
    deliveries.create_endpoint(
        merchant, "https://93.184.215.14/", ["payment.updated"], None, vault, livemode=True
    )
    event = Event.create(id=new_id("evt"), merchant_id=merchant, type="payment.updated", data={})
    [d] = deliveries.fan_out(event)
    return d


def test_a_claimed_attempt_makes_other_copies_of_the_job_wait(delivery):
    claimed = deliveries.claim_attempt(delivery.id, lease_seconds=30)
    assert claimed.delivery.id == delivery.id and claimed.event.type == "payment.updated"
    with pytest.raises(deliveries.NotDue) as info:
        deliveries.claim_attempt(delivery.id, lease_seconds=30)
    assert 29 < info.value.seconds <= 30


def test_a_failure_schedules_the_next_attempt_and_a_success_ends_it(delivery):
    claimed = deliveries.claim_attempt(delivery.id, 30)
    assert deliveries.record_attempt(claimed, Outcome("failed", 5, 500, "no"), 0.0, DISABLE_AFTER) == 0.0
    assert WebhookEndpoint.get_by_id(claimed.endpoint.id).failing_since is not None
    claimed = deliveries.claim_attempt(delivery.id, 30)
    assert deliveries.record_attempt(claimed, Outcome("succeeded", 5, 204, ""), 10.0, DISABLE_AFTER) is None
    assert deliveries.claim_attempt(delivery.id, 30) is None
    [found] = deliveries.deliveries_of(delivery.event_id)
    assert found["status"] == "succeeded" and [a["status_code"] for a in found["attempts"]] == [500, 204]


def test_the_last_failure_on_the_schedule_fails_the_delivery(delivery):
    claimed = deliveries.claim_attempt(delivery.id, 30)
    assert (
        deliveries.record_attempt(
            claimed, Outcome("unreachable", 3000, error="timed out"), None, DISABLE_AFTER
        )
        is None
    )
    [found] = deliveries.deliveries_of(delivery.event_id)
    assert (found["status"], found["next_attempt_at"], found["attempts"][0]["error"]) == (
        "failed",
        None,
        "timed out",
    )


def test_an_answer_after_the_endpoint_was_deleted_is_recorded_and_changes_nothing(delivery, merchant):
    claimed = deliveries.claim_attempt(delivery.id, 30)
    deliveries.delete_endpoint(merchant, claimed.endpoint.id, livemode=True)
    assert deliveries.record_attempt(claimed, Outcome("failed", 5, 500), 1.0, DISABLE_AFTER) is None
    [found] = deliveries.deliveries_of(delivery.event_id)
    assert found["status"] == "canceled" and len(found["attempts"]) == 1
    assert WebhookAttempt.select().where(WebhookAttempt.delivery_id == delivery.id).count() == 1


def test_rotation_signs_with_both_secrets_until_the_previous_expires(delivery, merchant, vault):
    endpoint = deliveries.get_endpoint(merchant, delivery.endpoint_id, livemode=True)
    [first] = deliveries.signing_secrets(endpoint, vault)
    second = deliveries.rotate_secret(merchant, endpoint.id, vault, livemode=True)["secret"]
    third = deliveries.rotate_secret(merchant, endpoint.id, vault, livemode=True)["secret"]
    endpoint = deliveries.get_endpoint(merchant, endpoint.id, livemode=True)
    assert deliveries.signing_secrets(endpoint, vault) == [third, second]  # at most two: the first is over
    endpoint.previous_secret_expires_at = utcnow() - datetime.timedelta(seconds=1)
    assert deliveries.signing_secrets(endpoint, vault) == [third] and first not in (second, third)


def test_an_overdue_delivery_is_queued_again_once_per_period(delivery):
    from store.db import database
    from store.models import OutboxJob, WebhookDelivery

    jobs = OutboxJob.select().where(OutboxJob.args.contains(delivery.id))
    before = jobs.count()
    with database.atomic():
        # Earlier tests' deliveries left pending may be overdue by now (a long run): they become due now, so
        # the next call finds none of theirs; this test's own, if taken here, shows in the job count below.
        deliveries.redrive_stuck(utcnow() - datetime.timedelta(minutes=5))
        assert (
            deliveries.redrive_stuck(utcnow() - datetime.timedelta(minutes=5)) == 0
        )  # due just now: not overdue
    with database.atomic():
        assert deliveries.redrive_stuck(utcnow() + datetime.timedelta(seconds=1)) >= 1
    assert jobs.count() == before + 1
    assert abs((WebhookDelivery.get_by_id(delivery.id).next_attempt_at - utcnow()).total_seconds()) < 5
    with database.atomic():
        deliveries.redrive_stuck(utcnow() - datetime.timedelta(seconds=60))
    assert jobs.count() == before + 1
    claimed = deliveries.claim_attempt(delivery.id, 30)  # the queued job finds it due
    deliveries.record_attempt(claimed, Outcome("succeeded", 5, 204, ""), None, DISABLE_AFTER)
    with database.atomic():
        deliveries.redrive_stuck(utcnow() + datetime.timedelta(hours=1))
    assert jobs.count() == before + 1
