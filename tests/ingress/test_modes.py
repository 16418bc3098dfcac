"""Test and live modes: a credential sees and changes the objects of its own mode only; an object of the
other mode answers exactly as a missing one (404), in every read, write, list and export."""

import pytest

from store.models import WebhookDelivery
from tests.support.api import card_payment, conforms, create_endpoint, event_of

MODES = {"live": True, "test": False}


@pytest.fixture
def tokens(mint, merchant):
    """``{"live": headers, "test": headers}``: the same merchant in each mode."""
    return {
        name: {"Authorization": f"Bearer {mint(merchant, livemode=live)}"} for name, live in MODES.items()
    }


def create(client, headers, key=None, **extra):
    headers = {**headers, "Idempotency-Key": key} if key else headers
    resp = client.simulate_post("/payments", json=card_payment(**extra), headers=headers)
    assert resp.status_code == 202, resp.text
    return resp.json


@pytest.mark.parametrize("mine,other", [("test", "live"), ("live", "test")])
def test_a_payment_is_invisible_to_the_other_mode(client, tokens, mine, other):
    created = create(client, tokens[mine])
    pid = created["id"]
    assert created["livemode"] is MODES[mine]
    got = client.simulate_get(f"/payments/{pid}", headers=tokens[mine])  # also fills the cache
    assert got.status_code == 200 and got.json["livemode"] is MODES[mine]
    conforms(got.json, "Payment")
    for method, path, body in (
        ("GET", f"/payments/{pid}", None),
        ("PUT", f"/payments/{pid}", {"description": "x"}),
        ("POST", f"/payments/{pid}/capture", None),
        ("POST", f"/payments/{pid}/cancel", None),
        ("POST", f"/payments/{pid}/refunds", {"amount": 1}),
        ("GET", f"/payments/{pid}/refunds", None),
    ):
        resp = client.simulate_request(method, path, json=body, headers=tokens[other])
        assert resp.status_code == 404, (method, path, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/payments", headers=tokens[other]).json["data"] == []
    after = client.simulate_get("/payments", params={"starting_after": pid}, headers=tokens[other])
    assert after.status_code == 422  # the cursor names no payment of this mode
    assert (
        pid
        not in client.simulate_get("/payments/export", params={"format": "csv"}, headers=tokens[other]).text
    )
    assert [p["id"] for p in client.simulate_get("/payments", headers=tokens[mine]).json["data"]] == [pid]
    assert pid in client.simulate_get("/payments/export", params={"format": "csv"}, headers=tokens[mine]).text

    # its events too
    assert client.simulate_post(f"/payments/{pid}/cancel", headers=tokens[mine]).status_code == 202
    event = event_of(pid, "payment.canceled")
    for method, suffix in (("GET", ""), ("GET", "/deliveries"), ("POST", "/redeliver")):
        resp = client.simulate_request(method, f"/events/{event.id}{suffix}", headers=tokens[other])
        assert resp.status_code == 404, (method, suffix)
    assert client.simulate_get("/events", headers=tokens[other]).json["data"] == []
    mine_events = client.simulate_get("/events", headers=tokens[mine]).json["data"]
    assert [e["id"] for e in mine_events] == [event.id] and mine_events[0]["livemode"] is MODES[mine]
    assert mine_events[0]["data"]["livemode"] is MODES[mine]
    conforms(mine_events[0], "Event")


def test_idempotency_keys_are_per_mode(client, tokens):
    live = create(client, tokens["live"], key="order-77")
    test = create(client, tokens["test"], key="order-77")
    assert live["id"] != test["id"] and (live["livemode"], test["livemode"]) == (True, False)
    replay = client.simulate_post(
        "/payments", json=card_payment(), headers={**tokens["test"], "Idempotency-Key": "order-77"}
    )
    assert replay.headers["idempotent-replayed"] == "true" and replay.json["id"] == test["id"]
    other_body = client.simulate_post(
        "/payments", json=card_payment(amount=99), headers={**tokens["live"], "Idempotency-Key": "order-77"}
    )
    assert other_body.status_code == 422  # the live key's first request still holds it in live


def test_webhook_endpoints_belong_to_a_mode_and_receive_only_its_events(client, tokens):
    endpoints = {}
    for name in MODES:
        resp = create_endpoint(client, tokens[name])
        assert resp.status_code == 201 and resp.json["livemode"] is MODES[name]
        conforms({k: v for k, v in resp.json.items() if k != "secret"}, "WebhookEndpoint")
        endpoints[name] = resp.json["id"]
    for name, other in (("live", "test"), ("test", "live")):
        listed = client.simulate_get("/webhook_endpoints", headers=tokens[name]).json["data"]
        assert [e["id"] for e in listed] == [endpoints[name]]
        theirs = f"/webhook_endpoints/{endpoints[other]}"
        assert client.simulate_get(theirs, headers=tokens[name]).status_code == 404
        assert client.simulate_post(f"{theirs}/rotate_secret", headers=tokens[name]).status_code == 404
        assert client.simulate_delete(theirs, headers=tokens[name]).status_code == 404
    for name in MODES:
        pid = create(client, tokens[name])["id"]
        client.simulate_post(f"/payments/{pid}/cancel", headers=tokens[name])
        event = event_of(pid, "payment.canceled")
        delivered = [
            d.endpoint_id for d in WebhookDelivery.select().where(WebhookDelivery.event_id == event.id)
        ]
        assert delivered == [endpoints[name]]
        again = client.simulate_post(f"/events/{event.id}/redeliver", headers=tokens[name]).json["data"]
        assert [d["endpoint_id"] for d in again] == [endpoints[name]]


def test_a_livemode_claim_that_is_not_a_boolean_is_refused(client, mint, merchant):
    token = mint(merchant, livemode="false")  # a string would read as true: refused, never guessed
    resp = client.simulate_get("/payments", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "livemode" in resp.json["detail"]


def test_a_token_without_the_claim_is_live(client, config, merchant):
    import time

    import jwt

    claims = {"sub": merchant, "scope": "payments:read payments:write", "exp": int(time.time()) + 60}
    headers = {"Authorization": "Bearer " + jwt.encode(claims, config.jwt_secret, algorithm="HS256")}
    assert create(client, headers)["livemode"] is True
