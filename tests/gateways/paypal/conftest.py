"""Fixtures for the PayPal adapter tests: a sandbox subprocess, gateways, card and wallet payments, a buyer's
browser on the checkout page, PayPal's OpenAPI documents."""

import dataclasses
import json
import os
import re
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30Validator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4

from gateways.base import PaymentRequest
from gateways.paypal import PayPalGateway
from shared.cards import Card
from tests.support.paypal import Buyer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
DOCUMENTS = ("checkout_orders_v2.json", "payments_payment_v2.json", "notifications_webhooks_v1.json")
#: Requests that send a PayPal-made resource back, read-only fields and all.
ECHOES = {"/v1/notifications/verify-webhook-signature"}
VISA = "4242424242424242"
#: Where wallet payments send the buyer back (PayWave's return route; only checked, never fetched).
RETURN_URL = "https://pay.example.com/v1/return/pay_test"


class Sandbox:
    """A running PayPal sandbox and its ``/_sandbox`` controls."""

    def __init__(self, url):
        self.url = url

    def reset(self):
        for path in ("/_sandbox/faults", "/_sandbox/ledger"):
            requests.delete(self.url + path, timeout=5).raise_for_status()

    def faults(self, **values):
        requests.post(self.url + "/_sandbox/faults", json=values, timeout=5).raise_for_status()

    def ledger(self, type=None):
        entries = requests.get(self.url + "/_sandbox/ledger", timeout=5).json()["data"]
        return [e for e in entries if type is None or e["type"] == type]

    def tokens_issued(self):
        return requests.get(self.url + "/_sandbox/oauth", timeout=5).json()["tokens_issued"]

    def gateway(self, **options):
        return PayPalGateway(self.url, "paywave-test", "s3cret", **{"read_timeout": 5, **options})


@pytest.fixture(scope="session")
def paypal_url(start_sandbox):
    return start_sandbox("paypal")


@pytest.fixture
def sandbox(paypal_url):
    """The shared sandbox, with faults and ledger reset before the test."""
    box = Sandbox(paypal_url)
    box.reset()
    yield box
    box.reset()


@pytest.fixture
def sandbox_at():
    """Factory: ``sandbox_at(url) -> Sandbox`` for a sandbox started with other flags."""
    return Sandbox


@pytest.fixture
def gateway(sandbox):
    return sandbox.gateway()


@pytest.fixture
def payment():
    """Factory for a fresh ``PaymentRequest``: ``payment(amount=..., number=..., capture=...)``."""

    def make(amount=1050, currency="USD", number=VISA, capture=True, exp=(12, 2031), cvc="123", **extra):
        unique = uuid.uuid4().hex
        return PaymentRequest(
            payment_id=f"pay_{unique[:20]}",
            amount=amount,
            currency=currency,
            card=Card(number, exp[0], exp[1], cvc),
            capture=capture,
            idempotency_key=f"att_{unique}",
            **extra,
        )

    return make


@pytest.fixture
def wallet(payment):
    """Factory for a PayPal wallet ``PaymentRequest``: ``wallet(amount=..., capture=..., return_url=...)``."""

    def make(return_url=RETURN_URL, **options):
        return dataclasses.replace(payment(**options), card=None, method="paypal", return_url=return_url)

    return make


@pytest.fixture
def buyer():
    return Buyer()


# -- PayPal's OpenAPI documents -----------------------------------------------------------------------


def _pointer(*parts):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class OpenAPI:
    """Validates PayPal bodies against the operation of the published documents they belong to."""

    def __init__(self, folder):
        self.documents, self.routes = {}, []
        registry = Registry()
        for name in DOCUMENTS:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                document = json.load(f)
            uri = f"urn:paypal:{name}"
            self.documents[name] = document
            registry = registry.with_resource(uri, DRAFT4.create_resource(document))
            for template, operations in document["paths"].items():
                pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
                self.routes.append((pattern, name, template, operations))
        self.registry = registry.crawl()

    def _operation(self, method, path):
        for pattern, name, template, operations in self.routes:
            if pattern.match(path) and method.lower() in operations:
                return name, ("paths", template, method.lower())
        raise AssertionError(f"{method} {path} is not an operation of PayPal's documents")

    def _resolve(self, name, parts):
        """Follow ``$ref``s from the object at ``parts``: its pointer and the object."""
        node = self.documents[name]
        for part in parts:
            node = node[part]
        pointer = _pointer(*parts)
        while "$ref" in node:
            pointer = node["$ref"][1:]
            node = self.documents[name]
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return pointer, node

    def _check(self, validator_class, name, pointer, instance, what):
        validator = validator_class(
            {"$ref": f"urn:paypal:{name}#{pointer}"},
            registry=self.registry,
            format_checker=oas30_format_checker,
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, f"{what} violates PayPal's {name}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:5]
        )

    def request(self, method, path, body):
        name, operation = self._operation(method, path)
        pointer, request_body = self._resolve(name, (*operation, "requestBody"))
        self._check(
            OAS30Validator if path in ECHOES else OAS30WriteValidator,
            name,
            pointer + _pointer("content", "application/json", "schema"),
            body,
            f"request {method} {path}",
        )

    def response(self, method, path, status, body):
        name, operation = self._operation(method, path)
        responses = self._resolve(name, (*operation, "responses"))[1]
        code = str(status) if str(status) in responses else "default"
        assert code in responses, f"{method} {path} answered {status}, which PayPal does not document"
        pointer, response = self._resolve(name, (*operation, "responses", code))
        if "content" not in response:
            assert not body, f"{method} {path} {status} must have no body"
            return
        self._check(
            OAS30ReadValidator,
            name,
            pointer + _pointer("content", "application/json", "schema"),
            body,
            f"response {status} to {method} {path}",
        )

    def component(self, document, schema, instance):
        """Validate ``instance`` against ``#/components/schemas/<schema>`` of ``document``."""
        self._check(OAS30ReadValidator, document, _pointer("components", "schemas", schema), instance, schema)

    def exchange(self, method, url, request_body, status, response_body):
        path = urlsplit(url).path
        if request_body:
            self.request(method, path, json.loads(request_body))
        self.response(method, path, status, json.loads(response_body) if response_body else None)


@pytest.fixture(scope="session")
def openapi():
    """PayPal's documents from ``$PAYWAVE_PAYPAL_SPECS`` (default ``../shared/specs/paypal``).

    Missing documents skip the test, except in CI (``CI=true``) where they fail it.
    """
    folder = os.environ.get("PAYWAVE_PAYPAL_SPECS") or os.path.join(ROOT, "..", "shared", "specs", "paypal")
    missing = [name for name in DOCUMENTS if not os.path.isfile(os.path.join(folder, name))]
    if missing:
        reason = (
            f"PayPal's OpenAPI documents {', '.join(missing)} are not in {os.path.abspath(folder)}: "
            "put them there from github.com/paypal/paypal-rest-api-specifications (openapi/) "
            "or set PAYWAVE_PAYPAL_SPECS to the folder holding them"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return OpenAPI(folder)


class Recorder(requests.adapters.HTTPAdapter):
    """A transport that keeps every exchange, so tests can check what crossed the wire."""

    def __init__(self):
        super().__init__()
        self.exchanges = []

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.exchanges.append(
            (request.method, request.url, request.body, response.status_code, response.content)
        )
        return response


@pytest.fixture
def recorder(gateway):
    """Records every exchange of the ``gateway`` fixture."""
    recorder = Recorder()
    gateway.session.mount("http://", recorder)
    return recorder
