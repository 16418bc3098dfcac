"""``payment_method`` beyond a raw card: PayPal's wallet and Stripe PaymentMethods are routed to their one
gateway and hold no card; raw card numbers only from a merchant allowed to send them (an operator's switch,
off for merchants ``paywave admin create-merchant`` makes)."""

import getpass
import os
import subprocess
import sys

import pytest

from store import merchants
from store.models import AuditEvent, Merchant, Payment
from tests.ingress.test_api_keys import build, create_key
from tests.ingress.test_tokens import pay as pay_with_token
from tests.ingress.test_tokens import tokenize
from tests.support.api import card_payment, conforms

RETURN_URL = "https://shop.example/back"
PAYPAL = {"amount": 1050, "currency": "USD", "payment_method": {"type": "paypal"}, "return_url": RETURN_URL}


def stripe_pm(pm="pm_card_visa", **extra):
    return {
        "amount": 1050,
        "currency": "USD",
        "payment_method": {"type": "stripe_payment_method", "id": pm},
        **extra,
    }


def created(client, auth, body):
    resp = client.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    conforms(resp.json, "Payment")
    return resp.json, Payment.get_by_id(resp.json["id"])


def fields(resp):
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json", resp.text
    return [e["field"] for e in resp.json["errors"]]


def test_paypal_is_routed_to_paypal_only_and_holds_no_card(client, auth, db):
    body, row = created(client, auth, PAYPAL)
    assert (
        body["method"] == "paypal" and body["payment_method"] == {"type": "paypal"} and body["card"] is None
    )
    assert (row.method, row.method_id, row.route, row.return_url) == ("paypal", None, "paypal", RETURN_URL)
    assert row.card_ciphertext is None and row.card_last4 is None and row.cvc_ciphertext is None


def test_paypal_needs_a_return_url_and_no_other_gateway(client, auth, db):
    no_return = {k: v for k, v in PAYPAL.items() if k != "return_url"}
    assert fields(client.simulate_post("/payments", json=no_return, headers=auth)) == ["return_url"]
    to_stripe = {**PAYPAL, "gateway": "stripe"}
    assert fields(client.simulate_post("/payments", json=to_stripe, headers=auth)) == ["gateway"]
    extra = {**PAYPAL, "payment_method": {"type": "paypal", "email": "a@b.example"}}
    assert fields(client.simulate_post("/payments", json=extra, headers=auth)) == ["payment_method.email"]
    assert created(client, auth, {**PAYPAL, "gateway": "paypal"})[1].route == "paypal"


def test_a_stripe_payment_method_goes_to_stripe_only(client, auth, db):
    for route in (["paypal"], ["paypal", "stripe"]):  # the merchant's route never adds another gateway
        assert client.simulate_patch("/merchant", json={"route": route}, headers=auth).status_code == 200
        body, row = created(client, auth, stripe_pm("pm_1Abc_2"))
        assert body["payment_method"] == {"type": "stripe_payment_method", "id": "pm_1Abc_2"}
        assert body["method"] == "stripe_payment_method" and body["card"] is None
        assert (row.method, row.method_id, row.route, row.card_key_id) == (
            "stripe_payment_method",
            "pm_1Abc_2",
            "stripe",
            None,
        )
    assert fields(client.simulate_post("/payments", json=stripe_pm(gateway="paypal"), headers=auth)) == [
        "gateway"
    ]
    for bad in ("card_visa", "pm_", "pm_a-b", 42, None, "pm_" + "a" * 256):
        assert fields(client.simulate_post("/payments", json=stripe_pm(bad), headers=auth)) == [
            "payment_method.id"
        ]


@pytest.mark.parametrize("method", [{"type": "bitcoin"}, {"card": {}}, "card", None, {"type": "card"}])
def test_an_unknown_payment_method_is_422_naming_it(client, auth, method):
    body = {"amount": 1050, "currency": "USD", "payment_method": method}
    assert fields(client.simulate_post("/payments", json=body, headers=auth)) == ["payment_method"]


def test_a_token_payment_shows_its_token_and_card(client, mint, merchant, db):
    test_auth = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    token = tokenize(client, create_key(client, test_auth, type="publishable")).json
    resp = pay_with_token(client, test_auth, token["id"])
    assert resp.status_code == 202, resp.text
    conforms(resp.json, "Payment")
    card = {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}
    assert resp.json["payment_method"] == {"type": "token", "token": token["id"], "card": card}
    assert resp.json["method"] == "card" and resp.json["card"] == card


def test_raw_cards_need_the_merchants_switch(config, cache, relay, auth, merchant, db):
    client = build(config, cache, relay, merchant_cache_seconds=0)
    merchants.ensure(merchant)
    assert Merchant.get_by_id(merchant).raw_card_data  # merchants first seen keep sending raw cards
    merchants.set_raw_card_data(merchant, False)
    before = Payment.select().where(Payment.merchant_id == merchant).count()
    refused = client.simulate_post("/payments", json=card_payment(), headers=auth)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json["type"] == "/problems/raw-card-data-not-allowed"
    assert [e["field"] for e in refused.json["errors"]] == ["payment_method"]
    assert "token" in refused.json["detail"] and "4242424242424242" not in refused.text
    assert Payment.select().where(Payment.merchant_id == merchant).count() == before
    assert client.simulate_get("/merchant", headers=auth).json["raw_card_data"] is False
    assert created(client, auth, PAYPAL)[1].method == "paypal"  # other methods go on

    merchants.set_raw_card_data(merchant, True)
    assert created(client, auth, card_payment())[1].card_last4 == "4242"
    changes = [
        e.summary
        for e in AuditEvent.select()
        .where((AuditEvent.merchant_id == merchant) & (AuditEvent.action == "merchant.updated"))
        .order_by(AuditEvent.id)
    ]
    assert [c["after"]["raw_card_data"] for c in changes] == [False, True]


def cli(config, *args):
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    return subprocess.run(
        [sys.executable, "-m", "cli", "admin", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_cli_creates_merchants_without_raw_cards_unless_asked_and_switches_them(config, db):
    plain = cli(config, "create-merchant", "--name", "Token Shop")
    allowed = cli(config, "create-merchant", "--name", "Legacy Shop", "--allow-raw-cards")
    assert plain.returncode == allowed.returncode == 0, plain.stderr + allowed.stderr
    plain_id, allowed_id = plain.stdout.strip(), allowed.stdout.strip()
    assert not Merchant.get_by_id(plain_id).raw_card_data and Merchant.get_by_id(allowed_id).raw_card_data

    on = cli(config, "set-raw-cards", plain_id, "on")
    assert on.returncode == 0, on.stderr
    assert '"raw_card_data":true' in on.stdout and Merchant.get_by_id(plain_id).raw_card_data
    event = AuditEvent.get((AuditEvent.object_id == plain_id) & (AuditEvent.action == "merchant.updated"))
    assert (event.actor_type, event.actor_id) == ("operator", f"cli:{getpass.getuser()}")
    assert cli(config, "set-raw-cards", plain_id, "off").returncode == 0
    assert not Merchant.get_by_id(plain_id).raw_card_data
    unknown = cli(config, "set-raw-cards", "mer_nobody", "on")
    assert unknown.returncode != 0 and "no merchant mer_nobody" in unknown.stderr
    assert cli(config, "set-raw-cards", plain_id, "maybe").returncode != 0
