"""Browser-facing routes (``ingress.checkout``): the merchant's allowed origins, CORS for ``POST /tokens``
only, the card fields' page and its framing, the client library, and the demo checkout's guards."""

import pytest

from ingress import validation
from ingress.errors import ValidationFailed
from store.models import CardToken
from tests.ingress.test_api_keys import bearer, build, create_key
from tests.ingress.test_merchant import patch
from tests.ingress.test_tokens import CARD

SHOP = "https://shop.example"


@pytest.fixture
def publishable(client, auth):
    key = create_key(client, auth, type="publishable")
    assert patch(client, auth, {"settings": {"checkout": {"allowed_origins": [SHOP]}}}).status_code == 200
    return key


def tokenize(client, key, origin=None):
    headers = {**bearer(key), **({"Origin": origin} if origin else {})}
    return client.simulate_post("/tokens", json={"card": CARD}, headers=headers)


def test_allowed_origins_are_origins_as_browsers_send_them(client, auth):
    origins = [SHOP, "https://pay.shop.example:8443", "http://localhost:3000", "https://[::1]:8443"]
    resp = patch(client, auth, {"settings": {"checkout": {"allowed_origins": origins}}})
    assert resp.status_code == 200, resp.text
    assert resp.json["settings"]["checkout"] == {"allowed_origins": origins}
    bad = [
        "https://shop.example/",
        "https://Shop.example",
        "https://shop.example:443",
        "https://shop.example/pay",
        "https://user@shop.example",
        "ftp://shop.example",
        "shop.example",
        "https://shop.example;script-src",
        "https://shop example",
        5,
    ]
    resp = patch(client, auth, {"settings": {"checkout": {"allowed_origins": bad}}})
    assert resp.status_code == 422
    fields = [e["field"] for e in resp.json["errors"]]
    assert fields == [f"settings.checkout.allowed_origins[{i}]" for i in range(len(bad))]
    for body, field in (
        ({"allowed_origins": [SHOP, SHOP]}, "settings.checkout.allowed_origins"),
        ({"allowed_origins": SHOP}, "settings.checkout.allowed_origins"),
        ({"allowed_origins": [SHOP], "origins": []}, "settings.checkout.origins"),
        ([SHOP], "settings.checkout"),
    ):
        resp = patch(client, auth, {"settings": {"checkout": body}})
        assert resp.status_code == 422 and [e["field"] for e in resp.json["errors"]] == [field]
    assert patch(client, auth, {"settings": {"checkout": None}}).json["settings"] == {}


def test_production_allows_https_origins_only():
    body = {"settings": {"checkout": {"allowed_origins": [SHOP, "http://localhost:3000"]}}}
    with pytest.raises(ValidationFailed) as refused:
        validation.merchant_changes(body, production=True)
    assert refused.value.errors == [
        {"field": "settings.checkout.allowed_origins[1]", "reason": "must be an https origin in production"}
    ]
    assert validation.merchant_changes(body, production=False) == body


def test_a_preflight_for_post_tokens_is_granted_to_any_origin_and_other_routes_get_none(client):
    preflight = {
        "Origin": "https://anyone.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    resp = client.simulate_options("/tokens", headers=preflight)
    assert resp.status_code == 204
    assert resp.headers["Access-Control-Allow-Origin"] == "https://anyone.example"
    assert resp.headers["Access-Control-Allow-Methods"] == "POST"
    assert resp.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type, Idempotency-Key"
    assert resp.headers["Vary"] == "Origin"
    get = client.simulate_options("/tokens", headers={**preflight, "Access-Control-Request-Method": "GET"})
    assert get.status_code == 204 and "Access-Control-Allow-Origin" not in get.headers
    other = client.simulate_options("/payments", headers=preflight)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_post_tokens_from_a_browser_needs_an_allowed_origin(client, auth, publishable, config):
    allowed = tokenize(client, publishable, SHOP)
    assert allowed.status_code == 201, allowed.text
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP and allowed.headers["Vary"] == "Origin"
    own = tokenize(client, publishable, config.public_url)  # PayWave's card fields
    assert own.status_code == 201 and own.headers["Access-Control-Allow-Origin"] == config.public_url

    tokens = CardToken.select().count()
    refused = tokenize(client, publishable, "https://evil.example")
    assert refused.status_code == 403 and refused.json["type"].endswith("origin-not-allowed")
    assert "Access-Control-Allow-Origin" not in refused.headers and refused.headers["Vary"] == "Origin"
    assert CardToken.select().count() == tokens  # refused before anything was written

    server = tokenize(client, publishable)  # no Origin: not a browser's cross-origin request
    assert server.status_code == 201 and "Access-Control-Allow-Origin" not in server.headers
    invalid = client.simulate_post(
        "/tokens", json={"card": {}}, headers={**bearer(publishable), "Origin": SHOP}
    )
    assert invalid.status_code == 422 and invalid.headers["Access-Control-Allow-Origin"] == SHOP  # readable
    payments = client.simulate_get("/payments", headers={**auth, "Origin": SHOP})
    assert payments.status_code == 200 and "Access-Control-Allow-Origin" not in payments.headers


def test_an_origin_removed_is_refused_at_once_by_this_process(client, auth, publishable):
    assert tokenize(client, publishable, SHOP).status_code == 201
    patch(client, auth, {"settings": {"checkout": {"allowed_origins": ["https://new.example"]}}})
    assert tokenize(client, publishable, SHOP).status_code == 403


def test_the_card_fields_are_framed_by_an_allowed_origin_only(client, auth, publishable):
    def fields(key, origin):
        return client.simulate_get("/v1/card-fields", params={"key": key, "origin": origin})

    page = fields(publishable["secret"], SHOP)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {SHOP};" in policy and "script-src 'self';" in policy
    assert page.headers["Cache-Control"] == "no-store"
    assert fields(publishable["secret"], "https://evil.example").status_code == 403
    assert fields(create_key(client, auth)["secret"], SHOP).status_code == 400  # a secret key: never in a URL
    assert fields("pk_test_" + "x" * 48, SHOP).status_code == 401
    assert client.simulate_get("/v1/card-fields", params={"origin": SHOP}).status_code == 400


def test_the_client_library_is_served_as_javascript_for_a_few_minutes(client):
    resp = client.simulate_get("/v1/paywave.js")
    assert resp.status_code == 200 and "PayWave" in resp.text
    assert resp.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    assert client.simulate_get("/checkout/demo").status_code == 404  # PAYWAVE_DEMO_CHECKOUT is off


def test_the_demo_shop_takes_a_token_never_a_card(config, cache, relay, db):
    demo = build(
        config,
        cache,
        relay,
        demo_checkout=True,
        demo_publishable_key="pk_test_demo",
        demo_secret_key="sk_test_demo",
    )
    origin = "http://localhost:8000"  # the default public URL's twin
    page = demo.simulate_get("/checkout/demo", headers={"Host": "127.0.0.1:8000"})
    assert page.status_code == 302 and page.headers["Location"] == f"{origin}/checkout/demo"
    for body in ({"card": CARD}, {"token": CARD["number"]}, {}):
        resp = demo.simulate_post("/checkout/demo/pay", json=body, headers={"Origin": origin})
        assert resp.status_code == 422, body
        assert CARD["number"] not in resp.text
    other = demo.simulate_post(
        "/checkout/demo/pay", json={"paypal": True}, headers={"Origin": "https://x.example"}
    )
    assert other.status_code == 403
