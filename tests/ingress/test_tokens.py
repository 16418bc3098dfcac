"""Publishable keys and card tokens: a ``pk_`` key creates tokens and nothing else; a token pays one
payment of its merchant and mode, before it expires, and the card number is never stored in clear."""

import datetime

from store.models import CardToken, Payment
from tests.ingress.test_api_keys import bearer, create_key

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}


def tokenize(client, key, card=CARD):
    return client.simulate_post("/tokens", json={"card": card}, headers=bearer(key))


def pay(client, auth, token_id):
    body = {"amount": 1050, "currency": "USD", "payment_method": {"type": "token", "token": token_id}}
    return client.simulate_post("/payments", json=body, headers=auth)


def test_a_publishable_key_creates_tokens_and_nothing_else(client, auth):
    key = create_key(client, auth, type="publishable")
    assert key["secret"].startswith("pk_test_") and key["scopes"] == ["tokens:write"]
    assert key["type"] == "publishable"
    resp = tokenize(client, key)
    assert resp.status_code == 201, resp.text
    token = resp.json
    assert token["id"].startswith("tok_") and token["object"] == "token" and token["used"] is False
    assert token["card"]["last4"] == "4242" and token["card"]["brand"] == "visa"
    assert "4242424242424242" not in resp.text and "123" not in str(token["card"])
    assert client.simulate_get("/payments", headers=bearer(key)).status_code == 403
    secret = create_key(client, auth)
    assert tokenize(client, secret).status_code == 403  # a secret key never holds tokens:write


def test_a_publishable_key_takes_no_scopes_and_a_type_is_one_of_two(client, auth):
    resp = client.simulate_post(
        "/api_keys",
        json={"name": "page", "mode": "test", "type": "publishable", "scopes": ["payments:read"]},
        headers=auth,
    )
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "scopes"
    for bad in ({"a": 1}, ["secret"], "public"):
        body = {"name": "x", "mode": "test", "type": bad}
        resp = client.simulate_post("/api_keys", json=body, headers=auth)
        assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "type"


def test_a_bad_card_is_422_naming_the_field(client, auth):
    key = create_key(client, auth, type="publishable")
    resp = tokenize(client, key, {**CARD, "number": "4242424242424241"})
    assert resp.status_code == 422 and [e["field"] for e in resp.json["errors"]] == ["card.number"]
    assert "4242424242424241" not in resp.text


def test_a_token_pays_once(client, auth, mint, merchant):
    key = create_key(client, auth, type="publishable")
    token = tokenize(client, key).json
    row = CardToken.get_by_id(token["id"])
    assert "4242424242424242" not in row.card_ciphertext and row.cvc_ciphertext
    test_auth = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    resp = pay(client, test_auth, token["id"])
    assert resp.status_code == 202, resp.text
    payment = Payment.get_by_id(resp.json["id"])
    assert (payment.card_token, payment.card_ciphertext) == (token["id"], row.card_ciphertext)
    assert CardToken.get_by_id(token["id"]).cvc_ciphertext is None
    again = pay(client, test_auth, token["id"])
    assert again.status_code == 422 and again.json["errors"][0]["field"] == "payment_method.token"
    assert "used" in again.json["errors"][0]["reason"]


def test_an_unknown_expired_or_other_mode_token_is_422(client, auth, mint, merchant):
    key = create_key(client, auth, type="publishable")
    token = tokenize(client, key).json
    live = pay(client, auth, token["id"])  # a test token, a live credential
    assert live.status_code == 422 and live.json["errors"][0]["field"] == "payment_method.token"
    assert not Payment.select().where(Payment.card_token == token["id"]).exists()
    assert pay(client, auth, "tok_" + "x" * 24).status_code == 422
    assert pay(client, auth, "nope").json["errors"][0]["field"] == "payment_method.token"
    CardToken.update(expires_at=datetime.datetime(2020, 1, 1)).where(CardToken.id == token["id"]).execute()
    test_auth = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    assert "expired" in pay(client, test_auth, token["id"]).json["errors"][0]["reason"]
