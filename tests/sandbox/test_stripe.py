"""The Stripe sandbox's wire format, over raw HTTP, and its signed webhooks."""

import base64
import datetime
import http.server
import json
import threading
import uuid

import pytest
import requests
import stripe

from sandbox.stripe.wire import ApiError, get_param, parse_form
from tests.support import services

API_KEY = "sk_test_wire_format_tests"
SECRET = "whsec_paywave_wire_tests"
EXP_YEAR = str(datetime.date.today().year + 2)


class Receiver(http.server.ThreadingHTTPServer):
    """A webhook endpoint: keeps every delivery; answers 500 to the next ``fail_next`` ones."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.deliveries = []  # (payload bytes, Stripe-Signature, status answered)
        self.fail_next = 0
        self.changed = threading.Condition()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/stripe/webhooks"

    def wait_for(self, event_type, object_id, timeout=5.0):
        """Every delivery so far of that event about that object, once one was answered 200."""

        def found():
            return [d for d in self.deliveries if _about(d[0], event_type, object_id)]

        with self.changed:
            self.changed.wait_for(lambda: any(d[2] == 200 for d in found()), timeout)
            return found()


def _about(payload, event_type, object_id):
    event = json.loads(payload)
    return event["type"] == event_type and event["data"]["object"]["id"] == object_id


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.changed:
            status = 500 if self.server.fail_next else 200
            self.server.fail_next = max(0, self.server.fail_next - 1)
            self.server.deliveries.append((payload, self.headers["Stripe-Signature"], status))
            self.server.changed.notify_all()
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    with services.serving(Receiver()) as server:
        yield server


@pytest.fixture(scope="module")
def sandbox_url(start_sandbox, receiver):
    return start_sandbox("stripe", "--webhook-url", receiver.url, "--webhook-secret", SECRET)


class Client:
    """Raw HTTP to the sandbox, as any Stripe client would send it."""

    def __init__(self, base, api_key=API_KEY):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"

    def post(self, path, data, key=None):
        return self.session.post(self.base + path, data=data, headers={"Idempotency-Key": key} if key else {})

    def get(self, path, params=None):
        return self.session.get(self.base + path, params=params)

    def card(self, number="4242424242424242"):
        return self.post(
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": EXP_YEAR,
                "card[cvc]": "123",
            },
        ).json()["id"]

    @staticmethod
    def card_data(number="4242424242424242"):
        """``payment_method_data`` for a card: the PaymentIntent creates its PaymentMethod."""
        return {
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": number,
            "payment_method_data[card][exp_month]": "12",
            "payment_method_data[card][exp_year]": EXP_YEAR,
            "payment_method_data[card][cvc]": "123",
        }

    def payment_intent(self, capture="automatic", amount=1000, number="4242424242424242", **extra):
        return self.post(
            "/v1/payment_intents",
            {
                "amount": str(amount),
                "currency": "usd",
                "payment_method": self.card(number),
                "confirm": "true",
                "capture_method": capture,
                **extra,
            },
            key=uuid.uuid4().hex,
        )


@pytest.fixture
def api(sandbox_url):
    requests.delete(sandbox_url + "/_sandbox/faults").raise_for_status()
    requests.delete(sandbox_url + "/_sandbox/ledger").raise_for_status()
    yield Client(sandbox_url)
    requests.delete(sandbox_url + "/_sandbox/faults").raise_for_status()


def error_of(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Request-Id"].startswith("req_")
    return resp.json()["error"]


def test_parse_form_reads_bracket_notation():
    params = parse_form(
        [
            ("card[number]", "4242"),
            ("metadata[a]", "1"),
            ("metadata[b]", ""),
            ("expand[]", "x"),
            ("expand[]", "y"),
            ("types[0]", "card"),
            ("a[b][c]", "deep"),
        ]
    )
    assert params == {
        "card": {"number": "4242"},
        "metadata": {"a": "1", "b": ""},
        "expand": {"0": "x", "1": "y"},
        "types": {"0": "card"},
        "a": {"b": {"c": "deep"}},
    }
    assert get_param(params, "expand", list) == ["x", "y"]
    assert get_param(params, "types", list) == ["card"]
    for conflicting in ([("a", "1"), ("a[b]", "2")], [("a[b]", "2"), ("a", "1")], [("a]", "1")]):
        with pytest.raises(ApiError):
            parse_form(conflicting)


def test_objects_over_the_wire(api):
    # Literal brackets, as the SDK sends them (requests would percent-encode them).
    body = (
        f"type=card&card[number]=5555555555554444&card[exp_month]=7&card[exp_year]={EXP_YEAR}&card[cvc]=314"
    )
    pm = api.session.post(
        api.base + "/v1/payment_methods",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert pm.status_code == 200 and pm.headers["Request-Id"].startswith("req_")
    card = pm.json()["card"]
    assert (card["brand"], card["last4"], card["exp_month"]) == ("mastercard", "4444", 7)
    assert "5555555555554444" not in pm.text and "314" not in json.dumps(card)

    resp = api.post(
        "/v1/payment_intents",
        [
            ("amount", "2500"),
            ("currency", "eur"),
            ("payment_method", pm.json()["id"]),
            ("confirm", "true"),
            ("payment_method_types[]", "card"),
            ("metadata[order]", "o-9"),
            ("metadata[payment_id]", "pay_wire"),
            ("expand[]", "latest_charge"),
        ],
        key=uuid.uuid4().hex,
    )

    pi = resp.json()
    assert resp.status_code == 200
    assert pi["id"].startswith("pi_") and pi["object"] == "payment_intent"
    assert (pi["status"], pi["amount_received"], pi["livemode"]) == ("succeeded", 2500, False)
    assert isinstance(pi["created"], int)
    assert pi["metadata"] == {"order": "o-9", "payment_id": "pay_wire"}
    assert pi["payment_method_types"] == ["card"]
    charge = pi["latest_charge"]
    assert (charge["object"], charge["id"][:3], charge["amount_captured"]) == ("charge", "ch_", 2500)
    got = api.get(f"/v1/payment_intents/{pi['id']}", [("expand[]", "payment_method")]).json()
    assert got["latest_charge"] == charge["id"] and got["payment_method"]["object"] == "payment_method"


def test_authentication(api):
    anonymous = requests.get(api.base + "/v1/payment_intents/pi_x")
    assert "did not provide an API key" in error_of(anonymous, 401)["message"]

    wrong_key = "sk_live_0123456789abcdef"
    wrong = Client(api.base, wrong_key).get("/v1/payment_intents/pi_x")
    error = error_of(wrong, 401)
    assert error["type"] == "invalid_request_error"
    assert "Invalid API Key" in error["message"] and wrong_key not in error["message"]

    pm = api.card()
    basic = base64.b64encode(f"{API_KEY}:".encode()).decode()
    resp = requests.get(f"{api.base}/v1/payment_methods/{pm}", headers={"Authorization": f"Basic {basic}"})
    assert resp.status_code == 200 and resp.json()["id"] == pm


@pytest.mark.parametrize(
    "path, data, status, error",
    [
        (
            "/v1/payment_intents",
            {"currency": "usd"},
            400,
            {"type": "invalid_request_error", "code": "parameter_missing", "param": "amount"},
        ),
        (
            "/v1/payment_intents",
            {"amount": "ten", "currency": "usd"},
            400,
            {"code": "parameter_invalid_integer", "param": "amount"},
        ),
        (
            "/v1/payment_intents",
            {"amount": "100", "currency": "usd", "colour": "red"},
            400,
            {"code": "parameter_unknown", "param": "colour"},
        ),
        ("/v1/payment_intents", {"amount": "100", "currency": "xyz"}, 400, {"param": "currency"}),
        (
            "/v1/payment_methods",
            {
                "type": "card",
                "card[number]": "4242424242424241",
                "card[exp_month]": "1",
                "card[exp_year]": EXP_YEAR,
            },
            402,
            {"type": "card_error", "code": "incorrect_number", "param": "card[number]"},
        ),
        (
            "/v1/payment_intents",
            {"amount": "100", "currency": "usd", "confirm": "true", **Client.card_data("4242424242424241")},
            402,
            {"type": "card_error", "code": "incorrect_number", "param": "payment_method_data[card][number]"},
        ),
        (
            "/v1/payment_intents",
            {
                "amount": "100",
                "currency": "usd",
                **Client.card_data(),
                "payment_method_data[card][colour]": "red",
            },
            400,
            {"code": "parameter_unknown", "param": "payment_method_data[card][colour]"},
        ),
        (
            "/v1/payment_intents",
            {
                "amount": "100",
                "currency": "usd",
                **Client.card_data(),
                "payment_method_data[type]": "sepa_debit",
            },
            400,
            {"param": "payment_method_data[type]"},
        ),
        (
            "/v1/payment_intents",
            {"amount": "100", "currency": "usd", **Client.card_data(), "payment_method": "pm_x"},
            400,
            {"param": "payment_method_data"},
        ),
        ("/v1/payment_intents/pi_missing/capture", {}, 404, {"code": "resource_missing", "param": "id"}),
        ("/v1/charges", {}, 404, {"type": "invalid_request_error"}),
    ],
)
def test_invalid_requests(api, path, data, status, error):
    body = error_of(api.post(path, data), status)
    assert body.items() >= error.items()
    assert "4242424242424241" not in body["message"]


def test_idempotent_replay(api):
    pm = api.card()
    params = {
        "amount": "700",
        "currency": "usd",
        "payment_method": pm,
        "confirm": "true",
        "metadata[payment_id]": "pay_replay",
    }
    key = uuid.uuid4().hex

    first = api.post("/v1/payment_intents", params, key)
    again = api.post("/v1/payment_intents", params, key)

    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    ledger = requests.get(api.base + "/_sandbox/ledger").json()["data"]
    assert [e["type"] for e in ledger if e["payment_id"] == "pay_replay"] == ["authorization", "capture"]

    other = error_of(api.post("/v1/payment_intents", {**params, "amount": "701"}, key), 400)
    assert other["type"] == "idempotency_error"

    # Keys are scoped per API key: the same key under another API key is another request.
    elsewhere = Client(api.base, "sk_test_another_api_key").post("/v1/payment_intents", params, key)
    assert elsewhere.status_code == 200 and "Idempotent-Replayed" not in elsewhere.headers
    assert elsewhere.json()["id"] != first.json()["id"]


def test_payment_method_data_creates_the_payment_method_in_the_same_request(api):
    params = {
        "amount": "1200",
        "currency": "usd",
        "confirm": "true",
        "payment_method_types[0]": "card",
        "capture_method": "manual",
        "metadata[payment_id]": "pay_pmd",
        **api.card_data("5555555555554444"),
    }
    key = uuid.uuid4().hex

    first = api.post("/v1/payment_intents", [*params.items(), ("expand[]", "payment_method")], key)

    pi = first.json()
    assert first.status_code == 200, first.text
    assert (pi["status"], pi["amount_capturable"]) == ("requires_capture", 1200)
    pm = pi["payment_method"]
    assert (pm["object"], pm["card"]["brand"], pm["card"]["last4"]) == (
        "payment_method",
        "mastercard",
        "4444",
    )
    assert "5555555555554444" not in first.text
    assert api.get(f"/v1/payment_methods/{pm['id']}").json() == pm
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["payment_method"] == pm["id"]

    again = api.post("/v1/payment_intents", [*params.items(), ("expand[]", "payment_method")], key)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == pi
    another_card = {**params, **api.card_data("4000056655665556")}
    as_payment_method = {k: v for k, v in params.items() if not k.startswith("payment_method_data")}
    as_payment_method["payment_method"] = pm["id"]  # the same card, in the two-call form
    for other in (another_card, as_payment_method):
        assert error_of(api.post("/v1/payment_intents", other, key), 400)["type"] == "idempotency_error"
    ledger = requests.get(api.base + "/_sandbox/ledger").json()["data"]
    assert [e["type"] for e in ledger if e["payment_id"] == "pay_pmd"] == ["authorization"]


def test_failed_validation_is_not_saved_under_the_key(api):
    key = uuid.uuid4().hex
    assert error_of(api.post("/v1/payment_intents", {"amount": "500"}, key), 400)["param"] == "currency"

    fixed = api.post("/v1/payment_intents", {"amount": "500", "currency": "usd"}, key)

    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers
    assert fixed.json()["status"] == "requires_payment_method"


@pytest.mark.parametrize("card_data", [False, True], ids=["payment_method", "payment_method_data"])
def test_decline_is_saved_and_replayed(api, card_data):
    card = (
        api.card_data("4000000000009987") if card_data else {"payment_method": api.card("4000000000009987")}
    )
    params = {
        "amount": "900",
        "currency": "usd",
        **card,
        "confirm": "true",
        "metadata[payment_id]": "pay_lost",
    }
    key = uuid.uuid4().hex

    first = api.post("/v1/payment_intents", params, key)
    again = api.post("/v1/payment_intents", params, key)

    error = error_of(first, 402)
    assert (error["type"], error["code"], error["decline_code"], error["advice_code"]) == (
        "card_error",
        "card_declined",
        "lost_card",
        "do_not_try_again",
    )
    pi = error["payment_intent"]
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["decline_code"] == "lost_card"
    assert (
        error["payment_method"]["id"] == pi["payment_method"]
        and error["payment_method"]["card"]["last4"] == "9987"
    )
    assert again.status_code == 402 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    ledger = requests.get(api.base + "/_sandbox/ledger").json()["data"]
    assert [e for e in ledger if e["payment_id"] == "pay_lost"] == []


def test_capture_and_refund_limits(api):
    pi = api.payment_intent(capture="manual", amount=1000).json()
    assert (pi["status"], pi["amount_capturable"]) == ("requires_capture", 1000)
    too_much = error_of(
        api.post(f"/v1/payment_intents/{pi['id']}/capture", {"amount_to_capture": "1001"}), 400
    )
    assert (too_much["code"], too_much["param"]) == ("amount_too_large", "amount_to_capture")
    not_yet = error_of(api.post("/v1/refunds", {"payment_intent": pi["id"]}), 400)
    assert not_yet["code"] == "charge_not_refundable"

    captured = api.post(f"/v1/payment_intents/{pi['id']}/capture", {"amount_to_capture": "800"}).json()
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 800)
    refund = api.post("/v1/refunds", {"payment_intent": pi["id"], "amount": "300"}).json()
    assert (refund["object"], refund["status"], refund["amount"]) == ("refund", "succeeded", 300)
    assert api.get(f"/v1/refunds/{refund['id']}").json() == refund
    over = error_of(api.post("/v1/refunds", {"payment_intent": pi["id"], "amount": "501"}), 400)
    assert (over["code"], over["param"]) == ("amount_too_large", "amount")


def test_injected_faults_speak_stripe(api):
    requests.post(api.base + "/_sandbox/faults", json={"error_rate": 1, "error_status": 500})
    assert error_of(api.get("/v1/payment_intents/pi_x"), 500)["type"] == "api_error"
    assert requests.get(api.base + "/_sandbox/ledger").status_code == 200  # control stays up

    requests.post(api.base + "/_sandbox/faults", json={"error_status": 429})
    limited = api.get("/v1/payment_intents/pi_x")
    assert error_of(limited, 429)["code"] == "rate_limit"
    assert limited.headers["Retry-After"] == "1"


def verified(delivery):
    payload, signature, _ = delivery
    return stripe.Webhook.construct_event(payload, signature, SECRET, tolerance=300)


def test_webhooks_are_signed_as_stripe_signs(api, receiver):
    pi = api.payment_intent().json()

    deliveries = receiver.wait_for("payment_intent.succeeded", pi["id"])

    event = verified(deliveries[-1])
    assert event.id.startswith("evt_") and event.object == "event"
    assert event.data.object.status == "succeeded" and event.data.object.amount_received == 1000
    payload, signature, _ = deliveries[-1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload.replace(b"1000", b"9999"), signature, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, signature, "whsec_someone_else")


def test_refund_events(api, receiver):
    pi = api.payment_intent().json()
    refund = api.post("/v1/refunds", {"payment_intent": pi["id"], "amount": "250"}).json()

    created = verified(receiver.wait_for("refund.created", refund["id"])[-1])
    refunded = verified(receiver.wait_for("charge.refunded", pi["latest_charge"])[-1])

    assert (created.data.object.amount, created.data.object.payment_intent) == (250, pi["id"])
    assert refunded.data.object.amount_refunded == 250


@pytest.mark.parametrize("as_json", [True, False])
def test_scripted_dispute(api, receiver, as_json):
    pi = api.payment_intent().json()
    body = {"payment_intent": pi["id"]}

    resp = requests.post(api.base + "/_sandbox/disputes", **({"json": body} if as_json else {"data": body}))

    dispute = resp.json()
    assert resp.status_code == 200 and dispute["id"].startswith("dp_")
    event = verified(receiver.wait_for("charge.dispute.created", dispute["id"])[-1])
    assert (event.data.object.charge, event.data.object.amount) == (pi["latest_charge"], 1000)
    unknown = requests.post(api.base + "/_sandbox/disputes", json={"payment_intent": "pi_nope"})
    assert error_of(unknown, 400)["code"] == "resource_missing"


def test_webhook_delivery_is_retried(api, receiver):
    # Events go out in order from one thread: once this one arrived, no older one is pending.
    barrier = api.payment_intent().json()
    assert receiver.wait_for("payment_intent.succeeded", barrier["id"])
    receiver.fail_next = 1
    pi = api.payment_intent().json()

    deliveries = receiver.wait_for("payment_intent.succeeded", pi["id"])

    assert [status for _, _, status in deliveries] == [500, 200]
    assert verified(deliveries[0]).id == verified(deliveries[1]).id


@pytest.mark.parametrize(
    ("number", "result", "status"),
    [
        ("4000002500003155", "complete", "succeeded"),
        ("4000000000003220", "complete", "succeeded"),
        ("4000000000003063", "complete", "succeeded"),
        ("4000008400001629", "complete", "requires_payment_method"),
        ("4000002500003155", "fail", "requires_payment_method"),
    ],
)
def test_three_d_secure_challenge(api, receiver, number, result, status):
    pi = api.payment_intent(number=number, return_url="https://shop.example/done?order=7").json()
    assert pi["status"] == "requires_action"
    action = pi["next_action"]
    assert action["type"] == "redirect_to_url"
    assert action["redirect_to_url"]["return_url"] == "https://shop.example/done?order=7"
    page = requests.get(action["redirect_to_url"]["url"])
    assert page.status_code == 200 and 'value="complete"' in page.text
    back = requests.post(action["redirect_to_url"]["url"], data={"result": result}, allow_redirects=False)
    assert back.status_code == 303
    assert back.headers["Location"].startswith(
        f"https://shop.example/done?order=7&payment_intent={pi['id']}&"
    )
    after = api.get(f"/v1/payment_intents/{pi['id']}").json()
    assert after["status"] == status and after["next_action"] is None
    if status == "requires_payment_method":
        assert after["last_payment_error"]["code"] in (
            "card_declined",
            "payment_intent_authentication_failure",
        )
    event = "payment_intent.succeeded" if status == "succeeded" else "payment_intent.payment_failed"
    assert receiver.wait_for(event, pi["id"])
    # The challenge is answered once.
    assert requests.post(action["redirect_to_url"]["url"], data={"result": "complete"}).status_code == 409


def test_three_d_secure_card_declines_when_no_action_may_be_taken(api):
    answer = api.payment_intent(number="4000002500003155", error_on_requires_action="true")
    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == "authentication_required"


@pytest.mark.parametrize(
    ("test_pm", "brand", "last4", "decline_code"),
    [
        ("pm_card_visa", "visa", "4242", None),
        ("pm_card_mastercard", "mastercard", "4444", None),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "visa", "9995", "insufficient_funds"),
        ("pm_card_chargeDeclined", "visa", "0002", "generic_decline"),
    ],
)
def test_stripes_test_payment_methods_charge_their_test_cards(api, test_pm, brand, last4, decline_code):
    params = {"amount": "700", "currency": "usd", "payment_method": test_pm, "confirm": "true"}
    resp = api.post(
        "/v1/payment_intents", [*params.items(), ("expand[]", "payment_method")], uuid.uuid4().hex
    )
    if decline_code:
        error = error_of(resp, 402)
        assert (
            error["decline_code"] == decline_code
            and error["payment_intent"]["status"] == "requires_payment_method"
        )
        pm = error["payment_method"]
    else:
        assert resp.status_code == 200, resp.text
        assert resp.json()["status"] == "succeeded"
        pm = resp.json()["payment_method"]
    # a new PaymentMethod of the test card, as Stripe makes one
    assert pm["id"] != test_pm and pm["id"].startswith("pm_")
    assert (pm["card"]["brand"], pm["card"]["last4"]) == (brand, last4)


def test_an_unknown_payment_method_is_resource_missing(api):
    params = {"amount": "700", "currency": "usd", "payment_method": "pm_card_nope", "confirm": "true"}
    error = error_of(api.post("/v1/payment_intents", params, uuid.uuid4().hex), 400)
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "resource_missing",
        "payment_method",
    )
    created = api.post("/v1/payment_intents", {"amount": "700", "currency": "usd"}).json()
    confirm = api.post(f"/v1/payment_intents/{created['id']}/confirm", {"payment_method": "pm_card_nope"})
    assert error_of(confirm, 400)["code"] == "resource_missing"
    confirmed = api.post(f"/v1/payment_intents/{created['id']}/confirm", {"payment_method": "pm_card_visa"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded", confirmed.text
