"""``/dashboard/users``: invite, change roles, remove; never a role above one's own; the last owner stays."""

import re

from store import users
from store.models import AuditEvent, AuthSession, Invitation, Membership
from tests.support.accounts import member

TOKEN = re.compile(r'id="new-secret" class="mono" readonly value="([^"]+)"')


def test_an_admin_invites_with_a_token_shown_once(signed_in, merchant):
    admin, user_id = signed_in("admin")
    resp = admin.submit(
        "/dashboard/users", "/dashboard/users", {"email": "new@example.test", "role": "analyst"}
    )
    assert resp.status_code == 201
    token = TOKEN.search(resp.text).group(1)
    invitation = Invitation.get(Invitation.merchant_id == merchant)
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "new@example.test",
        "analyst",
        user_id,
    )
    assert token not in admin.get("/dashboard/users").text
    assert AuditEvent.get((AuditEvent.object_id == invitation.id) & (AuditEvent.action == "user.invited"))


def test_nobody_grants_a_role_above_their_own(signed_in, merchant):
    admin, _ = signed_in("admin")
    resp = admin.submit(
        "/dashboard/users", "/dashboard/users", {"email": "boss@example.test", "role": "owner"}
    )
    assert (
        resp.status_code == 403 and not Invitation.select().where(Invitation.merchant_id == merchant).exists()
    )


def test_change_a_role_and_remove_a_member(signed_in, config, merchant):
    admin, _ = signed_in("admin")
    colleague, _ = member(config, merchant, "viewer")
    admin.submit("/dashboard/users", f"/dashboard/users/{colleague}/role", {"role": "developer"})
    assert (
        Membership.get((Membership.user_id == colleague) & (Membership.merchant_id == merchant)).role
        == "developer"
    )
    owner, _ = member(config, merchant, "owner")
    admin.submit("/dashboard/users", f"/dashboard/users/{owner}/role", {"role": "viewer"})
    assert (
        Membership.get((Membership.user_id == owner) & (Membership.merchant_id == merchant)).role == "owner"
    )
    assert "above your own" in admin.get("/dashboard/users").text
    admin.submit("/dashboard/users", f"/dashboard/users/{colleague}/remove")
    assert (
        not Membership.select()
        .where((Membership.user_id == colleague) & (Membership.merchant_id == merchant))
        .exists()
    )


def test_the_last_owner_stays_and_removed_members_sessions_end(signed_in, merchant):
    """(Every process sees a session's end within ``PAYWAVE_CREDENTIAL_CACHE_SECONDS``, as the API does.)"""
    owner, owner_id = signed_in("owner")
    owner.submit("/dashboard/users", f"/dashboard/users/{owner_id}/role", {"role": "admin"})
    assert "last owner" in owner.get("/dashboard/users").text
    _, viewer_id = signed_in("viewer")
    owner.submit("/dashboard/users", f"/dashboard/users/{viewer_id}/remove")
    assert (
        not AuthSession.select()
        .where((AuthSession.user_id == viewer_id) & AuthSession.revoked_at.is_null())
        .exists()
    )
    assert users.memberships(viewer_id) == []


def test_a_developer_cannot_see_the_team(signed_in):
    developer, _ = signed_in("developer")
    assert developer.get("/dashboard/users").status_code == 403
