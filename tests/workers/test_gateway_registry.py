"""Adding a gateway is its package and one registry line: a fake gateway defined here, registered through
``gateways.registry.register`` alone, has its webhook received by the ingress, stored, and applied to a
payment by the real ops actor."""

import hashlib
import hmac
import secrets
import types

import orjson
import pytest
from falcon import testing

from gateways import registry
from gateways.base import Delivery, Fact, Gateway, GatewayPayment, GatewayRefund, GatewayStatus, Webhooks
from gateways.errors import InvalidSignature, UnsupportedOperation
from ingress.app import create_app
from shared.ids import new_id
from store.models import GatewayEvent, Payment, utcnow
from store.vault import Vault
from tests.support.sandbox import wait_status

SECRET = secrets.token_bytes(16)


class FakeGateway(Gateway):
    """Charges through nothing: every payment is captured at once."""

    def authorize(self, request):
        return self._payment(request, GatewayStatus.AUTHORIZED, 0)

    def charge(self, request):
        return self._payment(request, GatewayStatus.CAPTURED, request.amount)

    def capture(self, reference, amount, currency, idempotency_key):
        return GatewayPayment(reference, GatewayStatus.CAPTURED, amount, amount, currency, "captured")

    def void(self, reference, idempotency_key):
        raise UnsupportedOperation("the fake gateway captures everything", gateway="fake")

    def refund(self, reference, amount, currency, idempotency_key, payment_id):
        return GatewayRefund("fr_" + idempotency_key, amount, currency, True, "refunded")

    def retrieve(self, request, reference):
        return self.execute(request)

    def update(self, reference, description, metadata, idempotency_key):
        pass

    @staticmethod
    def _payment(request, status, captured):
        return GatewayPayment(
            "fk_" + request.idempotency_key, status, request.amount, captured, request.currency, status.value
        )


class FakeWebhooks(Webhooks):
    """Events signed at the door with a shared secret: ``Fake-Signature`` is the hex HMAC-SHA256 of the
    body."""

    title = "Fake"
    verified_at_door = True
    id_field = "id"
    type_field = "kind"

    def admit(self, config, headers, raw_body, body):
        expected = hmac.new(SECRET, raw_body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("fake-signature") or ""):
            raise InvalidSignature("not signed with the shared secret")
        return Delivery(body)

    def read(self, event):
        if event["kind"] != "charge.captured":
            return Fact(None)
        return Fact("captured", reference=event["charge"], amount=event["amount"])


#: A package-like module: what ``gateways/<name>/__init__.py`` provides.
FAKE = types.ModuleType("fake_gateway")
FAKE.build = lambda config, cache: FakeGateway()
FAKE.WEBHOOKS = FakeWebhooks()


@pytest.fixture
def fake_registered(monkeypatch):
    monkeypatch.setattr(registry, "PACKAGES", dict(registry.PACKAGES))  # the registration ends with the test
    registry.register("fake", FAKE)


def held_for_capture(merchant, reference):
    now = utcnow()
    return Payment.create(
        id=new_id("pay"),
        merchant_id=merchant,
        status="requires_capture",
        amount=1000,
        amount_captured=0,
        currency="USD",
        capture="manual",
        route="fake",
        gateway="fake",
        gateway_reference=reference,
        card_brand="visa",
        card_last4="4242",
        card_exp_month=12,
        card_exp_year=2031,
        card_fingerprint="fp",
        card_key_id="dev",
        card_ciphertext="sealed",
        created_at=now,
        updated_at=now,
    )


def test_a_registered_gateways_webhook_is_received_stored_and_applied(
    fake_registered, worker_config, fleet, db, merchant
):
    hooks = testing.TestClient(
        create_app(
            worker_config,
            vault=Vault.from_config(worker_config),
            cache=fleet.context.cache,
            relay=fleet.relay,
            broker_check=lambda: True,
        )
    )
    payment = held_for_capture(merchant, "fk_" + secrets.token_hex(6))
    event = {
        "id": new_id("fev"),
        "kind": "charge.captured",
        "charge": payment.gateway_reference,
        "amount": 1000,
    }
    body = orjson.dumps(event)
    signed = {
        "Content-Type": "application/json",
        "Fake-Signature": hmac.new(SECRET, body, hashlib.sha256).hexdigest(),
    }

    forged = hooks.simulate_post("/webhooks/fake", body=body, headers={**signed, "Fake-Signature": "0" * 64})
    assert forged.status_code == 400 and forged.json["type"] == "/problems/invalid-signature"
    assert hooks.simulate_post("/webhooks/fake", body=body, headers=signed).status_code == 200

    paid = wait_status(payment.id, ("succeeded",))
    assert (paid.amount_captured, paid.gateway) == (1000, "fake")
    row = GatewayEvent.get((GatewayEvent.gateway == "fake") & (GatewayEvent.event_id == event["id"]))
    assert (row.status, row.payment_id) == ("applied", payment.id)
