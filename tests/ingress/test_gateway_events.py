"""``POST /webhooks/stripe`` and ``/webhooks/paypal``: what the ingress accepts, refuses and replays,
without calling a gateway (PayPal's verification by the ops pool is in ``tests/workers``)."""

import dataclasses
import uuid

import orjson
import peewee
import pytest
from falcon import testing

from ingress.app import create_app
from ingress.resources import gateway_events
from store.models import GatewayEvent, OutboxJob
from store.vault import Vault
from tests.support.gateway_events import SECRET, WEBHOOK_ID, paypal_delivery, stripe_delivery


def build(config, cache, relay):
    app = create_app(
        config, vault=Vault.from_config(config), cache=cache, relay=relay, broker_check=lambda: True
    )
    gateway_events.routes(app, config, relay)
    return testing.TestClient(app)


@pytest.fixture(scope="module")
def configured(config, cache, relay):
    return build(
        dataclasses.replace(config, stripe_webhook_secret=SECRET, paypal_webhook_id=WEBHOOK_ID), cache, relay
    )


@pytest.fixture
def hooks(configured, db):
    last = OutboxJob.select(peewee.fn.MAX(OutboxJob.id)).scalar() or 0
    yield configured
    # No ops pool consumes this package's queues: the jobs written here stay unpublished.
    OutboxJob.delete().where(OutboxJob.id > last).execute()


def stored(gateway, event_id):
    return GatewayEvent.get_or_none((GatewayEvent.gateway == gateway) & (GatewayEvent.event_id == event_id))


def jobs_for(event_id):
    return [(j.queue_name, j.actor_name, j.args) for j in OutboxJob.select() if event_id in j.args]


def post(hooks, gateway, body, headers):
    return hooks.simulate_post(f"/webhooks/{gateway}", body=body, headers=headers)


def assert_refused(resp, slug):
    assert resp.status_code == 400, resp.text
    assert (
        resp.headers["content-type"] == "application/problem+json"
        and resp.json["type"] == f"/problems/{slug}"
    )


def test_a_signed_stripe_event_is_stored_once_with_its_job(hooks):
    event_id, body, headers = stripe_delivery()
    first, replay = post(hooks, "stripe", body, headers), post(hooks, "stripe", body, headers)

    assert (first.status_code, replay.status_code) == (200, 200)
    row = stored("stripe", event_id)
    assert (row.status, row.type, row.payload, row.headers) == (
        "received",
        "payment_intent.succeeded",
        body.decode(),
        None,
    )
    assert jobs_for(event_id) == [("ops", "apply_gateway_event", ["stripe", event_id])]


@pytest.mark.parametrize("tamper", ["unsigned", "other secret", "body changed", "stale"])
def test_a_stripe_event_not_signed_now_by_our_secret_is_refused(hooks, tamper):
    event_id, body, headers = stripe_delivery(
        secret="whsec_forger" if tamper == "other secret" else SECRET, age=301 if tamper == "stale" else 0
    )
    if tamper == "unsigned":
        del headers["Stripe-Signature"]
    if tamper == "body changed":
        body = body.replace(b"payment_intent.succeeded", b"charge.dispute.created")

    assert_refused(post(hooks, "stripe", body, headers), "invalid-signature")
    assert stored("stripe", event_id) is None and jobs_for(event_id) == []


def test_a_signed_stripe_body_without_an_event_id_is_refused(hooks):
    _, body, headers = stripe_delivery(id=None)

    assert_refused(post(hooks, "stripe", body, headers), "invalid-webhook")


def test_a_well_formed_paypal_event_is_stored_for_verification_and_replays_change_nothing(hooks):
    event_id, body, headers = paypal_delivery()
    first = post(hooks, "paypal", body, headers)
    replay = post(hooks, "paypal", body, {**headers, "PAYPAL-TRANSMISSION-ID": str(uuid.uuid4())})
    _, other_body, _ = (
        paypal_delivery()
    )  # another event under a transmission id seen: only PayPal can say which is true
    reused = post(hooks, "paypal", other_body, headers)

    assert (first.status_code, replay.status_code, reused.status_code) == (202, 200, 202)
    row = stored("paypal", event_id)
    assert (row.status, row.payload, row.transmission_id) == (
        "received",
        body.decode(),
        headers["PAYPAL-TRANSMISSION-ID"],
    )
    assert row.headers == {k.lower(): v for k, v in headers.items() if k.startswith("PAYPAL-")}
    assert stored("paypal", orjson.loads(other_body)["id"]).status == "received"
    assert jobs_for(event_id) == [("ops", "apply_gateway_event", ["paypal", event_id])]


@pytest.mark.parametrize(
    "case, slug",
    [
        ("sent 6 minutes ago", "stale-webhook"),
        ("sent 6 minutes ahead", "stale-webhook"),
        ("no signature header", "invalid-webhook"),
        ("time not ISO 8601", "invalid-webhook"),
        ("transmission id with spaces", "invalid-webhook"),
        ("no event_type", "invalid-webhook"),
        ("not JSON", "malformed-json"),
    ],
)
def test_a_paypal_delivery_that_is_stale_or_malformed_is_refused(hooks, case, slug):
    event_id, body, headers = paypal_delivery(
        sent_ago={"sent 6 minutes ago": 360, "sent 6 minutes ahead": -360}.get(case, 0)
    )
    if case == "no signature header":
        del headers["PAYPAL-TRANSMISSION-SIG"]
    if case == "time not ISO 8601":
        headers["PAYPAL-TRANSMISSION-TIME"] = "Mon, 02 Jan 2026 03:04:05 GMT"
    if case == "transmission id with spaces":
        headers["PAYPAL-TRANSMISSION-ID"] = "a b"
    if case == "no event_type":
        body = orjson.dumps({"id": event_id, "resource": {}})
    if case == "not JSON":
        body = b"{" + body

    assert_refused(post(hooks, "paypal", body, headers), slug)
    assert stored("paypal", event_id) is None and jobs_for(event_id) == []


def test_without_a_secret_or_webhook_id_nothing_is_accepted(config, cache, relay, db):
    unconfigured = build(config, cache, relay)  # the run's configuration sets neither

    for gateway, (event_id, body, headers), slug in (
        ("stripe", stripe_delivery(), "invalid-signature"),
        ("paypal", paypal_delivery(), "invalid-webhook"),
    ):
        assert_refused(post(unconfigured, gateway, body, headers), slug)
        assert stored(gateway, event_id) is None  # refused, so the gateway sends it again later


def test_past_the_cap_of_unverified_events_a_delivery_gets_503_and_nothing_is_stored(
    config, cache, relay, hooks
):
    backlog = (
        GatewayEvent.select()
        .where((GatewayEvent.gateway == "paypal") & (GatewayEvent.status == "received"))
        .count()
    )
    capped = build(
        dataclasses.replace(config, paypal_webhook_id=WEBHOOK_ID, gateway_event_unverified_max=backlog + 1),
        cache,
        relay,
    )
    accepted, (refused_id, body, headers) = paypal_delivery(), paypal_delivery()

    assert post(capped, "paypal", *accepted[1:]).status_code == 202
    resp = post(capped, "paypal", body, headers)
    assert resp.status_code == 503 and resp.json["type"] == "/problems/gateway-event-backlog"
    assert int(resp.headers["Retry-After"]) > 0
    assert stored("paypal", refused_id) is None and jobs_for(refused_id) == []
