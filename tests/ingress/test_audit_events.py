"""The audit trail: every write a credential makes appends one audit event in the write's transaction (a
refused write or a replay none), and ``GET /audit_events`` reads the merchant's, filtered and paginated,
for ``audit:read`` only; nothing offers to change one."""

import uuid

import orjson
import pytest

from store import payments
from store.models import AuditEvent, Event, Payment
from tests.support.api import canceled_payment, card_payment, conforms, create_endpoint, event_of, pay

AGENT = "audit-test/1"


def send(client, method, path, auth, **kwargs):
    """``(response, request id)`` of a request sent with its own ``X-Request-Id``."""
    request_id = uuid.uuid4().hex
    headers = {**auth, "X-Request-Id": request_id, "User-Agent": AGENT}
    resp = client.simulate_request(method, path, headers=headers, **kwargs)
    assert resp.status_code < 300, resp.text
    return resp, request_id


def trail(client, auth, **params):
    """The merchant's audit events ``params`` select (one page of 100), each checked against OpenAPI."""
    resp = client.simulate_get("/audit_events", headers=auth, params={"limit": 100, **params})
    assert resp.status_code == 200, resp.text
    for event in resp.json["data"]:
        conforms(event, "AuditEvent")
    return resp.json["data"]


def moved_to(payment_id, **columns):
    """Where a worker would have moved the payment (workers' changes are not audited)."""
    Payment.update(**columns).where(Payment.id == payment_id).execute()


def authorized(client, auth):
    pid = pay(client, auth, capture="manual")
    moved_to(pid, status="requires_capture", gateway="stripe", gateway_reference="pi_x")
    return pid


def captured(client, auth):
    pid = pay(client, auth)
    moved_to(pid, status="succeeded", gateway="stripe", amount_captured=1050)
    return pid


def endpoint(client, auth):
    return create_endpoint(client, auth).json["id"]


def _on_payment(method, suffix, make, **kwargs):
    """A write to a payment ``make(client, auth)`` prepares: ``(payment id, response, request id)``."""

    def write(client, auth, merchant):
        pid = make(client, auth)
        return (pid, *send(client, method, f"/payments/{pid}{suffix}", auth, **kwargs))

    return write


def _on_endpoint(method, suffix, **kwargs):
    def write(client, auth, merchant):
        eid = endpoint(client, auth)
        return (eid, *send(client, method, f"/webhook_endpoints/{eid}{suffix}", auth, **kwargs))

    return write


def _created(path, **kwargs):
    """A creation: the object's id is the answer's."""

    def write(client, auth, merchant):
        resp, request_id = send(client, "POST", path(client, auth), auth, **kwargs)
        return resp.json["id"], resp, request_id

    return write


def _redelivered(client, auth, merchant):
    event_id = event_of(canceled_payment(client, auth), "payment.canceled").id
    return (event_id, *send(client, "POST", f"/events/{event_id}/redeliver", auth))


def _merchant_updated(client, auth, merchant):
    body = {"statement_descriptor": "ACME SHOP"}
    return (merchant, *send(client, "PATCH", "/merchant", auth, json=body))


#: Audited action -> ``f(client, auth, merchant) -> (object id, response, request id)`` making that write.
WRITES = {
    "payment.created": _created(lambda client, auth: "/payments", json=card_payment()),
    "payment.updated": _on_payment("PUT", "", pay, json={"description": "gift"}),
    "payment.capture_requested": _on_payment("POST", "/capture", authorized, json={"amount": 500}),
    "payment.cancel_requested": _on_payment("POST", "/cancel", authorized),
    "payment.canceled": _on_payment("POST", "/cancel", pay),
    "refund.created": _created(
        lambda client, auth: f"/payments/{captured(client, auth)}/refunds", json={"amount": 300}
    ),
    "webhook_endpoint.created": _created(
        lambda client, auth: "/webhook_endpoints",
        json={"url": "https://93.184.215.14/h", "enabled_events": ["*"]},
    ),
    "webhook_endpoint.deleted": _on_endpoint("DELETE", ""),
    "webhook_endpoint.secret_rotated": _on_endpoint("POST", "/rotate_secret"),
    "webhook_endpoint.updated": _on_endpoint("PATCH", "", json={"status": "disabled"}),
    "webhook_endpoint.tested": _on_endpoint("POST", "/test"),
    "event.redelivered": _redelivered,
    "merchant.updated": _merchant_updated,
}


@pytest.mark.parametrize("action", WRITES)
def test_each_write_appends_one_audit_event_naming_who_and_from_where(client, auth, merchant, action):
    object_id, resp, request_id = WRITES[action](client, auth, merchant)
    [event] = trail(client, auth, object=object_id, action=action)
    assert event["actor"] == {"type": "service", "id": merchant}
    assert (event["object_id"], event["request_id"], event["ip"], event["user_agent"]) == (
        object_id,
        request_id,
        "127.0.0.1",
        AGENT,
    )
    stored = AuditEvent.get_by_id(int(event["id"].removeprefix("aev_")))
    assert stored.merchant_id == merchant
    summary = orjson.dumps(event["summary"]).decode()
    assert "4242424242424242" not in summary and '"cvc"' not in summary
    secret = (resp.json or {}).get("secret") if resp.status_code != 204 else None
    assert secret is None or (secret not in summary and '"secret"' not in summary)


def test_summaries_hold_what_changed_as_the_api_shows_it(client, auth, merchant):
    pid = pay(client, auth, metadata={"order": "1"})
    [created] = trail(client, auth, object=pid, action="payment.created")
    after = created["summary"]["after"]
    assert (after["status"], after["amount"], after["card"]["last4"], after["metadata"]) == (
        "pending",
        1050,
        "4242",
        {"order": "1"},
    )
    assert "before" not in created["summary"]
    client.simulate_put(f"/payments/{pid}", json={"metadata": {"order": "2"}}, headers=auth)
    [updated] = trail(client, auth, object=pid, action="payment.updated")
    assert updated["summary"] == {
        "before": {"metadata": {"order": "1"}},
        "after": {"metadata": {"order": "2"}},
    }
    client.simulate_patch("/merchant", json={"route": ["paypal", "stripe"]}, headers=auth)
    [merchant_updated] = trail(client, auth, action="merchant.updated")
    assert merchant_updated["summary"] == {
        "before": {"route": None},
        "after": {"route": ["paypal", "stripe"]},
    }
    held = authorized(client, auth)
    client.simulate_post(f"/payments/{held}/capture", json={"amount": 400}, headers=auth)
    [capture] = trail(client, auth, object=held, action="payment.capture_requested")
    assert capture["summary"] == {
        "before": {"pending_operation": None, "amount_to_capture": None},
        "after": {"pending_operation": "capture", "amount_to_capture": 400},
    }


def test_a_card_number_in_a_summary_is_masked(client, auth, merchant):
    """The API refuses card numbers in free text; the trail masks one a store caller slipped through."""
    pid = pay(client, auth)
    try:
        payments.update(
            merchant,
            pid,
            {"description": "card 4242 4242 4242 4242", "metadata": {"note": "4242424242424242"}},
            livemode=True,
        )
    finally:  # the payment and its event hold them in clear (the run's leak scan would find them)
        moved_to(pid, description=None, metadata={})
        Event.delete().where(Event.payment_id == pid).execute()
    summary = AuditEvent.get((AuditEvent.object_id == pid) & (AuditEvent.action == "payment.updated")).summary
    assert summary["after"] == {
        "description": "card [card redacted]",
        "metadata": {"note": "[card redacted]"},
    }


def test_an_idempotent_replay_writes_no_second_event(client, auth):
    headers = {**auth, "Idempotency-Key": uuid.uuid4().hex}
    first = client.simulate_post("/payments", json=card_payment(), headers=headers)
    replay = client.simulate_post("/payments", json=card_payment(), headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true" and replay.json["id"] == first.json["id"]
    assert len(trail(client, auth, object=first.json["id"])) == 1


def test_a_refused_write_leaves_no_event(client, auth):
    pid = pay(client, auth)
    done = captured(client, auth)
    before = trail(client, auth)
    refused = [
        client.simulate_post(f"/payments/{pid}/capture", headers=auth),  # 409: not authorized
        client.simulate_post(f"/payments/{done}/refunds", json={"amount": 5000}, headers=auth),  # 422
        client.simulate_patch("/merchant", json={"accepted_currencies": ["EUR"]}, headers=auth),  # 422: USD
        client.simulate_put(f"/payments/{pid}", json={"description": 7}, headers=auth),  # 422
    ]
    assert [r.status_code for r in refused] == [409, 422, 422, 422]
    assert trail(client, auth) == before


def test_filters_select_by_actor_action_object_and_time(client, auth, merchant):
    first, second = pay(client, auth), pay(client, auth)
    client.simulate_post(f"/payments/{first}/cancel", headers=auth)
    hook = endpoint(client, auth)
    everything = trail(client, auth)
    assert len(everything) == 4

    def ids(**params):
        return [e["object_id"] for e in trail(client, auth, **params)]

    assert ids(action="payment.created") == [second, first]
    assert ids(action="payment.*") == [first, second, first]
    assert ids(action="webhook_endpoint.*") == [hook]
    assert ids(action="webhook.*") == ids(action="payment") == []
    assert ids(object=first) == [first, first]
    assert len(ids(actor=merchant, actor_type="service")) == 4
    assert ids(actor="someone_else") == ids(actor_type="operator") == []
    newest = everything[0]["created_at"]
    assert ids(**{"created[gte]": newest}) == [hook]
    assert len(ids(**{"created[gte]": "2020-01-01T00:00:00Z", "created[lte]": "2999-01-01T00:00:00Z"})) == 4
    assert ids(**{"created[gte]": "2999-01-01T00:00:00Z"}) == ids(**{"created[lte]": "2020-01-01"}) == []


def test_bad_filters_are_422_naming_each_parameter(client, auth):
    resp = client.simulate_get(
        "/audit_events",
        headers=auth,
        query_string="actor_type=robot&action=Payment.Created&created%5Bgte%5D=yesterday"
        "&created%5Blte%5D=2026-13-01&object=" + "o" * 256 + "&actor=a%00b&limit=0&starting_after=evt_1",
    )
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in resp.json["errors"]} == {
        "actor_type",
        "action",
        "created[gte]",
        "created[lte]",
        "object",
        "actor",
        "limit",
        "starting_after",
    }
    for query in ("action=payment.*.x", "action=*", "action=a&action=b"):
        again = client.simulate_get("/audit_events", headers=auth, query_string=query)
        assert again.status_code == 422 and [e["field"] for e in again.json["errors"]] == ["action"], query


def test_pages_go_newest_first_with_a_cursor(client, auth, mint):
    made = [pay(client, auth) for _ in range(3)]
    page = client.simulate_get("/audit_events", headers=auth, params={"limit": 2}).json
    assert [e["object_id"] for e in page["data"]] == made[:0:-1] and page["has_more"] is True
    rest = client.simulate_get(
        "/audit_events", headers=auth, params={"limit": 2, "starting_after": page["data"][-1]["id"]}
    ).json
    assert [e["object_id"] for e in rest["data"]] == made[:1] and rest["has_more"] is False
    other = {"Authorization": f"Bearer {mint('m_' + uuid.uuid4().hex[:12])}"}
    pay(client, other)
    theirs = trail(client, other)[0]["id"]
    for unknown in (theirs, "aev_999999999999999999"):
        resp = client.simulate_get("/audit_events", headers=auth, params={"starting_after": unknown})
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "starting_after"


def test_one_event_is_read_by_its_id_and_only_by_its_merchant(client, auth, mint):
    pay(client, auth)
    listed = trail(client, auth)[0]
    resp = client.simulate_get(f"/audit_events/{listed['id']}", headers=auth)
    assert resp.status_code == 200 and resp.json == listed
    other = {"Authorization": f"Bearer {mint('m_' + uuid.uuid4().hex[:12])}"}
    for path, headers in (
        (f"/audit_events/{listed['id']}", other),
        ("/audit_events/aev_0", auth),
        ("/audit_events/aev_1234567890123456789", auth),
    ):
        assert client.simulate_get(path, headers=headers).status_code == 404, path


def test_reading_the_trail_needs_audit_read(client, auth, mint, merchant):
    pay(client, auth)
    reader = {"Authorization": f"Bearer {mint(merchant, scopes=('payments:read',))}"}
    for path in ("/audit_events", f"/audit_events/{trail(client, auth)[0]['id']}"):
        resp = client.simulate_get(path, headers=reader)
        assert resp.status_code == 403 and 'scope="audit:read"' in resp.headers["www-authenticate"]
    writer = {
        "Authorization": f"Bearer {mint(merchant, scopes=('payments:write',))}"
    }  # an owner's other rights
    assert client.simulate_get("/audit_events", headers=writer).status_code == 200


def test_no_route_changes_or_deletes_an_event(client, auth):
    pay(client, auth)
    event = trail(client, auth)[0]
    item = f"/audit_events/{event['id']}"
    for method, path in [(m, item) for m in ("PUT", "PATCH", "DELETE", "POST")] + [
        ("POST", "/audit_events"),
        ("DELETE", "/audit_events"),
    ]:
        resp = client.simulate_request(method, path, headers=auth, json={"action": "x"})
        assert resp.status_code == 405, (method, path)
    assert trail(client, auth)[0] == event
