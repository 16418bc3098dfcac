"""``/auth``: login, refresh rotation, logout and switch, against real Postgres and Redis."""

import dataclasses

import jwt
import pyotp
import pytest
from falcon import testing

from ingress.app import create_app
from shared.config import Config
from store.models import AuditEvent, User
from store.passwords import Passwords, weakness
from store.vault import Vault
from tests.support.accounts import PASSWORD, bearer, login, member


def build(config, cache, relay, **changes):
    """A client of an app configured with ``changes``."""
    app = create_app(
        dataclasses.replace(config, **changes),
        vault=Vault.from_config(config),
        cache=cache,
        relay=relay,
        broker_check=lambda: True,
    )
    return testing.TestClient(app)


@pytest.fixture
def uncached(config, cache, relay, db):
    """Every request reads the session again: what other processes see once their cache entry expires."""
    return build(config, cache, relay, credential_cache_seconds=0)


def claims(tokens):
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def refused_alike(first, second):
    """Two answers a client cannot tell apart (but for the request id)."""
    assert first.status_code == second.status_code == 401
    strip = {"request_id"}
    assert {k: v for k, v in first.json.items() if k not in strip} == {
        k: v for k, v in second.json.items() if k not in strip
    }
    assert first.headers["www-authenticate"] == second.headers["www-authenticate"]


def test_login_answers_tokens_for_the_first_membership(client, config, merchant):
    user_id, email = member(config, merchant, "viewer")
    resp = login(client, email.upper())  # emails match whatever their case
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    assert resp.json["token_type"] == "Bearer" and resp.json["expires_in"] == config.session_access_seconds
    assert {k: claims(resp.json)[k] for k in ("typ", "sub", "mid", "role", "livemode")} == {
        "typ": "user",
        "sub": user_id,
        "mid": merchant,
        "role": "viewer",
        "livemode": True,
    }
    assert client.simulate_get("/merchant", headers=bearer(resp.json)).json["id"] == merchant
    assert client.simulate_get("/users/me", headers=bearer(resp.json)).json["role"] == "viewer"
    refused = client.simulate_patch("/merchant", json={"display_name": "x"}, headers=bearer(resp.json))
    assert refused.status_code == 403  # a viewer reads only
    assert (
        AuditEvent.get(AuditEvent.action == "login.succeeded", AuditEvent.object_id == user_id).actor_id
        == user_id
    )


def test_test_mode_is_asked_for(client, config, merchant):
    _, email = member(config, merchant)
    assert claims(login(client, email, livemode=False).json)["livemode"] is False
    assert login(client, email, livemode="no").status_code == 422


def test_wrong_password_and_unknown_email_answer_alike_and_are_audited(client, config, merchant):
    user_id, email = member(config, merchant)
    wrong = login(client, email, "not-the-password-at-all")
    unknown = login(client, "nobody-" + email, PASSWORD)
    refused_alike(wrong, unknown)
    failed = AuditEvent.get(AuditEvent.action == "login.failed", AuditEvent.object_id == user_id)
    assert failed.merchant_id == merchant and failed.summary == {"after": {"reason": "wrong_password"}}
    assert "not-the-password" not in str(failed.summary)
    assert User.get_by_id(user_id).failed_logins == 1
    assert (
        AuditEvent.select()
        .where((AuditEvent.action == "login.failed") & AuditEvent.merchant_id.is_null())
        .exists()
    )


def test_a_throttled_account_answers_as_a_wrong_password(config, cache, relay, db, merchant):
    client = build(config, cache, relay, login_attempts_per_account=3)
    _, email = member(config, merchant)
    wrong = [login(client, email, "wrong-password-number-x") for _ in range(3)]
    locked = login(client, email)  # the right password, over the budget
    refused_alike(wrong[0], locked)
    assert "ratelimit" not in {name.lower() for name in locked.headers}  # nothing tells it is throttled


def test_a_throttled_address_answers_as_a_wrong_password(config, cache, relay, db, merchant):
    client = build(config, cache, relay, login_attempts_per_ip=2)
    _, email = member(config, merchant)
    address = {"remote_addr": "203.0.113.7"}  # its own bucket: the suite's other logins come from 127.0.0.1
    body = {"email": f"x-{merchant}@example.test", "password": "whatever-it-is-1"}
    first, _ = (client.simulate_post("/auth/login", json=body, **address) for _ in range(2))
    right = client.simulate_post("/auth/login", json={"email": email, "password": PASSWORD}, **address)
    refused_alike(first, right)  # the right password, from an address over its budget
    assert login(client, email).status_code == 200  # from another address


def test_totp_is_asked_once_enabled(client, config, merchant):
    _, email = member(config, merchant)
    headers = bearer(login(client, email).json)
    setup = client.simulate_post("/users/me/totp", headers=headers)
    assert setup.status_code == 200 and setup.json["otpauth_uri"].startswith("otpauth://totp/PayWave:")
    code = pyotp.TOTP(setup.json["secret"])
    assert User.get(User.email == email).totp_ciphertext != setup.json["secret"]  # sealed, not in clear
    assert login(client, email).status_code == 200  # not enabled before confirmed
    wrong = client.simulate_post("/users/me/totp/confirm", json={"otp": "000000"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "otp"
    confirmed = client.simulate_post("/users/me/totp/confirm", json={"otp": code.now()}, headers=headers)
    assert confirmed.status_code == 200 and confirmed.json["totp_enabled"] is True
    refused_alike(login(client, email), login(client, email, otp="123456"))
    assert login(client, email, otp=code.now()).status_code == 200
    off = client.simulate_delete("/users/me/totp", json={"otp": code.now()}, headers=headers)
    assert off.status_code == 200 and off.json["totp_enabled"] is False
    assert login(client, email).status_code == 200
    actions = {e.action for e in AuditEvent.select().where(AuditEvent.merchant_id == merchant)}
    assert {"totp.enabled", "totp.disabled"} <= actions


def test_refresh_rotates_and_a_reused_token_revokes_the_family(uncached, config, merchant):
    _, email = member(config, merchant)
    first = login(uncached, email).json
    second = uncached.simulate_post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200 and second.json["refresh_token"] != first["refresh_token"]
    assert claims(second.json)["sid"] == claims(first)["sid"]
    assert uncached.simulate_get("/users/me", headers=bearer(second.json)).status_code == 200
    reused = uncached.simulate_post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    # The thief's copy or the owner's: the whole family is gone, access tokens included.
    assert (
        uncached.simulate_post(
            "/auth/refresh", json={"refresh_token": second.json["refresh_token"]}
        ).status_code
        == 401
    )
    assert uncached.simulate_get("/users/me", headers=bearer(second.json)).status_code == 401
    revoked = AuditEvent.get(
        AuditEvent.action == "session.revoked", AuditEvent.object_id == claims(first)["sid"]
    )
    assert revoked.summary == {"after": {"reason": "refresh_token_reused"}}
    assert uncached.simulate_post("/auth/refresh", json={"refresh_token": "x" * 43}).status_code == 401


def test_logout_is_effective_at_once_in_this_process(client, config, merchant):
    _, email = member(config, merchant)
    tokens = login(client, email).json
    assert client.simulate_get("/users/me", headers=bearer(tokens)).status_code == 200  # now cached
    assert client.simulate_post("/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.simulate_get("/users/me", headers=bearer(tokens)).status_code == 401
    assert (
        client.simulate_post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code
        == 401
    )


def test_logout_by_refresh_token_is_seen_by_other_processes(client, uncached, config, merchant):
    _, email = member(config, merchant)
    tokens = login(client, email).json
    assert uncached.simulate_get("/users/me", headers=bearer(tokens)).status_code == 200
    resp = client.simulate_post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert resp.status_code == 204
    assert uncached.simulate_get("/users/me", headers=bearer(tokens)).status_code == 401
    assert client.simulate_post("/auth/logout").status_code == 422  # neither token nor refresh token


def test_switch_moves_to_another_membership(client, config, merchant):
    other = merchant + "b"
    user_id, email = member(config, merchant, "viewer")
    member(config, other, "admin", email=email)
    assert claims(login(client, email, merchant=other).json)["mid"] == other
    assert login(client, email, merchant="m_not_mine").status_code == 403
    tokens = login(client, email).json
    switched = client.simulate_post("/auth/switch", json={"merchant": other}, headers=bearer(tokens))
    assert switched.status_code == 200, switched.text
    assert {k: claims(switched.json)[k] for k in ("sub", "mid", "role")} == {
        "sub": user_id,
        "mid": other,
        "role": "admin",
    }
    assert (
        client.simulate_get("/users/me", headers=bearer(tokens)).status_code == 401
    )  # the old session ended
    nowhere = client.simulate_post(
        "/auth/switch", json={"merchant": "m_not_mine"}, headers=bearer(switched.json)
    )
    assert nowhere.status_code == 404


def test_switch_and_me_are_for_user_sessions_only(client, auth):
    assert client.simulate_post("/auth/switch", json={"merchant": "m_x"}, headers=auth).status_code == 403
    assert client.simulate_get("/users/me", headers=auth).status_code == 403


def test_login_rehashes_a_password_hashed_with_other_parameters(config, cache, relay, db, merchant):
    user_id, email = member(config, merchant)
    assert ",t=1," in User.get_by_id(user_id).password_hash
    stronger = build(config, cache, relay, password_time_cost=2)
    assert login(stronger, email).status_code == 200
    rehashed = User.get_by_id(user_id).password_hash
    assert rehashed.startswith("$argon2id$") and ",t=2," in rehashed
    assert login(stronger, email).status_code == 200  # the new hash checks


def test_production_defaults_are_owasp_strength():
    defaults = Config.from_env({})
    assert defaults.password_time_cost >= 2 and defaults.password_memory_kib >= 19 * 1024
    hashed = Passwords.from_config(defaults).hash(PASSWORD)
    assert hashed.startswith(
        f"$argon2id$v=19$m={defaults.password_memory_kib},t={defaults.password_time_cost},"
    )


def test_weak_passwords_are_named():
    assert weakness("short-one") == "must be at least 12 characters"
    assert weakness("Password1234") == "is too common: choose another"
    assert weakness("x" * 257) and weakness(PASSWORD) is None


def test_bad_login_bodies_name_the_field(client):
    resp = client.simulate_post("/auth/login", json={"email": "a@b.c", "extra": 1})
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json["errors"]} == {"password", "extra"}
