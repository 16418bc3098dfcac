"""``/dashboard/invitations/accept``: the invited person sets a name and password (or proves their account's)
and is signed in to the merchant, through ``store.users.accept`` as ``POST /users/accept``."""

import html
import re

from store.models import AuditEvent, Invitation, Membership, User
from tests.dashboard.conftest import Browser
from tests.support.accounts import PASSWORD, member

LINK = re.compile(r'id="invitation-link" class="mono" readonly value="([^"]+)"')
ACCEPT = "/dashboard/invitations/accept"


def invite(signed_in, email, role="analyst"):
    admin, _ = signed_in("admin")
    resp = admin.submit("/dashboard/users", "/dashboard/users", {"email": email, "role": role})
    link = html.unescape(LINK.search(resp.text).group(1))
    assert link.startswith("http://localhost/dashboard/invitations/accept?token=")
    return link.removeprefix("http://localhost")


def accept(browser, link, **fields):
    token = link.split("token=", 1)[1]
    return browser.submit(link, ACCEPT, {"token": token, **fields})


def test_a_new_user_sets_a_name_and_password_and_is_signed_in(signed_in, dashboard, merchant):
    link = invite(signed_in, "newcomer@example.test")
    browser = Browser(dashboard)
    form = browser.get(link)
    assert form.status_code == 200
    assert "newcomer@example.test" in form.text and "analyst" in form.text and 'name="name"' in form.text
    weak = accept(browser, link, name="Nia", password="short")
    assert weak.status_code == 422 and "at least 12 characters" in weak.text
    assert not User.select().where(User.email == "newcomer@example.test").exists()

    resp = accept(browser, link, name="Nia Newcomer", password="a long and new passphrase")
    assert (resp.status_code, resp.headers["location"]) == (303, "/dashboard/")
    home = browser.get("/dashboard/")
    assert home.status_code == 200 and "you joined as analyst" in home.text
    user = User.get(User.email == "newcomer@example.test")
    assert user.name == "Nia Newcomer"
    assert (
        Membership.get((Membership.user_id == user.id) & (Membership.merchant_id == merchant)).role
        == "analyst"
    )
    assert AuditEvent.get((AuditEvent.merchant_id == merchant) & (AuditEvent.action == "login.succeeded"))
    again = Browser(dashboard).get(link)  # used: it opens nothing any more
    assert again.status_code == 404 and "unknown, expired or accepted already" in again.text


def test_an_existing_account_proves_its_password(signed_in, dashboard, config, merchant):
    _, email = member(config, "mer_elsewhere", "viewer")
    link = invite(signed_in, email)
    browser = Browser(dashboard)
    assert "This address has an account" in browser.get(link).text
    wrong = accept(browser, link, password="not the password")
    assert wrong.status_code == 401 and "not the password of your account" in wrong.text
    assert accept(browser, link, password=PASSWORD).status_code == 303
    user = User.get(User.email == email)
    assert {m.merchant_id for m in Membership.select().where(Membership.user_id == user.id)} == {
        "mer_elsewhere",
        merchant,
    }


def test_an_unknown_token_or_a_post_without_csrf_opens_nothing(signed_in, dashboard, merchant):
    browser = Browser(dashboard)
    assert browser.get(f"{ACCEPT}?token=nope").status_code == 404
    link = invite(signed_in, "csrf@example.test")
    token = link.split("token=", 1)[1]
    refused = browser.post(ACCEPT, {"token": token, "name": "X", "password": "a long and new passphrase"})
    assert refused.status_code == 403
    assert Invitation.get(Invitation.email == "csrf@example.test").accepted_at is None
