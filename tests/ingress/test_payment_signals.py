"""Fraud signals on payments (issue 15): customer_details, billing_address and shipping validated, stored,
shown, erased with the customer and kept out of the audit trail; the card's BIN kept, never more."""

import pytest

from store.models import AuditEvent, Event, Payment
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
