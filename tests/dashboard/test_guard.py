"""Every form of the dashboard, found in its router: a viewer's crafted POST is refused (403) and audited with
the viewer as actor, and a POST without its CSRF token is refused whoever sends it.  A route added without a
permission check (or with one every viewer holds) fails here."""

import pytest

from shared.permissions import PERMISSIONS, ROLES, grants
from store.models import AuditEvent
from tests.ingress.test_role_matrix import IDS
from tests.support.dashboard import routes

POSTS = [route for route in routes() if "POST" in route.methods]
#: What any member may POST: their own session (sign out, switch merchant or mode).  Nothing else.
OWN_SESSION = {"/dashboard/logout": "me.write", "/dashboard/switch": "sessions.switch"}
#: The forms of people not signed in; they carry the sign-in form's double-submit token.
PUBLIC = {"/dashboard/login", "/dashboard/invitations/accept"}
#: A value for every field of a route's template (the API's, well-formed and naming nothing): the Guard
#: refuses before the object is looked up.
FIELDS = {**IDS, "list_id": IDS["value_list_id"]}


def refusal(request_id: str) -> AuditEvent:
    return AuditEvent.get((AuditEvent.action == "request.refused") & (AuditEvent.request_id == request_id))


def test_the_router_has_forms_and_only_the_sign_in_ones_are_public():
    assert len(POSTS) > 20
    assert {route.template for route in POSTS if route.public} == PUBLIC
    for route in POSTS:
        action = route.action("POST")
        assert route.public or action in PERMISSIONS, route.template  # a real action, granted to some role
        if route.template in OWN_SESSION:
            assert action == OWN_SESSION[route.template]


@pytest.mark.parametrize(
    "route", [r for r in POSTS if not r.public and r.template not in OWN_SESSION], ids=lambda r: r.template
)
def test_a_viewers_crafted_post_is_refused_and_audited(route, signed_in, merchant):
    viewer, user_id = signed_in("viewer")
    assert not grants(ROLES["viewer"], route.action("POST"))
    path = route.path(**FIELDS)
    resp = viewer.submit("/dashboard/payments", path, {"amount": "1.00", "role": "owner"})
    assert resp.status_code == 403, resp.text
    assert "Your role does not allow this" in resp.text
    event = refusal(resp.headers["X-Request-Id"])
    assert (event.merchant_id, event.actor_type, event.actor_id) == (merchant, "user", user_id)
    assert event.summary["after"] == {
        "reason": "forbidden",
        "method": "POST",
        "path": path,
        "action": route.action("POST"),
    }


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r.template)
def test_a_post_without_its_csrf_token_is_refused_and_audited(route, signed_in, browser):
    if route.public:
        browser.get("/dashboard/login")  # the double-submit cookie, but no token in the form
        client = browser
    else:
        client, _ = signed_in("owner")
    resp = client.post(route.path(**FIELDS), {"amount": "1.00"})
    assert resp.status_code == 403, resp.text
    assert "did not come from this dashboard" in resp.text
    assert refusal(resp.headers["X-Request-Id"]).summary["after"]["reason"] == "csrf"
