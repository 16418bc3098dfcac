"""``/users``: invitations, members and their roles, the last owner, a user's own password, against real
Postgres."""

import datetime

import pytest

from store.models import AuditEvent, Invitation, utcnow
from tests.ingress.test_sessions import build
from tests.support.accounts import PASSWORD, bearer, login, member, session
from tests.support.api import conforms


@pytest.fixture
def uncached(config, cache, relay, db):
    return build(config, cache, relay, credential_cache_seconds=0)


def invite(client, headers, email, role="developer", **extra):
    return client.simulate_post("/users", json={"email": email, "role": role}, headers={**headers, **extra})


def test_an_invitation_is_accepted_once_with_a_strong_password(client, config, merchant):
    _, owner = session(client, config, merchant)
    email = f"new-{merchant}@example.test"
    invited = invite(client, owner, email, "analyst")
    assert invited.status_code == 201, invited.text
    conforms(invited.json, "Invitation")
    token = invited.json["token"]
    assert Invitation.get_by_id(invited.json["id"]).token_digest != token  # a digest only
    weak = client.simulate_post("/users/accept", json={"token": token, "password": "password1234"})
    assert weak.status_code == 422 and weak.json["errors"][0]["field"] == "password"
    joined = client.simulate_post("/users/accept", json={"token": token, "password": PASSWORD, "name": "Ann"})
    assert joined.status_code == 201, joined.text
    conforms(joined.json, "User")
    assert (joined.json["email"], joined.json["role"], joined.json["name"]) == (email, "analyst", "Ann")
    again = client.simulate_post("/users/accept", json={"token": token, "password": PASSWORD})
    assert again.status_code == 404
    assert login(client, email).status_code == 200
    listed = client.simulate_get("/users", headers=owner)
    assert {u["email"] for u in listed.json["data"]} >= {email} and len(listed.json["data"]) == 2
    assert client.simulate_get(f"/users/{joined.json['id']}", headers=owner).json == joined.json
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.merchant_id == merchant)]
    assert "user.invited" in actions and "user.joined" in actions
    assert token not in str(
        [e.summary for e in AuditEvent.select().where(AuditEvent.merchant_id == merchant)]
    )


def test_an_expired_invitation_is_refused(client, config, merchant):
    _, owner = session(client, config, merchant)
    invited = invite(client, owner, f"late-{merchant}@example.test").json
    Invitation.update(expires_at=utcnow() - datetime.timedelta(seconds=1)).where(
        Invitation.id == invited["id"]
    ).execute()
    resp = client.simulate_post("/users/accept", json={"token": invited["token"], "password": PASSWORD})
    assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json"


def test_an_existing_user_joins_with_their_own_password(client, config, merchant):
    _, owner = session(client, config, merchant)
    _, email = member(config, merchant + "x")
    token = invite(client, owner, email.upper(), "viewer").json["token"]
    wrong = client.simulate_post("/users/accept", json={"token": token, "password": "another-password-9"})
    assert wrong.status_code == 401
    right = client.simulate_post("/users/accept", json={"token": token, "password": PASSWORD})
    assert right.status_code == 201 and right.json["role"] == "viewer"
    assert invite(client, owner, email).status_code == 409  # a member already


def test_a_replayed_invitation_never_shows_the_token_again(client, config, merchant):
    _, owner = session(client, config, merchant)
    email = f"replay-{merchant}@example.test"
    first = invite(client, owner, email, **{"Idempotency-Key": "inv-1"})
    replay = invite(client, owner, email, **{"Idempotency-Key": "inv-1"})
    assert "token" in first.json and replay.headers.get("idempotent-replayed") == "true"
    assert replay.json == {k: v for k, v in first.json.items() if k != "token"}


def test_nobody_grants_a_role_above_their_own(client, config, merchant):
    _, admin = session(client, config, merchant, "admin")
    assert invite(client, admin, f"o-{merchant}@example.test", "owner").status_code == 403
    assert invite(client, admin, f"a-{merchant}@example.test", "admin").status_code == 201
    owner_id, _ = member(config, merchant, "owner")
    assert (
        client.simulate_patch(f"/users/{owner_id}", json={"role": "viewer"}, headers=admin).status_code == 403
    )
    assert client.simulate_delete(f"/users/{owner_id}", headers=admin).status_code == 403
    _, developer = session(client, config, merchant, "developer")
    assert (
        invite(client, developer, f"d-{merchant}@example.test", "viewer").status_code == 403
    )  # no users:write
    bad = client.simulate_post("/users", json={"email": "nope", "role": "king"}, headers=admin)
    assert bad.status_code == 422 and {e["field"] for e in bad.json["errors"]} == {"email", "role"}


def test_the_last_owner_stays(client, config, merchant):
    owner_id, owner = session(client, config, merchant)
    demote = client.simulate_patch(f"/users/{owner_id}", json={"role": "admin"}, headers=owner)
    assert demote.status_code == 409 and demote.json["type"] == "/problems/last-owner"
    assert client.simulate_delete(f"/users/{owner_id}", headers=owner).status_code == 409
    second_id, _ = member(config, merchant, "admin")
    promoted = client.simulate_patch(f"/users/{second_id}", json={"role": "owner"}, headers=owner)
    assert promoted.status_code == 200 and promoted.json["role"] == "owner"
    assert (
        client.simulate_patch(f"/users/{owner_id}", json={"role": "admin"}, headers=owner).status_code == 200
    )
    changed = AuditEvent.get(AuditEvent.action == "user.role_changed", AuditEvent.object_id == owner_id)
    assert changed.summary == {"before": {"role": "owner"}, "after": {"role": "admin"}}


def test_a_role_change_and_a_removal_take_effect(uncached, config, merchant):
    _, owner = session(uncached, config, merchant)
    user_id, member_headers = session(uncached, config, merchant, "admin")
    assert uncached.simulate_get("/users", headers=member_headers).status_code == 200
    uncached.simulate_patch(f"/users/{user_id}", json={"role": "viewer"}, headers=owner)
    assert uncached.simulate_get("/users", headers=member_headers).status_code == 403  # a viewer now
    assert uncached.simulate_delete(f"/users/{user_id}", headers=owner).status_code == 204
    assert uncached.simulate_get("/merchant", headers=member_headers).status_code == 401
    assert uncached.simulate_get(f"/users/{user_id}", headers=owner).status_code == 404
    assert (
        AuditEvent.get(AuditEvent.action == "user.removed", AuditEvent.object_id == user_id).merchant_id
        == merchant
    )


def test_changing_the_password_ends_the_other_sessions(uncached, config, merchant):
    _, email = member(config, merchant)
    here, elsewhere = (bearer(login(uncached, email).json) for _ in range(2))
    new = "a-new-and-long-passphrase"
    wrong = uncached.simulate_post(
        "/users/me/password", json={"current_password": "not-it-at-all-x", "new_password": new}, headers=here
    )
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "current_password"
    weak = uncached.simulate_post(
        "/users/me/password", json={"current_password": PASSWORD, "new_password": "short"}, headers=here
    )
    assert weak.status_code == 422 and weak.json["errors"][0]["field"] == "new_password"
    changed = uncached.simulate_post(
        "/users/me/password", json={"current_password": PASSWORD, "new_password": new}, headers=here
    )
    assert changed.status_code == 200, changed.text
    assert uncached.simulate_get("/users/me", headers=here).status_code == 200
    assert uncached.simulate_get("/users/me", headers=elsewhere).status_code == 401
    assert login(uncached, email).status_code == 401 and login(uncached, email, new).status_code == 200


def test_a_service_token_manages_users_as_the_owner(client, auth, config, merchant):
    member(config, merchant)
    assert invite(client, auth, f"s-{merchant}@example.test", "owner").status_code == 201
    assert client.simulate_get("/users", headers=auth).json["data"][0]["role"] == "owner"
