"""Talking to the API from a test: request bodies, the calls every suite makes, answers checked against
OpenAPI."""

import jsonschema

from ingress.openapi import document
from store.models import Event

SCHEMAS = document()["components"]["schemas"]
PUBLIC = "https://93.184.215.14/hooks"  # a public address: never called by the tests


def card_payment(number="4242424242424242", amount=1050, currency="USD", **extra):
    return {
        "amount": amount,
        "currency": currency,
        "payment_method": {
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        },
        **extra,
    }


def new_customer(client, auth, email="ada@example.test", name="Ada Lovelace", **extra):
    """A new customer of the credential's merchant and mode: its id."""
    resp = client.simulate_post("/customers", json={"email": email, "name": name, **extra}, headers=auth)
    assert resp.status_code == 201, resp.text
    return resp.json["id"]


def conforms(body, schema_name):
    schema = {**SCHEMAS[schema_name], "components": {"schemas": SCHEMAS}}
    resolver_doc = {"components": {"schemas": SCHEMAS}, **schema}
    jsonschema.validate(body, resolver_doc, cls=jsonschema.Draft202012Validator)


def pay(api, auth, **kwargs):
    resp = api.simulate_post("/payments", json=card_payment(**kwargs), headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json["id"]


def canceled_payment(client, auth):
    """A payment canceled while pending: ``payment.canceled`` is written by the ingress itself."""
    pid = client.simulate_post("/payments", json=card_payment(), headers=auth).json["id"]
    assert client.simulate_post(f"/payments/{pid}/cancel", headers=auth).status_code == 202
    return pid


def event_of(payment_id, type_):
    return Event.get((Event.payment_id == payment_id) & (Event.type == type_))


def create_endpoint(client, auth, url=PUBLIC, events=("*",), **extra):
    return client.simulate_post(
        "/webhook_endpoints", json={"url": url, "enabled_events": list(events), **extra}, headers=auth
    )
