"""``GET``/``PATCH /merchant``: the credential's merchant and its settings, and ``POST /payments`` obeying
them (route, accepted currencies), against real Postgres and Redis."""

import getpass
import os
import subprocess
import sys

import pytest

from ingress import validation
from store.models import AuditEvent, Merchant, OutboxJob, Payment
from tests.support.api import card_payment, conforms

SETTINGS = {
    "display_name": "Acme Shop",
    "default_currency": "eur",
    "accepted_currencies": ["eur", "JPY"],
    "route": ["paypal", "stripe"],
    "statement_descriptor": "ACME SHOP 42",
}


def patch(client, auth, body, **headers):
    return client.simulate_patch("/merchant", json=body, headers={**auth, **headers})


def first_job(client, auth, **payment):
    """The payment's route and the queue of its first job."""
    resp = client.simulate_post("/payments", json=card_payment(**payment), headers=auth)
    assert resp.status_code == 202, resp.text
    return Payment.get_by_id(resp.json["id"]).route, OutboxJob.get(
        OutboxJob.args.contains(resp.json["id"])
    ).queue_name


def test_a_merchant_first_seen_has_the_defaults(client, auth, merchant):
    resp = client.simulate_get("/merchant", headers=auth)
    assert resp.status_code == 200
    conforms(resp.json, "Merchant")
    assert {k: v for k, v in resp.json.items() if k != "created_at"} == {
        "id": merchant,
        "object": "merchant",
        "display_name": merchant,
        "default_currency": "USD",
        "accepted_currencies": None,
        "route": None,
        "statement_descriptor": None,
        "settings": {},
        "raw_card_data": True,  # the column's default: merchants first seen keep sending raw cards
        "deleted": False,
    }
    refused = patch(client, auth, {"raw_card_data": False})
    assert refused.status_code == 422 and refused.json["errors"] == [
        {"field": "raw_card_data", "reason": validation.MERCHANT_READ_ONLY["raw_card_data"]}
    ]


def test_patch_sets_every_field_and_get_reads_it_back(client, auth, merchant):
    resp = patch(client, auth, SETTINGS)
    assert resp.status_code == 200, resp.text
    conforms(resp.json, "Merchant")
    expected = {**SETTINGS, "default_currency": "EUR", "accepted_currencies": ["EUR", "JPY"]}
    assert {k: resp.json[k] for k in SETTINGS} == expected
    assert client.simulate_get("/merchant", headers=auth).json == resp.json
    cleared = patch(client, auth, {"accepted_currencies": None, "route": None, "statement_descriptor": None})
    assert (
        cleared.json["accepted_currencies"],
        cleared.json["route"],
        cleared.json["statement_descriptor"],
    ) == (
        None,
        None,
        None,
    )
    assert cleared.json["display_name"] == "Acme Shop"  # fields not named are kept


@pytest.mark.parametrize(
    "body,field",
    [
        ({}, "body"),
        ({"colour": "red"}, "colour"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": None}, "display_name"),
        ({"display_name": "n" * (validation.DISPLAY_NAME_MAX + 1)}, "display_name"),
        ({"display_name": "shop 4242 4242 4242 4242"}, "display_name"),
        ({"default_currency": "XXY"}, "default_currency"),
        ({"default_currency": None}, "default_currency"),
        ({"accepted_currencies": []}, "accepted_currencies"),
        ({"accepted_currencies": "USD"}, "accepted_currencies"),
        ({"accepted_currencies": ["USD", "usd"]}, "accepted_currencies"),
        ({"accepted_currencies": ["USD", "ZZZ"]}, "accepted_currencies[1]"),
        ({"route": []}, "route"),
        ({"route": ["stripe", "stripe"]}, "route"),
        ({"route": ["adyen"]}, "route[0]"),
        ({"route": [{"name": "stripe"}]}, "route[0]"),
        ({"statement_descriptor": "ACME"}, "statement_descriptor"),
        ({"statement_descriptor": "A" * (validation.DESCRIPTOR_MAX + 1)}, "statement_descriptor"),
        ({"statement_descriptor": "12345 678"}, "statement_descriptor"),
        ({"statement_descriptor": "ACME*SHOP"}, "statement_descriptor"),
        ({"statement_descriptor": "ACME 'SHOP'"}, "statement_descriptor"),
        ({"statement_descriptor": "CAFÉ DU PARC"}, "statement_descriptor"),
        ({"settings": []}, "settings"),
        ({"settings": {"risk": {"max_amount": 100}}}, "settings.risk"),
        # Well formed, refused by what is stored: the default currency must stay accepted.
        ({"accepted_currencies": ["EUR"]}, "accepted_currencies"),
        ({"default_currency": "JPY", "accepted_currencies": ["EUR"]}, "default_currency"),
    ],
)
def test_each_bad_field_is_422_naming_it_and_nothing_is_written(client, auth, body, field):
    before = client.simulate_get("/merchant", headers=auth).json
    # A good field beside the bad one: it is not written either.
    resp = patch(client, auth, {"statement_descriptor": "GOOD SHOP", **body} if body else body)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in resp.json["errors"]] == [field]
    assert client.simulate_get("/merchant", headers=auth).json == before


def test_every_bad_field_of_one_body_is_named(client, auth):
    body = {"display_name": "", "default_currency": "usdx", "route": ["x"], "statement_descriptor": "**"}
    resp = patch(client, auth, body)
    assert resp.status_code == 422
    fields = [e["field"] for e in resp.json["errors"]]
    assert fields == ["display_name", "default_currency", "route[0]", "statement_descriptor"]


def test_reading_needs_read_and_changing_needs_merchant_write(client, mint, merchant):
    reader = {"Authorization": f"Bearer {mint(merchant, scopes=('payments:read',))}"}
    assert client.simulate_get("/merchant", headers=reader).status_code == 200
    resp = patch(client, reader, {"display_name": "Mallory"})
    assert resp.status_code == 403 and 'scope="merchant:write"' in resp.headers["www-authenticate"]
    assert Merchant.get_by_id(merchant).display_name == merchant
    operator = {"Authorization": f"Bearer {mint('ops-alice', scopes=('admin',))}"}
    assert client.simulate_get("/merchant", headers=operator).status_code == 403


def test_a_patch_replays_with_its_idempotency_key(client, auth):
    first = patch(client, auth, {"display_name": "Once"}, **{"Idempotency-Key": "rename-1"})
    patch(client, auth, {"display_name": "Twice"})
    again = patch(client, auth, {"display_name": "Once"}, **{"Idempotency-Key": "rename-1"})
    assert again.headers.get("idempotent-replayed") == "true" and again.json == first.json


def test_payments_follow_the_merchants_route_and_a_preference_still_goes_first(client, auth):
    assert first_job(client, auth) == ("stripe,paypal", "payments.stripe")  # PAYWAVE_ROUTE
    patch(client, auth, {"route": ["paypal", "stripe"]})
    assert first_job(client, auth) == ("paypal,stripe", "payments.paypal")
    assert first_job(client, auth, gateway="stripe") == ("stripe,paypal", "payments.stripe")
    patch(client, auth, {"route": ["paypal"]})
    assert first_job(client, auth) == ("paypal", "payments.paypal")
    patch(client, auth, {"route": None})
    assert first_job(client, auth) == ("stripe,paypal", "payments.stripe")


def test_a_currency_the_merchant_does_not_accept_is_422_on_currency_and_nothing_is_written(
    client, auth, merchant
):
    patch(client, auth, {"default_currency": "EUR", "accepted_currencies": ["EUR", "JPY"]})
    resp = client.simulate_post("/payments", json=card_payment(currency="USD"), headers=auth)
    assert resp.status_code == 422 and [e["field"] for e in resp.json["errors"]] == ["currency"]
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 0
    both = client.simulate_post("/payments", json=card_payment(currency="USD", amount=0), headers=auth)
    assert [e["field"] for e in both.json["errors"]] == ["amount", "currency"]  # reported with the rest
    accepted = client.simulate_post("/payments", json=card_payment(currency="jpy"), headers=auth)
    assert accepted.status_code == 202 and accepted.json["currency"] == "JPY"


def test_settings_sections_are_replaced_one_by_one_and_removed_with_null(client, auth, monkeypatch):
    """A later issue adds a section by registering its check: no migration, and the others are kept."""

    def positive(errors, field, value, production):
        if not isinstance(value, int) or value < 1:
            errors.add(field, "must be a positive integer")
        return value

    monkeypatch.setitem(validation.SETTINGS_SECTIONS, "risk", positive)
    monkeypatch.setitem(validation.SETTINGS_SECTIONS, "notifications", positive)
    assert patch(client, auth, {"settings": {"risk": 5}}).json["settings"] == {"risk": 5}
    assert patch(client, auth, {"settings": {"notifications": 2}}).json["settings"] == {
        "risk": 5,
        "notifications": 2,
    }
    bad = patch(client, auth, {"settings": {"risk": 0}})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "settings.risk"
    assert patch(client, auth, {"settings": {"risk": None}}).json["settings"] == {"notifications": 2}


def test_the_cli_creates_a_merchant_and_prints_its_id_alone(config, client, mint):
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    command = [
        sys.executable,
        "-m",
        "cli",
        "admin",
        "create-merchant",
        "--name",
        "Acme Shop",
        "--currency",
        "eur",
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    merchant_id = out.stdout.strip()
    assert merchant_id.startswith("mer_") and len(merchant_id) == 28 and out.stdout == merchant_id + "\n"
    auth = {"Authorization": f"Bearer {mint(merchant_id)}"}
    got = client.simulate_get("/merchant", headers=auth).json
    assert (got["id"], got["display_name"], got["default_currency"]) == (merchant_id, "Acme Shop", "EUR")
    created = AuditEvent.get(AuditEvent.merchant_id == merchant_id)
    assert (created.actor_type, created.actor_id, created.action, created.object_id) == (
        "operator",
        f"cli:{getpass.getuser()}",
        "merchant.created",
        merchant_id,
    )
    assert created.summary["after"]["display_name"] == "Acme Shop"
    refused = subprocess.run([*command[:-1], "EURO"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "default_currency" in refused.stderr and refused.stdout == ""


def test_delete_is_refused_while_money_is_in_flight_then_refuses_every_credential(
    client, auth, mint, merchant, db
):
    from store.models import ApiKey, AuditEvent, WebhookEndpoint
    from tests.support.api import create_endpoint

    endpoint = create_endpoint(client, auth).json["id"]
    key = client.simulate_post("/api_keys", json={"name": "k", "mode": "live"}, headers=auth).json
    pending = client.simulate_post("/payments", json=card_payment(), headers=auth).json["id"]
    refused = client.simulate_delete("/merchant", headers=auth)
    assert refused.status_code == 409 and "1 payments and 0 refunds" in refused.json["detail"]
    assert not Merchant.get_by_id(merchant).deleted_at
    Payment.update(status="succeeded").where(Payment.id == pending).execute()

    resp = client.simulate_delete("/merchant", headers=auth)
    assert resp.status_code == 200, resp.text
    conforms(resp.json, "Merchant")
    assert resp.json["deleted"] is True
    assert WebhookEndpoint.get_by_id(endpoint).status == "disabled"
    assert ApiKey.get_by_id(key["id"]).revoked_at is not None
    assert (
        client.simulate_get("/merchant", headers={"Authorization": f"Bearer {key['secret']}"}).status_code
        == 401
    )
    assert AuditEvent.get((AuditEvent.object_id == merchant) & (AuditEvent.action == "merchant.deleted"))
    for call in (client.simulate_get, client.simulate_delete):  # the same and a new credential: refused
        for headers in (auth, {"Authorization": f"Bearer {mint(merchant)}"}):
            gone = call("/merchant", headers=headers)
            assert gone.status_code == 403 and gone.json["type"].endswith("merchant-deleted")
    assert Payment.get_by_id(pending).merchant_id == merchant  # kept


def test_only_a_credential_with_merchant_delete_may_delete(client, mint, merchant):
    read_write = {"Authorization": f"Bearer {mint(merchant, scopes=('payments:read',))}"}
    assert client.simulate_delete("/merchant", headers=read_write).status_code == 403
    assert client.simulate_get("/merchant", headers=read_write).json["deleted"] is False
