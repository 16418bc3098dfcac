"""The PayPal sandbox over raw HTTP: PayPal's wire behaviour, money movements, controls."""

import concurrent.futures
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sandbox import cards
from sandbox.paypal.app import LUHN_FAILURE, RESPONSE_CODES
from tests.support.paypal import Buyer

ORDERS = "/v2/checkout/orders"


class Api:
    def __init__(self, url, token):
        self.url, self.session = url, requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Prefer": "return=representation"})

    def call(self, method, path, body=None, key="new", **kwargs):
        headers = kwargs.pop("headers", {})
        if key:
            headers["PayPal-Request-Id"] = uuid.uuid4().hex if key == "new" else key
        return self.session.request(method, self.url + path, json=body, headers=headers, timeout=10, **kwargs)

    def ledger(self):
        return requests.get(self.url + "/_sandbox/ledger", timeout=5).json()["data"]


def _token(url, **kwargs):
    return requests.post(
        url + "/v1/oauth2/token",
        timeout=5,
        **{"auth": ("client", "secret"), "data": {"grant_type": "client_credentials"}, **kwargs},
    )


def _order(
    value="10.00", currency="USD", number="4242424242424242", intent="CAPTURE", expiry="2031-12", **unit
):
    body = {
        "intent": intent,
        "purchase_units": [
            {"amount": {"currency_code": currency, "value": value}, "custom_id": "pay_sandbox", **unit}
        ],
    }
    if number:
        body["payment_source"] = {"card": {"number": number, "expiry": expiry, "security_code": "123"}}
    return body


def _issue(response):
    return response.status_code, response.json()["details"][0]["issue"]


@pytest.fixture(scope="module")
def url(start_sandbox):
    return start_sandbox("paypal")


@pytest.fixture
def api(url):
    for path in ("/_sandbox/faults", "/_sandbox/ledger"):
        requests.delete(url + path, timeout=5)
    return Api(url, _token(url).json()["access_token"])


def test_oauth_token(url):
    answer = _token(url)

    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Bearer" and answer.json()["expires_in"] == 32400
    assert _token(url, auth=None).json()["error"] == "invalid_client"
    assert _token(url, data={"grant_type": "password"}).status_code == 400


@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic Y2xpZW50OnNlY3JldA=="])
def test_api_calls_need_a_live_bearer_token(url, authorization):
    headers = {"Authorization": authorization} if authorization else {}

    answer = requests.get(f"{url}{ORDERS}/ANYORDER", headers=headers, timeout=5)

    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_token")


def test_revoked_tokens_stop_working(api):
    assert api.call("POST", ORDERS, _order()).status_code == 201
    requests.delete(api.url + "/_sandbox/oauth", timeout=5)

    assert api.call("POST", ORDERS, _order()).status_code == 401


def test_card_order_completes_on_create_with_hateoas_links(api):
    order = api.call("POST", ORDERS, _order()).json()

    capture = order["purchase_units"][0]["payments"]["captures"][0]
    assert (order["status"], capture["status"], capture["processor_response"]["response_code"]) == (
        "COMPLETED",
        "COMPLETED",
        "0000",
    )
    assert order["payment_source"]["card"] == {
        "last_digits": "4242",
        "brand": "VISA",
        "type": "CREDIT",
        "expiry": "2031-12",
    }
    assert [(link["rel"], link["method"]) for link in capture["links"]] == [
        ("self", "GET"),
        ("refund", "POST"),
        ("up", "GET"),
    ]
    for link in (*order["links"], capture["links"][0]):
        assert api.session.get(link["href"], timeout=5).status_code == 200
    authorization = api.call("POST", ORDERS, _order(intent="AUTHORIZE")).json()["purchase_units"][0][
        "payments"
    ]["authorizations"][0]
    assert authorization["status"] == "CREATED"
    assert [link["rel"] for link in authorization["links"]] == ["self", "capture", "void", "up"]


def test_minimal_representation_by_default(api):
    order = api.call("POST", ORDERS, _order(), headers={"Prefer": "return=minimal"}).json()

    assert set(order) == {"id", "status", "links"}


@pytest.mark.parametrize("number, outcome", sorted(cards.CARDS.items()))
def test_test_cards_give_their_issuer_outcome(api, number, outcome):
    order = api.call("POST", ORDERS, _order(number=number)).json()

    capture = order["purchase_units"][0]["payments"]["captures"][0]
    if outcome.approved:
        assert (capture["status"], capture["processor_response"]["response_code"]) == ("COMPLETED", "0000")
    else:
        assert (capture["status"], capture["processor_response"]["response_code"]) == (
            "DECLINED",
            RESPONSE_CODES[outcome.decline_code],
        )
    assert order["status"] == "COMPLETED"  # as PayPal: the order completes, its capture is declined
    assert len(api.ledger()) == (1 if outcome.approved else 0)


def test_declined_authorization_is_denied(api):
    order = api.call("POST", ORDERS, _order(number="4000000000009995", intent="AUTHORIZE")).json()

    authorization = order["purchase_units"][0]["payments"]["authorizations"][0]
    assert (authorization["status"], authorization["processor_response"]["response_code"]) == (
        "DENIED",
        "5120",
    )
    assert api.ledger() == []


def test_card_failing_luhn_is_refused_by_the_issuer(api):
    order = api.call("POST", ORDERS, _order(number="4242424242424241")).json()

    assert (
        order["purchase_units"][0]["payments"]["captures"][0]["processor_response"]["response_code"]
        == LUHN_FAILURE
    )


def test_same_request_id_replays_the_saved_answer(api):
    key = uuid.uuid4().hex
    first = api.call("POST", ORDERS, _order(), key=key)
    again = api.call("POST", ORDERS, _order(value="99.00"), key=key)  # PayPal does not compare bodies

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    [entry] = api.ledger()
    assert (entry["type"], entry["amount"], entry["idempotency_key"], entry["payment_id"]) == (
        "capture",
        1000,
        key,
        "pay_sandbox",
    )
    assert entry["gateway_reference"] == first.json()["id"]


def test_concurrent_requests_with_one_id_move_money_once(api):
    key = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        statuses = list(
            pool.map(lambda _: api.call("POST", ORDERS, _order(), key=key).status_code, range(24))
        )

    assert set(statuses) <= {200, 201, 409} and statuses.count(201) == 1
    assert len(api.ledger()) == 1


def test_card_payment_needs_a_request_id(api):
    assert _issue(api.call("POST", ORDERS, _order(), key=None)) == (400, "PAYPAL_REQUEST_ID_REQUIRED")


@pytest.mark.parametrize(
    "body, status, issue, field",
    [
        (
            {"intent": "CAPTURE", "purchase_units": [{}]},
            400,
            "MISSING_REQUIRED_PARAMETER",
            "/purchase_units/0/amount",
        ),
        ({"purchase_units": [{}]}, 400, "MISSING_REQUIRED_PARAMETER", "/intent"),
        (_order(currency="usd"), 400, "INVALID_PARAMETER_SYNTAX", "/purchase_units/0/amount/currency_code"),
        (_order(value="ten"), 400, "INVALID_PARAMETER_SYNTAX", "/purchase_units/0/amount/value"),
        (
            _order(currency="KWD", value="1.000"),
            422,
            "INVALID_CURRENCY_CODE",
            "/purchase_units/0/amount/currency_code",
        ),
        (_order(value="10.001"), 422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
        (_order(currency="JPY", value="100.0"), 422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
        (_order(currency="HUF", value="100.50"), 422, "DECIMAL_PRECISION", "/purchase_units/0/amount/value"),
        (_order(value="-1.00"), 422, "CANNOT_BE_ZERO_OR_NEGATIVE", "/purchase_units/0/amount/value"),
        (_order(description="x" * 128), 400, "INVALID_STRING_LENGTH", "/purchase_units/0/description"),
        (_order(number="4242"), 400, "INVALID_PARAMETER_SYNTAX", "/payment_source/card/number"),
        (_order(expiry="2031-13"), 400, "INVALID_PARAMETER_SYNTAX", "/payment_source/card/expiry"),
        (_order(expiry="2020-01"), 422, "CARD_EXPIRED", "/payment_source/card/expiry"),
    ],
)
def test_validation(api, body, status, issue, field):
    answer = api.call("POST", ORDERS, body)

    error = answer.json()
    assert (answer.status_code, error["details"][0]["issue"], error["details"][0]["field"]) == (
        status,
        issue,
        field,
    )
    assert (
        error["name"] == {400: "INVALID_REQUEST", 422: "UNPROCESSABLE_ENTITY"}[status] and error["debug_id"]
    )
    assert "value" not in error["details"][0]  # nothing sent is echoed back
    assert api.ledger() == []


def test_malformed_json(api):
    answer = api.session.post(
        api.url + ORDERS, data=b"{", headers={"Content-Type": "application/json"}, timeout=5
    )

    assert _issue(answer) == (400, "MALFORMED_REQUEST_JSON")


def test_whole_unit_currencies_reach_the_ledger_in_minor_units(api):
    api.call("POST", ORDERS, _order(currency="HUF", value="1500"))
    api.call("POST", ORDERS, _order(currency="JPY", value="1500"))

    assert [(e["amount"], e["currency"]) for e in api.ledger()] == [(150000, "HUF"), (1500, "JPY")]


def test_duplicate_invoice_is_refused(api):
    invoice = uuid.uuid4().hex

    assert api.call("POST", ORDERS, _order(invoice_id=invoice)).status_code == 201
    assert _issue(api.call("POST", ORDERS, _order(invoice_id=invoice))) == (422, "DUPLICATE_INVOICE_ID")


def test_capture_void_refund_rules(api):
    order = api.call("POST", ORDERS, _order(value="10.00", intent="AUTHORIZE")).json()
    auth = f"/v2/payments/authorizations/{order['purchase_units'][0]['payments']['authorizations'][0]['id']}"

    def money(value, currency="USD"):
        return {"amount": {"currency_code": currency, "value": value}}

    assert _issue(api.call("POST", f"{auth}/capture", money("10.01"))) == (422, "MAX_CAPTURE_AMOUNT_EXCEEDED")
    assert _issue(api.call("POST", f"{auth}/capture", money("1.00", "EUR"))) == (
        422,
        "AUTH_CAPTURE_CURRENCY_MISMATCH",
    )
    first = api.call("POST", f"{auth}/capture", money("6.00")).json()
    assert api.session.get(api.url + auth, timeout=5).json()["status"] == "PARTIALLY_CAPTURED"
    assert _issue(api.call("POST", f"{auth}/capture", money("4.01"))) == (422, "MAX_CAPTURE_AMOUNT_EXCEEDED")
    assert api.call("POST", f"{auth}/void").status_code == 200  # voids the 4.00 left
    assert _issue(api.call("POST", f"{auth}/void")) == (422, "PREVIOUSLY_VOIDED")
    assert _issue(api.call("POST", f"{auth}/capture", money("1.00"))) == (422, "AUTHORIZATION_VOIDED")

    refund = f"/v2/payments/captures/{first['id']}/refund"
    assert _issue(api.call("POST", refund, money("6.01"))) == (422, "REFUND_AMOUNT_EXCEEDED")
    assert api.call("POST", refund, money("2.50")).json()["status"] == "COMPLETED"
    assert (
        api.session.get(f"{api.url}/v2/payments/captures/{first['id']}", timeout=5).json()["status"]
        == "PARTIALLY_REFUNDED"
    )
    assert api.call("POST", refund, {}).json()["amount"]["value"] == "3.50"  # the rest
    assert _issue(api.call("POST", refund, money("0.01"))) == (422, "CAPTURE_FULLY_REFUNDED")
    assert [(e["type"], e["amount"]) for e in api.ledger()] == [
        ("authorization", 1000),
        ("capture", 600),
        ("void", 400),
        ("refund", 250),
        ("refund", 350),
    ]


def test_void_after_full_capture_is_refused(api):
    order = api.call("POST", ORDERS, _order(intent="AUTHORIZE")).json()
    auth = f"/v2/payments/authorizations/{order['purchase_units'][0]['payments']['authorizations'][0]['id']}"

    assert api.call("POST", f"{auth}/capture", {"final_capture": True}).status_code == 201
    assert _issue(api.call("POST", f"{auth}/void")) == (422, "PREVIOUSLY_CAPTURED")
    assert _issue(api.call("POST", f"{auth}/capture", {})) == (422, "AUTHORIZATION_ALREADY_CAPTURED")


def test_patch_follows_paypal_rules(api):
    created = api.call("POST", ORDERS, _order(number=None)).json()
    path, field = f"{ORDERS}/{created['id']}", "/purchase_units/@reference_id=='default'/description"

    assert created["status"] == "CREATED" and {link["rel"] for link in created["links"]} >= {
        "approve",
        "update",
    }
    assert _issue(api.call("PATCH", path, [{"op": "replace", "path": field, "value": "d"}])) == (
        400,
        "INVALID_PATCH_OPERATION",
    )
    assert api.call("PATCH", path, [{"op": "add", "path": field, "value": "d"}]).status_code == 204
    assert _issue(api.call("PATCH", path, [{"op": "add", "path": field, "value": "e"}])) == (
        400,
        "INVALID_PATCH_OPERATION",
    )
    assert _issue(api.call("PATCH", path, [{"op": "replace", "path": "/intent", "value": "AUTHORIZE"}])) == (
        400,
        "FIELD_NOT_PATCHABLE",
    )
    assert api.session.get(api.url + path, timeout=5).json()["purchase_units"][0]["description"] == "d"
    completed = api.call("POST", ORDERS, _order()).json()
    assert _issue(
        api.call("PATCH", f"{ORDERS}/{completed['id']}", [{"op": "add", "path": field, "value": "d"}])
    ) == (422, "ORDER_ALREADY_COMPLETED")


def test_unknown_resources(api):
    assert _issue(api.call("GET", f"{ORDERS}/NOSUCHORDER")) == (404, "INVALID_RESOURCE_ID")
    assert _issue(api.call("POST", "/v2/payments/captures/NOSUCHCAPTURE/refund", {})) == (
        404,
        "INVALID_RESOURCE_ID",
    )


@pytest.mark.parametrize(
    "status, name",
    [(500, "INTERNAL_SERVER_ERROR"), (503, "SERVICE_UNAVAILABLE"), (429, "RATE_LIMIT_REACHED")],
)
def test_injected_errors_speak_paypal(api, status, name):
    requests.post(api.url + "/_sandbox/faults", json={"error_rate": 1, "error_status": status}, timeout=5)

    answer = api.call("POST", ORDERS, _order())

    assert (answer.status_code, answer.json()["name"]) == (status, name)
    assert (answer.headers.get("Retry-After") is not None) == (status != 500)
    assert requests.get(api.url + "/_sandbox/ledger", timeout=5).status_code == 200  # controls are spared
    assert api.ledger() == []


# -- the PayPal wallet: the buyer approves on the checkout page ------------------------------------------

RETURN = "https://shop.example.com/return?cart=7"


def _wallet_order(intent="CAPTURE", **context):
    body = _order(number=None, intent=intent, description="Two mugs")
    context = {
        "return_url": RETURN,
        "cancel_url": RETURN + "&canceled=1",
        "user_action": "PAY_NOW",
        **context,
    }
    body["payment_source"] = {"paypal": {"experience_context": context}}
    return body


def _checkout(order, action):
    """Press ``action`` on the order's checkout page: the answer, redirect not followed."""
    page = next(link["href"] for link in order["links"] if link["rel"] == "payer-action")
    return Buyer().press(page, action)


def test_wallet_order_waits_for_its_buyer_on_the_checkout_page(api):
    order = api.call("POST", ORDERS, _wallet_order(brand_name="Mug & Co")).json()

    assert (order["status"], order["payment_source"]) == ("PAYER_ACTION_REQUIRED", {"paypal": {}})
    assert [(link["rel"], link["href"]) for link in order["links"]] == [
        ("self", f"{api.url}{ORDERS}/{order['id']}"),
        ("payer-action", f"{api.url}/checkoutnow?token={order['id']}"),
    ]
    page = requests.get(f"{api.url}/checkoutnow", params={"token": order["id"]}, timeout=5).text
    assert all(text in page for text in ("PayPal", "Mug &amp; Co", "10.00 USD", "Two mugs", ">Pay Now<"))
    assert api.call("GET", f"{ORDERS}/{order['id']}").json() == order
    assert api.ledger() == []


def test_approval_redirects_back_and_capture_completes_once(api):
    order = api.call("POST", ORDERS, _wallet_order()).json()

    back = _checkout(order, "approve")

    query = parse_qs(urlsplit(back.headers["Location"]).query)
    assert back.status_code == 303 and back.headers["Location"].startswith(RETURN + "&token=")
    assert query["token"] == [order["id"]] and query["cart"] == ["7"]
    approved = api.call("GET", f"{ORDERS}/{order['id']}").json()
    assert approved["status"] == "APPROVED" and approved["payer"]["payer_id"] == query["PayerID"][0]
    assert approved["payment_source"]["paypal"]["account_id"] == query["PayerID"][0]
    assert [link["rel"] for link in approved["links"]] == ["self", "update", "capture"]
    page = f"{api.url}/checkoutnow?token={order['id']}"
    assert requests.get(page, timeout=5).status_code == 409  # nothing waits any more
    assert (
        requests.post(page, data={"action": "approve"}, allow_redirects=False, timeout=5).status_code == 409
    )
    assert api.ledger() == []

    captured = api.call("POST", f"{ORDERS}/{order['id']}/capture", key="cap-1")
    replayed = api.call("POST", f"{ORDERS}/{order['id']}/capture", key="cap-1")
    again = api.call("POST", f"{ORDERS}/{order['id']}/capture")

    assert (captured.status_code, replayed.status_code, replayed.json()) == (201, 200, captured.json())
    capture = captured.json()["purchase_units"][0]["payments"]["captures"][0]
    assert (captured.json()["status"], capture["status"], capture["amount"]["value"]) == (
        "COMPLETED",
        "COMPLETED",
        "10.00",
    )
    assert _issue(again) == (422, "ORDER_ALREADY_CAPTURED")
    mocked = api.call(
        "POST",
        f"{ORDERS}/{order['id']}/capture",
        headers={"PayPal-Mock-Response": '{"mock_application_codes": "INSTRUMENT_DECLINED"}'},
    )
    assert _issue(mocked) == (422, "INSTRUMENT_DECLINED")  # PayPal's negative testing
    assert [(e["type"], e["amount"], e["idempotency_key"], e["gateway_reference"]) for e in api.ledger()] == [
        ("capture", 1000, "cap-1", order["id"])
    ]


def test_canceled_approval_goes_to_cancel_url_and_the_order_still_waits(api):
    order = api.call("POST", ORDERS, _wallet_order()).json()

    back = _checkout(order, "cancel")

    assert (back.status_code, back.headers["Location"]) == (303, f"{RETURN}&canceled=1&token={order['id']}")
    assert api.call("GET", f"{ORDERS}/{order['id']}").json()["status"] == "PAYER_ACTION_REQUIRED"
    assert _issue(api.call("POST", f"{ORDERS}/{order['id']}/capture")) == (422, "ORDER_NOT_APPROVED")
    assert api.ledger() == []


def test_authorize_intent(api):
    order = api.call("POST", ORDERS, _wallet_order("AUTHORIZE")).json()
    assert _issue(api.call("POST", f"{ORDERS}/{order['id']}/authorize")) == (422, "ORDER_NOT_APPROVED")
    _checkout(order, "approve")

    assert _issue(api.call("POST", f"{ORDERS}/{order['id']}/capture")) == (
        422,
        "ACTION_DOES_NOT_MATCH_INTENT",
    )
    authorized = api.call("POST", f"{ORDERS}/{order['id']}/authorize", key="auth-1").json()
    authorization = authorized["purchase_units"][0]["payments"]["authorizations"][0]
    assert (authorized["status"], authorization["status"]) == ("COMPLETED", "CREATED")
    assert _issue(api.call("POST", f"{ORDERS}/{order['id']}/authorize")) == (422, "ORDER_ALREADY_AUTHORIZED")
    capture = api.call("POST", f"/v2/payments/authorizations/{authorization['id']}/capture", {}).json()
    assert capture["status"] == "COMPLETED"
    assert [(e["type"], e["amount"]) for e in api.ledger()] == [("authorization", 1000), ("capture", 1000)]


def test_approval_without_return_url_asks_the_buyer_to_close_the_window(api):
    body = _wallet_order()
    body["payment_source"]["paypal"] = {}
    order = api.call("POST", ORDERS, body).json()

    answer = _checkout(order, "approve")

    assert answer.status_code == 200 and "close this window" in answer.text


def test_checkout_page_of_an_unknown_order(api):
    assert (
        requests.get(f"{api.url}/checkoutnow", params={"token": "NOSUCHORDER000000"}, timeout=5).status_code
        == 404
    )
    order = api.call("POST", ORDERS, _wallet_order()).json()
    page = f"{api.url}/checkoutnow?token={order['id']}"
    assert requests.post(page, data={"action": "maybe"}, allow_redirects=False, timeout=5).status_code == 400


@pytest.mark.parametrize(
    "context, issue, field",
    [
        ({"user_action": "BUY_NOW"}, "INVALID_PARAMETER_VALUE", "user_action"),
        ({"shipping_preference": "ANYWHERE"}, "INVALID_PARAMETER_VALUE", "shipping_preference"),
        ({"landing_page": "HOME"}, "INVALID_PARAMETER_VALUE", "landing_page"),
        ({"colour": "blue"}, "NOT_SUPPORTED", "colour"),
        ({"return_url": "javascript:alert(1)"}, "INVALID_PARAMETER_SYNTAX", "return_url"),
        ({"cancel_url": "/relative"}, "INVALID_PARAMETER_SYNTAX", "cancel_url"),
        ({"brand_name": "b" * 128}, "INVALID_STRING_LENGTH", "brand_name"),
        ({"locale": "english"}, "INVALID_PARAMETER_SYNTAX", "locale"),
    ],
)
def test_wallet_validation(api, context, issue, field):
    answer = api.call("POST", ORDERS, _wallet_order(**context))

    assert _issue(answer) == (400, issue)
    assert answer.json()["details"][0]["field"] == f"/payment_source/paypal/experience_context/{field}"
    assert answer.json()["name"] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "source, key, issue, field",
    [
        (
            {"paypal": {"email_address": "b@example.com"}},
            "new",
            "NOT_SUPPORTED",
            "/payment_source/paypal/email_address",
        ),
        ({"paypal": {}, "card": {}}, "new", "NOT_SUPPORTED", "/payment_source/card"),
        ({"paypal": "yes"}, "new", "INVALID_PARAMETER_SYNTAX", "/payment_source/paypal"),
        ({"paypal": {}}, None, "PAYPAL_REQUEST_ID_REQUIRED", None),
    ],
)
def test_wallet_source_validation(api, source, key, issue, field):
    answer = api.call("POST", ORDERS, {**_order(number=None), "payment_source": source}, key=key)

    assert _issue(answer) == (400, issue)
    assert answer.json()["details"][0].get("field") == field
