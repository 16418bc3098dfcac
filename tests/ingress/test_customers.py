"""Customers: create, read, list by email, replace, delete (erasure), and payments naming them."""

import pytest

from store.models import AuditEvent, Customer, Event, Payment
from tests.support.api import card_payment, conforms, new_customer


def test_create_answers_201_with_location_and_the_customer(client, auth):
    resp = client.simulate_post(
        "/customers",
        json={"email": "ada@example.test", "name": "Ada", "phone": "+14155550123", "metadata": {"crm": "7"}},
        headers=auth,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json
    conforms(body, "Customer")
    assert resp.headers["location"] == f"/customers/{body['id']}" and body["id"].startswith("cus_")
    assert body["livemode"] is True and body["deleted"] is False and body["metadata"] == {"crm": "7"}
    assert client.simulate_get(resp.headers["location"], headers=auth).json == body


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["email", "name"]),
        ({"email": "not-an-address", "name": "Ada"}, ["email"]),
        ({"email": "a@b.test", "name": "   "}, ["name"]),
        ({"email": "a@b.test", "name": "Ada", "phone": "0415 555"}, ["phone"]),
        ({"email": "a@b.test", "name": "4242424242424242"}, ["name"]),
        ({"email": "a@b.test", "name": "Ada", "nickname": "A"}, ["nickname"]),
        ({"email": "a@b.test", "name": "Ada", "metadata": {"k": 1}}, ["metadata.k"]),
    ],
)
def test_bad_input_is_a_422_naming_each_field_and_writes_nothing(client, auth, merchant, db, body, fields):
    resp = client.simulate_post("/customers", json=body, headers=auth)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert sorted(e["field"] for e in resp.json["errors"]) == fields
    assert not Customer.select().where(Customer.merchant_id == merchant).exists()


def test_list_is_newest_first_paginated_and_filters_by_email_in_any_case(client, auth):
    ids = [new_customer(client, auth, f"c{i}@example.test") for i in range(3)]
    twin = new_customer(client, auth, "C1@Example.TEST", "Another")
    page = client.simulate_get("/customers", params={"limit": 2}, headers=auth).json
    assert [c["id"] for c in page["data"]] == [twin, ids[2]] and page["has_more"]
    rest = client.simulate_get(
        "/customers", params={"limit": 10, "starting_after": ids[2]}, headers=auth
    ).json["data"]
    assert [c["id"] for c in rest] == [ids[1], ids[0]]
    found = client.simulate_get("/customers", params={"email": "c1@EXAMPLE.test"}, headers=auth).json["data"]
    assert [c["id"] for c in found] == [twin, ids[1]]


def test_put_replaces_every_field(client, auth):
    cid = new_customer(client, auth, phone="+14155550123", metadata={"a": "1"})
    resp = client.simulate_put(
        f"/customers/{cid}", json={"email": "new@example.test", "name": "N"}, headers=auth
    )
    assert resp.status_code == 200
    assert (resp.json["email"], resp.json["name"], resp.json["phone"], resp.json["metadata"]) == (
        "new@example.test",
        "N",
        None,
        {},
    )
    assert client.simulate_put(f"/customers/{cid}", json={"name": "N"}, headers=auth).status_code == 422


def test_delete_erases_personal_data_keeps_payments_and_writes_an_event(client, auth, merchant, db):
    cid = new_customer(client, auth, "erase@example.test", "Eve", phone="+14155550123", metadata={"a": "b"})
    paid = client.simulate_post("/payments", json=card_payment(customer=cid), headers=auth).json["id"]
    resp = client.simulate_delete(f"/customers/{cid}", headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json["deleted"] is True
    row = Customer.get_by_id(cid)
    assert (row.email, row.name, row.phone, row.metadata) == (None, None, None, {})
    assert row.deleted_at is not None
    assert Payment.get_by_id(paid).customer == cid  # the payment stays, still naming the customer
    event = Event.get((Event.merchant_id == merchant) & (Event.type == "customer.deleted"))
    assert event.data["id"] == cid and "erase@example.test" not in str(event.data)
    # Gone from lists and searches; a second delete, an update or a new payment naming it: refused.
    assert client.simulate_get("/customers", headers=auth).json["data"] == []
    assert (
        client.simulate_get("/payments", params={"email": "erase@example.test"}, headers=auth).json["data"]
        == []
    )
    assert client.simulate_get(f"/customers/{cid}", headers=auth).json["deleted"] is True
    assert client.simulate_delete(f"/customers/{cid}", headers=auth).status_code == 404
    assert (
        client.simulate_put(
            f"/customers/{cid}", json={"email": "a@b.test", "name": "A"}, headers=auth
        ).status_code
        == 404
    )
    again = client.simulate_post("/payments", json=card_payment(customer=cid), headers=auth)
    assert again.status_code == 422 and again.json["errors"] == [
        {"field": "customer", "reason": "no such customer"}
    ]


def test_audit_rows_name_fields_never_personal_data(client, auth, merchant, db):
    cid = new_customer(client, auth, "private@example.test", "Private Person")
    client.simulate_put(
        f"/customers/{cid}", json={"email": "private@example.test", "name": "P. Person"}, headers=auth
    )
    client.simulate_delete(f"/customers/{cid}", headers=auth)
    rows = list(AuditEvent.select().where(AuditEvent.object_id == cid).order_by(AuditEvent.id))
    assert [r.action for r in rows] == ["customer.created", "customer.updated", "customer.deleted"]
    assert rows[0].actor_type == "service" and rows[0].merchant_id == merchant
    assert rows[1].summary == {"after": {"changed": ["name"]}}
    assert "private" not in str([r.summary for r in rows]).lower()


def test_a_payment_must_name_an_existing_customer_of_the_merchant(client, auth, mint):
    theirs = new_customer(
        client, {"Authorization": f"Bearer {mint('m_other_' + auth['Authorization'][-8:])}"}
    )
    for customer, reason in (
        ("c1", "must be a customer id"),
        ("cus_" + "x" * 24, "no such customer"),
        (theirs, "no such customer"),
    ):
        resp = client.simulate_post("/payments", json=card_payment(customer=customer), headers=auth)
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "customer"
        assert resp.json["errors"][0]["reason"].startswith(reason)


def test_another_merchants_customer_is_unknown(client, auth, mint):
    cid = new_customer(client, auth)
    other = {"Authorization": f"Bearer {mint('m_someone_else')}"}
    for call in (client.simulate_get, client.simulate_delete):
        assert call(f"/customers/{cid}", headers=other).status_code == 404
    assert client.simulate_get("/customers/cus_bad", headers=auth).status_code == 404


def test_reading_needs_customers_read_and_writing_customers_write(client, mint, merchant):
    read_only = {"Authorization": f"Bearer {mint(merchant, scopes=('payments:read',))}"}
    assert client.simulate_get("/customers", headers=read_only).status_code == 200
    created = client.simulate_post("/customers", json={"email": "a@b.test", "name": "A"}, headers=read_only)
    assert created.status_code == 403
