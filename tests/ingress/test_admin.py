"""Operators settle what the machine cannot: ``POST /admin/payments/{id}/resolve`` (scope ``admin``)
and ``paywave admin resolve``, each writing the event, an audit row, and the cache."""

import os
import subprocess
import sys

import pytest

from store.models import AuditEvent, Event, Payment
from store.vault import Vault


@pytest.fixture
def admin(mint):
    return {"Authorization": f"Bearer {mint('ops-alice', scopes=('admin',))}"}


@pytest.fixture
def stored(config, merchant, db):
    vault = Vault.from_config(config)

    def stored_(tag, status="requires_review"):
        pid = "pay_" + tag + merchant[-12:].rjust(24 - len(tag), "0")
        Payment.create(
            id=pid,
            merchant_id=merchant,
            status=status,
            amount=900,
            currency="EUR",
            capture="automatic",
            route="stripe,paypal",
            gateway="stripe",
            metadata={},
            review_reason="dead_lettered",
            **vault.seal_card(pid, "4242424242424242", 12, 2031, "123"),
        )
        return pid

    return stored_


def events(pid):
    return [e.type for e in Event.select().where(Event.payment_id == pid).order_by(Event.created_at)]


def test_an_admin_settles_a_payment_under_review_as_succeeded(client, admin, auth, stored, merchant):
    pid = stored("apiok")
    resp = client.simulate_post(
        f"/admin/payments/{pid}/resolve",
        headers=admin,
        json={"status": "succeeded", "reference": "ch_3Q", "reason": "found in the dashboard"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json
    assert (body["status"], body["amount_captured"], body["review_reason"]) == (
        "succeeded",
        900,
        "dead_lettered",
    )
    payment = Payment.get_by_id(pid)
    assert (payment.gateway_reference, payment.cvc_ciphertext) == ("ch_3Q", None)
    assert events(pid) == ["payment.succeeded"]
    audit = AuditEvent.get(AuditEvent.object_id == pid)
    assert (audit.merchant_id, audit.actor_type, audit.actor_id, audit.action) == (
        merchant,
        "operator",
        "api:ops-alice",
        "payment.settled",
    )
    assert audit.summary["before"]["status"] == "requires_review"
    after = audit.summary["after"]
    assert (after["status"], after["amount_captured"], after["reference"], after["reason"]) == (
        "succeeded",
        900,
        "ch_3Q",
        "found in the dashboard",
    )
    assert audit.created_at is not None and audit.request_id
    assert (
        client.simulate_get(f"/payments/{pid}", headers=auth).json["status"] == "succeeded"
    )  # the cache says so


def test_resolve_needs_the_admin_scope_a_payment_under_review_and_a_valid_body(
    client, admin, auth, stored, mint
):
    pid = stored("apino")
    body = {"status": "failed", "reference": "T-1"}
    both = {"Authorization": f"Bearer {mint('m_x', scopes=('payments:read', 'payments:write'))}"}
    for headers in (auth, both):
        resp = client.simulate_post(f"/admin/payments/{pid}/resolve", headers=headers, json=body)
        assert resp.status_code == 403 and resp.headers["content-type"] == "application/problem+json"
    assert client.simulate_get("/admin/payments", headers=auth).status_code == 403
    pending = stored("pendi", status="pending")
    resp = client.simulate_post(f"/admin/payments/{pending}/resolve", headers=admin, json=body)
    assert resp.status_code == 409 and Payment.get_by_id(pending).status == "pending"
    assert (
        client.simulate_post(
            "/admin/payments/pay_" + "0" * 24 + "/resolve", headers=admin, json=body
        ).status_code
        == 404
    )
    bad = client.simulate_post(
        f"/admin/payments/{pid}/resolve",
        headers=admin,
        json={"status": "canceled", "reference": "", "reason": "card 4242424242424242", "x": 1},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"status", "reference", "reason", "x"}
    assert Payment.get_by_id(pid).status == "requires_review" and events(pid) == []
    assert AuditEvent.select().where(AuditEvent.object_id.in_([pid, pending])).count() == 0


def test_payments_under_review_are_listed_for_admins_and_filterable_for_merchants(
    client, admin, auth, stored
):
    pid, other = stored("listr"), stored("lists", status="pending")
    listed = client.simulate_get("/admin/payments", headers=admin, params={"limit": 100}).json["data"]
    assert pid in [p["id"] for p in listed] and other not in [p["id"] for p in listed]
    mine = client.simulate_get("/payments", headers=auth, params={"status": "requires_review"}).json["data"]
    assert [p["id"] for p in mine] == [pid]


def test_the_cli_settles_a_payment_under_review_as_failed(config, stored):
    pid = stored("clirs")
    env = {
        **os.environ,
        "PAYWAVE_DATABASE_URL": config.database_url,
        "PAYWAVE_REDIS_URL": config.redis_url,
        "PAYWAVE_CACHE_PREFIX": config.cache_prefix,
        "USER": "ops-bob",
        "LOGNAME": "ops-bob",
    }
    command = [
        sys.executable,
        "-m",
        "cli",
        "admin",
        "resolve",
        pid,
        "--as",
        "failed",
        "--reference",
        "T-77",
        "--reason",
        "never reached the gateway",
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    payment = Payment.get_by_id(pid)
    assert (payment.status, payment.amount_captured, payment.cvc_ciphertext) == ("failed", 0, None)
    assert events(pid) == ["payment.failed"]
    audit = AuditEvent.get(AuditEvent.object_id == pid)
    assert (audit.actor_type, audit.actor_id, audit.action) == ("operator", "cli:ops-bob", "payment.settled")
    assert (audit.summary["after"]["status"], audit.summary["after"]["reference"]) == ("failed", "T-77")
    again = subprocess.run(command, env=env, capture_output=True, text=True)
    assert again.returncode != 0 and "requires_review" in again.stderr  # settled once: 409's twin
