"""``/dashboard/api_keys``: create (the secret shown once), roll with an overlap, revoke; never a scope beyond
the user's role; a key of the mode being viewed."""

import re

from store import api_keys
from store.models import ApiKey, AuditEvent

SECRET = re.compile(r'id="new-secret" class="mono" readonly value="([^"]+)"')


def create(browser, **fields):
    fields = {
        "name": "checkout server",
        "type": "secret",
        "scopes": ["payments:read", "payments:write"],
        **fields,
    }
    return browser.submit("/dashboard/api_keys", "/dashboard/api_keys", fields)


def test_a_created_key_is_shown_once_and_works(signed_in, merchant, config):
    developer, user_id = signed_in("developer", mode="test")
    resp = create(developer)
    assert resp.status_code == 201
    secret = SECRET.search(resp.text).group(1)
    assert secret.startswith("sk_test_")
    key = api_keys.verify(secret, config.api_key_digest_key)
    assert key is not None and key.merchant_id == merchant and not key.livemode
    assert key.scopes == ["payments:read", "payments:write"] and key.created_by == f"user:{user_id}"
    listing = developer.get("/dashboard/api_keys").text
    assert secret not in listing and f"sk_test_…{secret[-4:]}" in listing
    audited = AuditEvent.get((AuditEvent.object_id == key.id) & (AuditEvent.action == "api_key.created"))
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)


def test_a_key_never_holds_a_scope_the_role_lacks(signed_in, merchant):
    developer, _ = signed_in("developer")
    resp = create(developer, scopes=["payments:read", "refunds:write"])
    assert resp.status_code == 422 and "among those your role holds" in resp.text
    assert not ApiKey.select().where(ApiKey.merchant_id == merchant).exists()
    assert 'value="refunds:write"' not in developer.get("/dashboard/api_keys").text


def test_roll_shows_the_new_secret_and_keeps_the_old_one_for_the_overlap(signed_in, merchant, config):
    developer, _ = signed_in("developer")
    old_secret = SECRET.search(create(developer).text).group(1)
    old = api_keys.verify(old_secret, config.api_key_digest_key)
    resp = developer.submit(
        "/dashboard/api_keys", f"/dashboard/api_keys/{old.id}/roll", {"expires_in_hours": "24"}
    )
    assert resp.status_code == 201
    new = api_keys.verify(SECRET.search(resp.text).group(1), config.api_key_digest_key)
    old = ApiKey.get_by_id(old.id)
    assert old.rolled_to == new.id and old.expires_at is not None
    assert api_keys.verify(old_secret, config.api_key_digest_key) is not None  # still, for the overlap


def test_revoke_stops_the_key(signed_in, config):
    developer, _ = signed_in("developer")
    secret = SECRET.search(create(developer).text).group(1)
    key = api_keys.verify(secret, config.api_key_digest_key)
    resp = developer.submit("/dashboard/api_keys", f"/dashboard/api_keys/{key.id}/revoke")
    assert resp.status_code == 303
    assert api_keys.verify(secret, config.api_key_digest_key) is None
    assert "is revoked" in developer.get("/dashboard/api_keys").text


def test_a_viewer_cannot_see_or_manage_keys(signed_in):
    viewer, _ = signed_in("viewer")
    assert viewer.get("/dashboard/api_keys").status_code == 403
    assert "/dashboard/api_keys" not in viewer.get("/dashboard/payments").text
    assert create(viewer).status_code == 403


def test_a_key_of_the_other_mode_is_not_found(signed_in, config):
    developer, _ = signed_in("developer", mode="live")
    key = api_keys.verify(SECRET.search(create(developer).text).group(1), config.api_key_digest_key)
    tester, _ = signed_in("developer", mode="test")
    assert key.id not in tester.get("/dashboard/api_keys").text
    assert tester.submit("/dashboard/api_keys", f"/dashboard/api_keys/{key.id}/revoke").status_code == 404
