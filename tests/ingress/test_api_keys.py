"""API keys: created with the secret shown once and stored only as a keyed digest, used as ``Bearer sk_…``,
rolled with an overlap, revoked, restricted to their scopes and mode, cached per process (negative answers
too), counted on their own rate budget, and audited."""

import dataclasses
import datetime
import hashlib
import hmac
import os
import subprocess
import sys

import pytest
from falcon import testing

from ingress.app import create_app
from ingress.auth import KeyAuthenticator
from ingress.errors import Problem
from store import api_keys
from store.models import ApiKey, AuditEvent, Merchant, utcnow
from store.vault import Vault
from tests.support.api import conforms


def create_key(client, auth, **body):
    resp = client.simulate_post("/api_keys", json={"name": "backend", "mode": "test", **body}, headers=auth)
    assert resp.status_code == 201, resp.text
    return resp.json


def bearer(key):
    return {"Authorization": f"Bearer {key['secret']}"}


def build(config, cache, relay, **settings):
    cfg = dataclasses.replace(config, **settings)
    return testing.TestClient(
        create_app(cfg, vault=Vault.from_config(cfg), cache=cache, relay=relay, broker_check=lambda: True)
    )


def assert_unauthorized(resp):
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_create_answers_the_secret_once_and_the_key_authenticates_as_itself(client, auth, merchant):
    key = create_key(client, auth, name="orders backend", scopes=["payments:read", "api_keys:read"])
    conforms(key, "ApiKey")
    assert key["id"].startswith("key_") and key["secret"].startswith("sk_test_")
    assert len(key["secret"]) == len("sk_test_") + 48
    assert (key["prefix"], key["last4"], key["mode"], key["livemode"]) == (
        "sk_test_",
        key["secret"][-4:],
        "test",
        False,
    )
    assert key["scopes"] == ["payments:read", "api_keys:read"] and key["last_used_at"] is None

    assert client.simulate_get("/payments", headers=bearer(key)).status_code == 200
    got = client.simulate_get(f"/api_keys/{key['id']}", headers=bearer(key))
    assert got.status_code == 200 and "secret" not in got.json
    assert got.json["last_used_at"] is not None
    assert {k: v for k, v in got.json.items() if k != "last_used_at"} == {
        k: v for k, v in key.items() if k not in ("secret", "last_used_at")
    }
    listed = client.simulate_get("/api_keys", headers=auth).json
    assert [k["id"] for k in listed["data"]] == [key["id"]] and "secret" not in listed["data"][0]
    row = ApiKey.get_by_id(key["id"])
    assert (row.merchant_id, row.created_by) == (merchant, f"service:{merchant}")


def test_the_secret_is_never_stored_in_clear(client, auth, config, db):
    key = create_key(client, auth)
    secret = key["secret"]
    row = db.execute_sql("SELECT * FROM api_key WHERE id = %s", (key["id"],)).fetchone()
    assert not any(secret in str(value) or secret[8:] in str(value) for value in row)
    expected = hmac.new(config.api_key_digest_key.encode(), secret.encode(), hashlib.sha256).hexdigest()
    assert ApiKey.get_by_id(key["id"]).digest == expected
    [event] = AuditEvent.select().where(AuditEvent.object_id == key["id"])
    assert event.action == "api_key.created" and secret[8:] not in str(event.summary)
    assert expected not in str(event.summary) and "digest" not in str(event.summary)


def test_a_replay_answers_the_same_key_without_its_secret(client, auth):
    headers = {**auth, "Idempotency-Key": "key-1"}
    body = {"name": "ci", "mode": "test"}
    first = client.simulate_post("/api_keys", json=body, headers=headers)
    again = client.simulate_post("/api_keys", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and "secret" not in again.json
    assert again.json == {k: v for k, v in first.json.items() if k != "secret"}
    assert again.headers["location"] == f"/api_keys/{first.json['id']}"


def test_roll_keeps_the_old_key_for_the_overlap_then_401(config, cache, relay, client, auth, merchant, db):
    old = create_key(client, auth, scopes=["payments:read"])
    resp = client.simulate_post(f"/api_keys/{old['id']}/roll", json={"expires_in_hours": 1}, headers=auth)
    assert resp.status_code == 201, resp.text
    new = resp.json
    assert new["id"] != old["id"] and new["secret"] != old["secret"]
    assert (new["name"], new["scopes"], new["mode"]) == (old["name"], old["scopes"], old["mode"])
    for key in (old, new):  # both work during the overlap
        assert client.simulate_get("/payments", headers=bearer(key)).status_code == 200
    rolled = client.simulate_get(f"/api_keys/{old['id']}", headers=auth).json
    assert rolled["rolled_to"] == new["id"] and rolled["expires_at"] is not None
    again = client.simulate_post(f"/api_keys/{old['id']}/roll", json={"expires_in_hours": 0}, headers=auth)
    assert again.status_code == 409

    # the overlap ends: an hour later, as another process (no cache) sees it
    ApiKey.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(ApiKey.id == old["id"]).execute()
    fresh = build(config, cache, relay, credential_cache_seconds=0)
    assert_unauthorized(fresh.simulate_get("/payments", headers=bearer(old)))
    assert fresh.simulate_get("/payments", headers=bearer(new)).status_code == 200
    actions = [
        e.action
        for e in AuditEvent.select().where(AuditEvent.merchant_id == merchant).order_by(AuditEvent.id)
    ]
    assert actions == ["api_key.created", "api_key.created", "api_key.rolled"]  # the new key, the old


def test_roll_with_no_overlap_and_revoke_stop_the_key_at_once(client, auth, merchant):
    key = create_key(client, auth)
    assert client.simulate_get("/payments", headers=bearer(key)).status_code == 200  # cached now
    new = client.simulate_post(f"/api_keys/{key['id']}/roll", json={"expires_in_hours": 0}, headers=auth).json
    assert_unauthorized(client.simulate_get("/payments", headers=bearer(key)))

    assert client.simulate_get("/payments", headers=bearer(new)).status_code == 200
    revoked = client.simulate_delete(f"/api_keys/{new['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json["revoked_at"] is not None
    conforms(revoked.json, "ApiKey")
    assert_unauthorized(client.simulate_get("/payments", headers=bearer(new)))
    assert (
        client.simulate_delete(f"/api_keys/{new['id']}", headers=auth).json == revoked.json
    )  # stays as it was
    refused = client.simulate_post(f"/api_keys/{new['id']}/roll", json={"expires_in_hours": 0}, headers=auth)
    assert refused.status_code == 409
    revoke_events = AuditEvent.select().where(
        (AuditEvent.action == "api_key.revoked") & (AuditEvent.merchant_id == merchant)
    )
    assert [e.object_id for e in revoke_events] == [new["id"]]
    assert revoke_events[0].actor_type == "service"


def test_an_expired_or_unknown_key_is_401(client, auth):
    key = create_key(client, auth, expires_at="2099-01-01T00:00:00Z")
    got = client.simulate_get(f"/api_keys/{key['id']}", headers=auth).json
    assert got["expires_at"] == "2099-01-01T00:00:00.000Z"
    ApiKey.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(ApiKey.id == key["id"]).execute()
    assert_unauthorized(client.simulate_get("/payments", headers=bearer(key)))
    unknown = {"secret": "sk_test_" + "x" * 48}
    assert_unauthorized(client.simulate_get("/payments", headers=bearer(unknown)))
    assert_unauthorized(client.simulate_get("/payments", headers=bearer({"secret": "sk_"})))


def test_a_restricted_key_is_refused_what_its_scopes_do_not_grant(client, auth):
    key = create_key(client, auth, scopes=["payments:read"])
    assert client.simulate_get("/payments", headers=bearer(key)).status_code == 200
    refused = client.simulate_post("/payments", json={}, headers=bearer(key))
    assert refused.status_code == 403 and "payments:write" in refused.json["detail"]
    assert 'scope="payments:write"' in refused.headers["WWW-Authenticate"]
    assert client.simulate_get("/api_keys", headers=bearer(key)).status_code == 403


def test_a_key_never_holds_more_than_its_creator(client, auth):
    creator = create_key(client, auth, scopes=["api_keys:write", "api_keys:read", "payments:read"])
    beyond = client.simulate_post(
        "/api_keys", json={"name": "x", "mode": "test", "scopes": ["payments:write"]}, headers=bearer(creator)
    )
    assert beyond.status_code == 403 and "payments:write" in beyond.json["detail"]
    assert create_key(client, bearer(creator))["scopes"] == [
        "payments:read",
        "api_keys:read",
        "api_keys:write",
    ]
    narrower = create_key(client, bearer(creator), scopes=["payments:read"])
    assert narrower["scopes"] == ["payments:read"]
    # rolling hands out a secret: never one with more than the roller holds
    owner_key = create_key(client, auth)
    roll = client.simulate_post(
        f"/api_keys/{owner_key['id']}/roll", json={"expires_in_hours": 0}, headers=bearer(creator)
    )
    assert roll.status_code == 403
    assert client.simulate_get("/payments", headers=bearer(owner_key)).status_code == 200  # not rolled


def test_a_test_key_creates_and_sees_test_keys_only(client, auth):
    live = create_key(client, auth, mode="live")
    assert live["secret"].startswith("sk_live_") and live["livemode"] is True
    test = create_key(client, auth, scopes=["api_keys:write", "api_keys:read"])
    refused = client.simulate_post("/api_keys", json={"name": "x", "mode": "live"}, headers=bearer(test))
    assert refused.status_code == 403 and refused.json["type"] == "/problems/test-mode"
    made = create_key(client, bearer(test), mode="test")
    listed = client.simulate_get("/api_keys", headers=bearer(test)).json["data"]
    assert {k["id"] for k in listed} == {test["id"], made["id"]}
    assert client.simulate_get(f"/api_keys/{live['id']}", headers=bearer(test)).status_code == 404
    assert client.simulate_delete(f"/api_keys/{live['id']}", headers=bearer(test)).status_code == 404
    roll = client.simulate_post(
        f"/api_keys/{live['id']}/roll", json={"expires_in_hours": 0}, headers=bearer(test)
    )
    assert roll.status_code == 404
    assert client.simulate_get("/api_keys", headers=bearer(live)).status_code == 200  # the live key sees all


def test_another_merchants_key_is_unknown(client, auth, mint):
    key = create_key(client, auth)
    other = {"Authorization": f"Bearer {mint('m_other_' + os.urandom(4).hex())}"}
    assert client.simulate_get(f"/api_keys/{key['id']}", headers=other).status_code == 404
    assert client.simulate_delete(f"/api_keys/{key['id']}", headers=other).status_code == 404
    assert client.simulate_get("/api_keys", headers=other).json["data"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({"mode": "test"}, "name"),
        ({"name": "", "mode": "test"}, "name"),
        ({"name": "x", "mode": "sandbox"}, "mode"),
        ({"name": "x", "mode": "test", "scopes": []}, "scopes"),
        ({"name": "x", "mode": "test", "scopes": ["payments:read", "payments:read"]}, "scopes"),
        ({"name": "x", "mode": "test", "scopes": ["admin"]}, "scopes"),
        ({"name": "x", "mode": "test", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "mode": "test", "expires_at": "soon"}, "expires_at"),
        ({"name": "x", "mode": "test", "expires_at": 5}, "expires_at"),
        ({"name": "x", "mode": "test", "secret": "sk_test_mine"}, "secret"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(client, auth, merchant, body, field):
    resp = client.simulate_post("/api_keys", json=body, headers=auth)
    assert resp.status_code == 422, resp.text
    assert field in [e["field"] for e in resp.json["errors"]]
    assert not ApiKey.select().where(ApiKey.merchant_id == merchant).exists()


@pytest.mark.parametrize(
    "body", [{}, {"expires_in_hours": 169}, {"expires_in_hours": -1}, {"expires_in_hours": True}]
)
def test_a_roll_needs_an_overlap_from_0_to_168_hours(client, auth, body):
    key = create_key(client, auth)
    resp = client.simulate_post(f"/api_keys/{key['id']}/roll", json=body, headers=auth)
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "expires_in_hours"
    assert ApiKey.get_by_id(key["id"]).rolled_to is None


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def counting(load):
    calls = []

    def load_(digest):
        calls.append(digest)
        return load(digest)

    return load_, calls


def test_another_process_sees_a_revocation_within_the_cache_period(config, client, auth, merchant):
    key = create_key(client, auth)
    clock = Clock()
    replica = KeyAuthenticator(dataclasses.replace(config, credential_cache_seconds=5), clock)
    assert replica.principal(key["secret"]).id == key["id"]
    api_keys.revoke(merchant, key["id"])  # answered by another process
    clock.now = 4.9
    assert replica.principal(key["secret"]).scopes  # still trusted here, at most 5 s
    clock.now = 5.1
    with pytest.raises(Problem) as refused:
        replica.principal(key["secret"])
    assert refused.value.status == 401


def test_a_flood_of_one_bad_key_reads_the_database_once_per_period(config):
    clock = Clock()
    keys = KeyAuthenticator(dataclasses.replace(config, credential_cache_seconds=5), clock)
    keys.keys.load, calls = counting(keys.keys.load)
    for _ in range(100):
        with pytest.raises(Problem):
            keys.principal("sk_live_" + "b" * 48)
    assert len(calls) == 1
    clock.now = 6
    with pytest.raises(Problem):
        keys.principal("sk_live_" + "b" * 48)
    assert len(calls) == 2


def test_last_used_at_is_written_at_most_once_a_minute(config, client, auth):
    key = create_key(client, auth)
    clock = Clock()
    keys = KeyAuthenticator(config, clock)
    keys.principal(key["secret"])
    first = ApiKey.get_by_id(key["id"]).last_used_at
    clock.now = 30
    keys.principal(key["secret"])
    assert ApiKey.get_by_id(key["id"]).last_used_at == first
    clock.now = 61
    ApiKey.update(last_used_at=first - datetime.timedelta(minutes=2)).where(ApiKey.id == key["id"]).execute()
    keys.principal(key["secret"])
    assert ApiKey.get_by_id(key["id"]).last_used_at > first


def test_a_key_has_its_own_share_of_the_merchants_budget(config, cache, relay, client, auth, db):
    key = create_key(client, auth)
    limited = build(config, cache, relay, rate_limit_read=4, rate_limit_api_key_percent=50)
    reads = [limited.simulate_get("/payments", headers=bearer(key)) for _ in range(3)]
    assert [r.status_code for r in reads] == [200, 200, 429]
    assert reads[0].headers["RateLimit-Policy"] == '"key-read";q=2;w=1, "read";q=4;w=1'
    assert "key-read" in reads[2].json["detail"]
    # the merchant's other credentials still have the rest of its budget, and no more
    assert [limited.simulate_get("/payments", headers=auth).status_code for _ in range(3)] == [200, 200, 429]


def test_the_cli_prints_a_working_secret_alone(config, client, auth, merchant):
    Merchant.create(id=merchant, display_name=merchant)
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    command = [
        sys.executable,
        "-m",
        "cli",
        "admin",
        "create-api-key",
        "--merchant",
        merchant,
        "--name",
        "ops",
    ]
    out = subprocess.run(
        [*command, "--mode", "live", "--scope", "payments:read"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    secret = out.stdout.strip()
    assert secret.startswith("sk_live_") and out.stdout == secret + "\n"
    assert client.simulate_get("/payments", headers=bearer({"secret": secret})).status_code == 200
    [key] = client.simulate_get("/api_keys", headers=auth).json["data"]
    assert key["scopes"] == ["payments:read"] and key["last4"] == secret[-4:]
    [event] = AuditEvent.select().where(AuditEvent.object_id == key["id"])
    assert event.actor_type == "operator"
    unknown = subprocess.run(
        [*command[:-3], "mer_unknown", "--name", "x", "--mode", "test"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert unknown.returncode != 0 and "no merchant" in unknown.stderr and unknown.stdout == ""
