"""/events: newest first, filtered, merchant-scoped; each event fans out to the endpoints
subscribed to it in the transaction of the change, and can be delivered again."""

from store.models import OutboxJob, WebhookDelivery, WebhookEndpoint
from tests.support.api import canceled_payment, card_payment, conforms, create_endpoint, event_of


def test_events_list_newest_first_filter_and_pagination(client, auth):
    pid = client.simulate_post("/payments", json=card_payment(), headers=auth).json["id"]
    client.simulate_put(f"/payments/{pid}", json={"description": "first"}, headers=auth)
    client.simulate_post(f"/payments/{pid}/cancel", headers=auth)
    listed = client.simulate_get("/events", headers=auth).json
    assert [e["type"] for e in listed["data"]] == ["payment.canceled", "payment.updated"]
    for event in listed["data"]:
        conforms(event, "Event")
        assert event["data"]["id"] == pid
    assert listed["data"][0]["data"]["status"] == "canceled"
    page = client.simulate_get("/events", params={"limit": 1}, headers=auth).json
    assert page["has_more"] is True and page["data"] == listed["data"][:1]
    rest = client.simulate_get("/events", params={"starting_after": page["data"][0]["id"]}, headers=auth).json
    assert rest["data"] == listed["data"][1:] and rest["has_more"] is False
    only = client.simulate_get("/events", params={"type": "payment.updated"}, headers=auth).json["data"]
    assert [e["type"] for e in only] == ["payment.updated"]
    assert client.simulate_get("/events", params={"type": "payment.nope"}, headers=auth).status_code == 422
    assert client.simulate_get("/events", params={"limit": 0}, headers=auth).status_code == 422


def test_an_event_is_merchant_scoped(client, auth, mint):
    event = event_of(canceled_payment(client, auth), "payment.canceled")
    got = client.simulate_get(f"/events/{event.id}", headers=auth)
    assert got.status_code == 200 and got.json["id"] == event.id and got.json["object"] == "event"
    other = {"Authorization": f"Bearer {mint('someone_else')}"}
    for method, suffix in (("GET", ""), ("GET", "/deliveries"), ("POST", "/redeliver")):
        resp = client.simulate_request(method, f"/events/{event.id}{suffix}", headers=other)
        assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/events", headers=other).json["data"] == []
    assert client.simulate_get("/events/evt_unknown", headers=auth).status_code == 404


def test_each_event_fans_out_to_subscribed_enabled_endpoints_in_its_transaction(client, auth):
    everything = create_endpoint(client, auth).json["id"]
    cancels = create_endpoint(client, auth, events=("payment.canceled",)).json["id"]
    create_endpoint(client, auth, events=("payment.succeeded",))
    disabled = create_endpoint(client, auth).json["id"]
    WebhookEndpoint.update(status="disabled").where(WebhookEndpoint.id == disabled).execute()
    event = event_of(canceled_payment(client, auth), "payment.canceled")
    deliveries = list(WebhookDelivery.select().where(WebhookDelivery.event_id == event.id))
    assert {d.endpoint_id for d in deliveries} == {everything, cancels}
    for d in deliveries:
        job = OutboxJob.get(OutboxJob.args.contains(d.id))
        assert (job.queue_name, job.actor_name, job.args) == ("webhooks", "deliver_webhook", [d.id])
    listed = client.simulate_get(f"/events/{event.id}/deliveries", headers=auth).json
    for d in listed["data"]:
        conforms(d, "WebhookDelivery")
        assert (d["status"], d["attempts"]) == ("pending", [])


def test_no_endpoint_no_delivery(client, auth):
    event = event_of(canceled_payment(client, auth), "payment.canceled")
    assert not WebhookDelivery.select().where(WebhookDelivery.event_id == event.id).exists()


def test_redeliver_makes_new_deliveries_to_every_endpoint_subscribed_now(client, auth):
    event = event_of(canceled_payment(client, auth), "payment.canceled")  # before any endpoint
    endpoint = create_endpoint(client, auth).json["id"]
    resp = client.simulate_post(
        f"/events/{event.id}/redeliver", headers={**auth, "Idempotency-Key": "again-1"}
    )
    assert resp.status_code == 202
    [delivery] = resp.json["data"]
    conforms(delivery, "WebhookDelivery")
    assert (delivery["endpoint_id"], delivery["status"]) == (endpoint, "pending")
    replay = client.simulate_post(
        f"/events/{event.id}/redeliver", headers={**auth, "Idempotency-Key": "again-1"}
    )
    assert (
        replay.json == resp.json
        and WebhookDelivery.select().where(WebhookDelivery.event_id == event.id).count() == 1
    )
    client.simulate_post(f"/events/{event.id}/redeliver", headers=auth)
    assert len(client.simulate_get(f"/events/{event.id}/deliveries", headers=auth).json["data"]) == 2


def test_deleting_an_endpoint_cancels_its_pending_deliveries(client, auth):
    endpoint = create_endpoint(client, auth).json["id"]
    event = event_of(canceled_payment(client, auth), "payment.canceled")
    assert client.simulate_delete(f"/webhook_endpoints/{endpoint}", headers=auth).status_code == 204
    [delivery] = client.simulate_get(f"/events/{event.id}/deliveries", headers=auth).json["data"]
    assert (delivery["endpoint_id"], delivery["status"], delivery["next_attempt_at"]) == (
        endpoint,
        "canceled",
        None,
    )
