"""Fraud signals on payments (issue 15): customer_details, billing_address and shipping validated, stored,
shown, erased with the customer and kept out of the audit trail; the card's BIN kept, never more."""

import pytest

from store.models import AuditEvent, Event, IdempotencyRecord, Payment
from tests.support.api import card_payment, conforms, new_customer

DETAILS = {
    "email": "Buyer@Example.test",
    "ip_address": "2001:db8:0:0::1",
    "name": "Bo",
    "phone": "+14155550123",
}
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "us"}


def test_signals_are_stored_normalized_and_shown(client, auth, db):
    body = card_payment(
        customer_details=DETAILS, billing_address=ADDRESS, shipping={"name": "Bo", "address": ADDRESS}
    )
    resp = client.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    conforms(resp.json, "Payment")
    assert resp.json["customer_details"] == {**DETAILS, "ip_address": "2001:db8::1"}
    address = {**ADDRESS, "country": "US"}
    assert resp.json["billing_address"] == address
    assert resp.json["shipping"] == {"name": "Bo", "address": address}
    row = Payment.get_by_id(resp.json["id"])
    assert row.customer_details["ip_address"] == "2001:db8::1" and row.card_bin == "424242"
    assert client.simulate_get(f"/payments/{row.id}", headers=auth).json["customer_details"]["name"] == "Bo"


@pytest.mark.parametrize(
    ("extra", "fields"),
    [
        ({"customer_details": {"email": "nope"}}, ["customer_details.email"]),
        ({"customer_details": {"ip_address": "10.0.0.256"}}, ["customer_details.ip_address"]),
        (
            {"customer_details": {"phone": "555"}, "shipping": {"name": "x"}},
            ["customer_details.phone", "shipping.address"],
        ),
        ({"customer_details": {"nickname": "x"}}, ["customer_details.nickname"]),
        ({"customer_details": "a@b.test"}, ["customer_details"]),
        ({"billing_address": {"country": "USA"}}, ["billing_address.country"]),
        ({"billing_address": {"country": "U1"}}, ["billing_address.country"]),
        ({"billing_address": {"line1": "x" * 201}}, ["billing_address.line1"]),
        ({"shipping": {"address": {"postal_code": "4242424242424242"}}}, ["shipping.address.postal_code"]),
    ],
)
def test_bad_signals_are_a_422_naming_the_field_and_write_nothing(client, auth, merchant, db, extra, fields):
    resp = client.simulate_post("/payments", json=card_payment(**extra), headers=auth)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert sorted(e["field"] for e in resp.json["errors"]) == fields
    assert not Payment.select().where(Payment.merchant_id == merchant).exists()


def test_no_personal_data_in_the_audit_trail(client, auth, db):
    paid = client.simulate_post(
        "/payments", json=card_payment(customer_details=DETAILS, billing_address=ADDRESS), headers=auth
    ).json["id"]
    summary = str(AuditEvent.get(AuditEvent.object_id == paid).summary).lower()
    assert "buyer@example.test" not in summary and "main st" not in summary and "2001:db8" not in summary


def test_deleting_the_customer_erases_its_payments_signals(client, auth, merchant, db):
    cid = new_customer(client, auth)
    body = card_payment(customer=cid, customer_details=DETAILS, billing_address=ADDRESS)
    paid = client.simulate_post("/payments", json=body, headers=auth).json["id"]
    other = client.simulate_post("/payments", json=card_payment(customer_details=DETAILS), headers=auth)
    Payment.update(risk={"score": 0, "signals": {"email": "buyer@example.test", "amount": 1050}}).where(
        Payment.id == paid
    ).execute()
    # An event of the payment as a worker writes it (its object then), as webhooks deliver it.
    shown = client.simulate_get(f"/payments/{paid}", headers=auth).json
    Event.create(
        id="evt_" + paid[4:], merchant_id=merchant, type="payment.succeeded", payment_id=paid, data=shown
    )
    assert client.simulate_delete(f"/customers/{cid}", headers=auth).status_code == 200
    shown = client.simulate_get(f"/payments/{paid}", headers=auth).json  # the cache was replaced too
    assert (shown["customer_details"], shown["billing_address"], shown["shipping"]) == (None, None, None)
    assert shown["risk"]["signals"] == {"amount": 1050}
    assert "buyer" not in str(Payment.get_by_id(paid).__data__).lower()
    assert "buyer" not in str([e.data for e in Event.select().where(Event.payment_id == paid)]).lower()
    # Another customer's (or no customer's) payment keeps its own.
    assert Payment.get_by_id(other.json["id"]).customer_details["name"] == "Bo"


def replay(client, auth, path, body, key):
    resp = client.simulate_post(path, json=body, headers={**auth, "Idempotency-Key": key})
    assert resp.status_code in (200, 201, 202), resp.text
    return resp


def test_deleting_the_customer_erases_the_saved_responses_of_its_keys(client, auth, db):
    customer_body = {"email": "buyer@example.test", "name": "Bo Buyer"}
    cid = replay(client, auth, "/customers", customer_body, "key-customer").json["id"]
    body = card_payment(customer=cid, customer_details=DETAILS, shipping={"name": "Bo", "address": ADDRESS})
    paid = replay(client, auth, "/payments", body, "key-payment").json
    assert paid["customer_details"]["email"] == "Buyer@Example.test"
    assert client.simulate_delete(f"/customers/{cid}", headers=auth).status_code == 200
    again = replay(client, auth, "/payments", body, "key-payment")
    assert again.json["id"] == paid["id"] and again.json["customer_details"] is None  # the same payment
    assert again.json["shipping"] is None
    customer = replay(client, auth, "/customers", customer_body, "key-customer").json
    assert customer["id"] == cid and customer["email"] is None
    assert "buyer" not in str([r.__data__ for r in IdempotencyRecord.select()]).lower()


def test_redact_erases_a_finished_payments_personal_data(client, auth, merchant, db):
    body = card_payment(
        customer_details=DETAILS, billing_address=ADDRESS, shipping={"name": "Bo", "address": ADDRESS}
    )
    pid = replay(client, auth, "/payments", body, "key-redact").json["id"]
    signals = {"email": "buyer@example.test", "ip_address": "2001:db8::1", "amount": 1050}
    risk = {"score": 5, "level": "normal", "rule": None, "request_3ds": False, "three_d_secure": None}
    risk |= {"reasons": [], "missing": [], "degraded": False, "signals": signals}
    Payment.update(risk=risk).where(Payment.id == pid).execute()
    refused = client.simulate_post(f"/payments/{pid}/redact", headers=auth)  # pending: may reach a gateway
    assert refused.status_code == 409 and refused.headers["content-type"] == "application/problem+json"
    assert Payment.get_by_id(pid).customer_details is not None
    assert client.simulate_post(f"/payments/{pid}/cancel", headers=auth).status_code == 202
    bad = client.simulate_post(f"/payments/{pid}/redact", json={"everything": True}, headers=auth)
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["everything"]
    resp = client.simulate_post(f"/payments/{pid}/redact", headers=auth)
    assert resp.status_code == 200, resp.text
    conforms(resp.json, "Payment")
    shown = client.simulate_get(f"/payments/{pid}", headers=auth).json
    assert (shown["customer_details"], shown["billing_address"], shown["shipping"]) == (None, None, None)
    assert shown["status"] == "canceled" and shown["risk"]["signals"] == {"amount": 1050}
    assert "buyer" not in str(Payment.get_by_id(pid).__data__).lower()
    assert "buyer" not in str([e.data for e in Event.select().where(Event.payment_id == pid)]).lower()
    assert (
        Event.get(Event.payment_id == pid, Event.type == "payment.updated").data["customer_details"] is None
    )
    assert replay(client, auth, "/payments", body, "key-redact").json["customer_details"] is None
    [audited] = AuditEvent.select().where(
        (AuditEvent.object_id == pid) & (AuditEvent.action == "payment.redacted")
    )
    assert "buyer" not in str(audited.__data__).lower()
    assert client.simulate_post("/payments/pay_" + "0" * 24 + "/redact", headers=auth).status_code == 404
