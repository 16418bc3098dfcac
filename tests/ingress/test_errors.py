"""Every error is application/problem+json naming what is wrong; never a 500, never a partial write."""

import io

import pytest

from store.models import Payment
from tests.support.api import card_payment

PROBLEM = "application/problem+json"


def assert_problem(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    return body


def card_with(**card):
    body = card_payment()
    body["payment_method"]["card"].update(card)
    return body


@pytest.mark.parametrize(
    "body,field",
    [
        ({**card_payment(), "amount": 10.5}, "amount"),
        ({**card_payment(), "amount": "1050"}, "amount"),
        ({**card_payment(), "amount": 0}, "amount"),
        ({**card_payment(), "amount": True}, "amount"),
        ({**card_payment(), "currency": "XYZ"}, "currency"),
        ({**card_payment(), "currency": 840}, "currency"),
        ({**card_payment(), "capture": "later"}, "capture"),
        ({**card_payment(), "gateway": "adyen"}, "gateway"),
        ({**card_payment(), "metadata": {"k": 1}}, "metadata.k"),
        ({**card_payment(), "metadata": {f"k{i}": "v" for i in range(50)}}, "metadata"),
        ({**card_payment(), "metadata": {"payment_id": "pay_someone_elses"}}, "metadata.payment_id"),
        ({**card_payment(), "description": "x" * 1001}, "description"),
        ({**card_payment(), "surprise": 1}, "surprise"),
        (card_with(number="4242424242424241"), "payment_method.card.number"),
        (card_with(number="42"), "payment_method.card.number"),
        (card_with(exp_month=13), "payment_method.card.exp_month"),
        (card_with(exp_year=2001), "payment_method.card.exp_year"),
        (card_with(cvc="12a"), "payment_method.card.cvc"),
        ({"amount": 100, "currency": "USD", "payment_method": {"type": "sepa"}}, "payment_method"),
    ],
)
def test_validation_names_the_field_and_writes_nothing(client, auth, merchant, db, body, field):
    problem = assert_problem(client.simulate_post("/payments", json=body, headers=auth), 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert "4242424242424241" not in str(problem)
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 0


def test_metadata_holds_49_keys_of_the_merchant_and_never_our_payment_id(client, auth, db):
    """Stripe takes 50 keys in all and routes its events by ``payment_id``: that key is ours alone."""
    created = client.simulate_post(
        "/payments", json=card_payment(metadata={f"k{i}": "v" for i in range(49)}), headers=auth
    )
    assert created.status_code == 202, created.text
    path = f"/payments/{created.json['id']}"
    too_many = assert_problem(
        client.simulate_put(path, json={"metadata": {f"k{i}": "v" for i in range(50)}}, headers=auth), 422
    )
    ours = assert_problem(
        client.simulate_put(path, json={"metadata": {"payment_id": "pay_x"}}, headers=auth), 422
    )

    assert too_many["errors"] == [
        {"field": "metadata", "reason": "must have at most 49 keys (Stripe holds 50, one is ours)"}
    ]
    assert [e["field"] for e in ours["errors"]] == ["metadata.payment_id"]
    assert Payment.get_by_id(created.json["id"]).metadata == {f"k{i}": "v" for i in range(49)}


def raw_post(client, auth, body, media="application/json"):
    return client.simulate_post("/payments", body=body, headers={**auth, "Content-Type": media})


def test_malformed_json_is_400(client, auth):
    assert_problem(raw_post(client, auth, b'{"amount": '), 400)
    assert_problem(raw_post(client, auth, b"[1]"), 400)


def test_wrong_media_type_is_415(client, auth):
    assert_problem(raw_post(client, auth, b"amount=1", "application/x-www-form-urlencoded"), 415)


def test_oversized_body_is_413(client, auth, config):
    big = b'{"description": "' + b"x" * config.max_body_bytes + b'"}'
    assert_problem(
        client.simulate_post("/payments", body=big, headers={**auth, "Content-Type": "application/json"}), 413
    )


def test_a_body_the_server_does_not_delimit_is_411_never_read_as_no_body(client, auth, merchant, db):
    """Chunked with no ``wsgi.input_terminated`` (this test server, like wsgiref, passes the raw input):
    reading it could block, and skipping it would capture or refund in full. Chunked bodies through
    gunicorn are read: ``tests/workers/test_chunked_bodies.py``."""
    resp = client.simulate_post(
        "/payments",
        headers={**auth, "Content-Type": "application/json", "Transfer-Encoding": "chunked"},
        extras={"wsgi.input": io.BytesIO(b'5\r\n{"a":\r\n0\r\n\r\n')},
    )
    assert assert_problem(resp, 411)["type"] == "/problems/length-required"
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 0


def test_unknown_route_and_method(client, auth):
    assert_problem(client.simulate_get("/nowhere", headers=auth), 404)
    assert_problem(client.simulate_delete("/payments", headers=auth), 405)


def test_bad_idempotency_key_is_400(client, auth):
    assert_problem(
        client.simulate_post("/payments", json=card_payment(), headers={**auth, "Idempotency-Key": "é" * 3}),
        400,
    )


PAN = "4242424242424242"


def assert_no_pan(resp, status):
    """The answer is a problem naming no card number, in any spelling."""
    assert_problem(resp, status)
    assert PAN not in resp.text and PAN not in "".join(ch for ch in resp.text if ch.isdigit()), resp.text


@pytest.mark.parametrize(
    "body",
    [
        {**card_payment(), PAN: 1},  # an unknown field named with a card number
        {**card_payment(), "card 4242.4242.4242.4242": 1},
        {**card_payment(), "metadata": {PAN: 1}},  # a metadata key holding one, its value refused
        {**card_payment(), "metadata": {f"pan {PAN} " + "k" * 40: "v"}},  # ... or its key too long
    ],
)
def test_a_card_number_in_a_field_name_is_never_echoed(client, auth, merchant, db, body):
    assert_no_pan(client.simulate_post("/payments", json=body, headers=auth), 422)
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 0


@pytest.mark.parametrize(
    "path",
    [
        f"/payments/{PAN}",
        "/payments/4242.4242.4242.4242/refunds",
        f"/nowhere/{PAN}",
        "/nowhere/4242%204242%204242%204242",
    ],
)
def test_a_card_number_in_a_path_is_never_echoed(client, auth, path):
    assert_no_pan(client.simulate_get(path, headers=auth), 404)
