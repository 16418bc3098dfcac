"""The served contract: Schemathesis with a valid token finds no 5xx, every response as
documented (status, headers, body), every 4xx ``application/problem+json``; and each documented
limit holds exactly at its bound."""

import contextlib
import functools

import pytest
import schemathesis
from falcon import testing
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode, checks

from ingress import validation as limits
from ingress.openapi import document
from tests.support.api import card_payment

OPERATIONS = [
    op["operationId"] for path in document()["paths"].values() for op in path.values() if "operationId" in op
]
SETTINGS = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))


def problem_json(ctx, response, case):
    if 400 <= response.status_code < 500:
        media = response.headers.get("content-type", [""])[0].split(";")[0]
        assert media == "application/problem+json", f"{response.status_code} answered as {media!r}"


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    problem_json,
]
#: /readyz answers its documented 503 whenever a dependency does not answer in time: on a loaded machine
#: RabbitMQ can, so there a 503 is the contract kept, not a server error (status conformance still checks it).
PROBE_CHECKS = [check for check in CHECKS if check is not checks.not_a_server_error]


MERCHANT = "m_schemathesis"
CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
TOKENS = 40  # unused tokens for the generated payments that pay with one (each pays once)


@pytest.fixture(scope="module")
def token(mint):
    return {"Authorization": f"Bearer {mint(MERCHANT)}"}


@pytest.fixture(scope="module")
def publishable(app, token):
    """A live publishable key of the merchant: what ``createToken`` is called with."""
    client = testing.TestClient(app)
    body = {"name": "checkout page", "mode": "live", "type": "publishable"}
    resp = client.simulate_post("/api_keys", json=body, headers=token)
    assert resp.status_code == 201, resp.text
    return {"Authorization": f"Bearer {resp.json['secret']}"}


@pytest.fixture(scope="module")
def served(app, publishable):
    client = testing.TestClient(app)
    tokens = [
        client.simulate_post("/tokens", json={"card": CARD}, headers=publishable) for _ in range(TOKENS)
    ]
    assert all(t.status_code == 201 for t in tokens)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    schema.hook("flatmap_body")(functools.partial(acceptable_methods, [t.json["id"] for t in tokens]))
    return schema


def acceptable_methods(token_ids, context, body):
    """Half the generated payments get a currency and a payment method of each type the app accepts (a
    schema-valid body rarely passes Luhn, expiry and ISO 4217), so 202s happen for each and the stateful
    links have payments; half the generated tokens get a card that passes."""
    operation_id = context.operation.definition.raw.get("operationId")
    if operation_id == "createToken" and isinstance(body, dict):
        return st.sampled_from([body, {"card": CARD}])
    if operation_id != "createPayment" or not isinstance(body, dict):
        return st.just(body)
    # a generated customer id names no customer (422): the fixed half names none
    fixed = {k: v for k, v in body.items() if k not in ("customer", "gateway")}
    fixed.update(amount=1050, currency="USD", return_url="https://shop.example/back")
    methods = st.sampled_from(
        [
            {"type": "card", "card": CARD},
            {"type": "paypal"},
            {"type": "stripe_payment_method", "id": "pm_card_visa"},
        ]
    ) | st.sampled_from(token_ids).map(lambda token_id: {"type": "token", "token": token_id})
    return st.just(body) | methods.map(lambda method: {**fixed, "payment_method": method})


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_operation_conforms(served, token, publishable, operation_id):
    operation = served.find_operation_by_id(operation_id)
    cases = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(GenerationMode.NEGATIVE)
    headers = publishable if operation_id == "createToken" else token

    @SETTINGS
    @given(cases)
    def run(case):
        case.call_and_validate(headers=headers, checks=PROBE_CHECKS if operation_id == "ready" else CHECKS)

    run()


@pytest.mark.parametrize(
    "method",
    [
        {"type": "card", "card": CARD},
        {"type": "token"},
        {"type": "paypal"},
        {"type": "stripe_payment_method", "id": "pm_card_visa"},
    ],
    ids=lambda method: method["type"],
)
def test_each_payment_method_is_accepted_as_documented(served, token, publishable, method):
    """Generation reaches each type only by chance: each one once for certain, a token made by
    ``createToken`` with the publishable key first."""
    if method["type"] == "token":
        made = served.find_operation_by_id("createToken").Case(body={"card": CARD})
        method = {
            "type": "token",
            "token": made.call_and_validate(headers=publishable, checks=CHECKS).json()["id"],
        }
    body = {
        "amount": 1050,
        "currency": "USD",
        "payment_method": method,
        "return_url": "https://shop.example/b",
    }
    case = served.find_operation_by_id("createPayment").Case(body=body)
    response = case.call_and_validate(headers=token, checks=CHECKS)
    assert response.status_code == 202, response.text
    assert response.json()["payment_method"]["type"] == method["type"]


def test_stateful_links_conform(served, token):
    """Sequences that follow the links (create, then read, update, cancel... the same payment)."""
    followed = []

    # Only payments' operations: the links are theirs, and every other operation would dilute the sequences.
    class Machine(served.include(path_regex="^/payments").as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": token}

        def after_call(self, response, case):
            if "{payment_id}" in case.path and response.status_code < 300:
                followed.append(case.operation.label)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, headers=token)

    # The server's state may change the rules on a replay (FlakyStrategyDefinition): not a finding, as
    # Schemathesis' own runner holds too. Derandomized: the same sequences every run, so reaching a payment
    # does not depend on luck.
    with contextlib.suppress(FlakyStrategyDefinition):
        Machine.run(
            settings=settings(
                SETTINGS, max_examples=40, stateful_step_count=8, phases=[Phase.generate], derandomize=True
            )
        )
    assert followed, "no sequence ever reached an existing payment"


@pytest.mark.parametrize(
    "field,body,limit",
    [
        ("description", lambda n: {"description": "d" * n}, limits.DESCRIPTION_MAX),
        ("metadata", lambda n: {"metadata": {f"k{i}": "v" for i in range(n)}}, limits.METADATA_MAX_KEYS),
        (
            "metadata." + "k" * limits.METADATA_KEY_MAX,
            lambda n: {"metadata": {"k" * n: "v"}},
            limits.METADATA_KEY_MAX,
        ),
        ("metadata.k", lambda n: {"metadata": {"k": "v" * n}}, limits.METADATA_VALUE_MAX),
    ],
)
def test_payment_field_limits(client, auth, field, body, limit):
    assert (
        client.simulate_post("/payments", json=card_payment(**body(limit)), headers=auth).status_code == 202
    )
    over = client.simulate_post("/payments", json=card_payment(**body(limit + 1)), headers=auth)
    assert over.status_code == 422 and field in [e["field"] for e in over.json["errors"]], over.text


def test_page_size_body_size_and_refund_reason_limits(client, auth, config):
    for size, status in ((limits.LIST_LIMIT_MAX, 200), (limits.LIST_LIMIT_MAX + 1, 422), (0, 422)):
        assert client.simulate_get("/payments", params={"limit": size}, headers=auth).status_code == status
    json_headers = {**auth, "Content-Type": "application/json"}
    # 422: too long a description.
    for size, status in ((config.max_body_bytes, 422), (config.max_body_bytes + 1, 413)):
        body = b'{"description": "' + b"d" * (size - 19) + b'"}'
        assert client.simulate_post("/payments", body=body, headers=json_headers).status_code == status
    refunds = (
        client.simulate_post("/payments", json=card_payment(), headers=auth).headers["location"] + "/refunds"
    )
    for size, status in ((255, 409), (256, 422)):  # 409: valid, but nothing captured yet
        assert client.simulate_post(refunds, json={"reason": "r" * size}, headers=auth).status_code == status
