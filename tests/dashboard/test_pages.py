"""The dashboard's foundation: sign-in, the session cookie and its timeouts, CSRF, roles, security headers,
error pages, switching merchant and mode."""

import pytest

from dashboard.session import COOKIE, FLASH_COOKIE, LOGIN_CSRF_COOKIE, Sessions, Signer
from store import sessions as store_sessions
from store.models import AuditEvent
from store.sessions import SessionCache
from tests.dashboard.conftest import Browser
from tests.support.accounts import member


def refusals(merchant_id, reason):
    """The merchant's ``request.refused`` audit events for ``reason``, oldest first."""
    found = AuditEvent.select().where(
        (AuditEvent.merchant_id == merchant_id) & (AuditEvent.action == "request.refused")
    )
    return [e for e in found.order_by(AuditEvent.id) if e.summary["after"]["reason"] == reason]


def test_a_page_without_a_session_sends_to_the_sign_in_form(browser):
    resp = browser.get("/dashboard/payments", query_string="status=succeeded")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/dashboard/login?next=/dashboard/payments%3Fstatus%3Dsucceeded"


def test_every_answer_carries_a_strict_policy(browser):
    for resp in (browser.get("/dashboard/login"), browser.get("/dashboard/nowhere")):
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Cache-Control"] == "no-store"
    assert "<script>" not in browser.get("/dashboard/login").text  # no inline script to allow


def test_sign_in_sets_a_cookie_only_scripts_cannot_read(config, merchant, dashboard, db):
    _, email = member(config, merchant, "viewer")
    remote = Browser(dashboard, host="dashboard.example.com")
    resp = remote.sign_in(email)
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboard/"
    cookie = resp.cookies[COOKIE]
    assert cookie.http_only and cookie.secure and cookie.same_site == "Lax" and cookie.path == "/dashboard"
    assert cookie.max_age == config.dashboard_session_hours * 3600
    assert remote.get("/dashboard/payments").status_code == 200


def test_every_cookie_of_the_dashboard_is_http_only_and_secure(config, merchant, dashboard, db):
    _, email = member(config, merchant, "owner")
    remote = Browser(dashboard, host="dashboard.example.com")
    login_csrf = remote.get("/dashboard/login").cookies[LOGIN_CSRF_COOKIE]
    remote.sign_in(email)
    flash = remote.submit("/dashboard/payments", "/dashboard/switch", {"mode": "test"}).cookies[FLASH_COOKIE]
    for cookie, same_site in ((login_csrf, "Strict"), (flash, "Lax")):
        assert (cookie.http_only, cookie.secure, cookie.same_site, cookie.path) == (
            True,
            True,
            same_site,
            "/dashboard",
        )


def test_plain_http_on_localhost_relaxes_secure_only(config, merchant, browser):
    _, email = member(config, merchant, "viewer")
    cookie = browser.sign_in(email).cookies[COOKIE]
    assert not cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_a_wrong_password_is_refused_without_saying_why(config, merchant, browser):
    _, email = member(config, merchant, "viewer")
    resp = browser.sign_in(email, password="not-the-password-at-all")
    assert resp.status_code == 401
    assert "The email, password or one-time code is wrong." in resp.text
    assert COOKIE not in browser.cookies
    unknown = browser.sign_in("nobody@example.test", password="not-the-password-at-all")
    assert unknown.status_code == 401 and "The email, password or one-time code is wrong." in unknown.text


def test_a_sign_in_without_its_csrf_token_is_refused_and_audited(config, merchant, browser):
    _, email = member(config, merchant, "viewer")
    browser.get("/dashboard/login")
    assert LOGIN_CSRF_COOKIE in browser.cookies
    resp = browser.post("/dashboard/login", {"email": email, "password": "x"})
    assert resp.status_code == 403 and COOKIE not in browser.cookies
    found = AuditEvent.select().where(
        (AuditEvent.action == "request.refused") & (AuditEvent.request_id == resp.headers["X-Request-Id"])
    )
    assert [e.summary["after"]["reason"] for e in found] == ["csrf"]


def test_a_post_without_the_session_csrf_token_is_refused_and_audited(signed_in, merchant):
    owner, user_id = signed_in("owner")
    resp = owner.post("/dashboard/switch", {"mode": "test"})
    assert resp.status_code == 403
    assert "did not come from this dashboard" in resp.text
    event = refusals(merchant, "csrf")[-1]
    assert (event.actor_type, event.actor_id) == ("user", user_id)
    forged = owner.post("/dashboard/switch", {"mode": "test", "csrf_token": "forged"})
    assert forged.status_code == 403


def test_sign_in_is_audited_with_the_user_as_actor(signed_in, merchant):
    _, user_id = signed_in("viewer")
    event = AuditEvent.get((AuditEvent.merchant_id == merchant) & (AuditEvent.action == "login.succeeded"))
    assert (event.actor_type, event.actor_id) == ("user", user_id)


def test_sign_out_ends_the_session_for_every_door(signed_in):
    viewer, _ = signed_in("viewer")
    old = viewer.cookies[COOKIE]
    resp = viewer.submit("/dashboard/payments", "/dashboard/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/dashboard/login"
    assert COOKIE not in viewer.cookies
    viewer.cookies[COOKIE] = old  # a copy kept elsewhere: its session is revoked
    assert viewer.get("/dashboard/payments").status_code == 303


def test_the_next_page_after_sign_in_stays_on_the_dashboard(config, merchant, browser):
    _, email = member(config, merchant, "viewer")
    token = browser.csrf("/dashboard/login")
    fields = {"csrf_token": token, "email": email, "password": "correct-horse-battery-42"}
    resp = browser.post("/dashboard/login", {**fields, "next": "//evil.example/dashboard/"})
    assert resp.headers["Location"] == "/dashboard/"


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def timed(config, merchant, db):
    """A session cookie issued by ``Sessions`` on a clock the test moves."""
    from store.passwords import Passwords

    _, email = member(config, merchant, "viewer")
    grant = store_sessions.login(
        email,
        "correct-horse-battery-42",
        None,
        merchant,
        livemode=True,
        throttled=False,
        passwords=Passwords.from_config(config),
        keyring=None,
        days=30,
    )
    clock = Clock()
    sessions = Sessions(config, Signer.from_config(config), SessionCache(0), clock)
    value = sessions.issue(grant.session.id, grant.session.user_id, merchant, True)
    return sessions, value, clock


def test_the_session_ends_after_the_idle_timeout(config, timed):
    sessions, value, clock = timed
    clock.now += config.dashboard_idle_minutes * 60 - 1
    assert sessions.read(value) is not None
    clock.now += 2
    assert sessions.read(value) is None


def test_activity_slides_the_idle_timeout_but_never_the_absolute_one(config, timed):
    sessions, value, clock = timed
    idle = config.dashboard_idle_minutes * 60
    steps = 0
    while True:
        clock.now += idle - 1
        signed_in = sessions.read(value)
        if signed_in is None:
            break
        value = signed_in.refreshed or value
        steps += 1
    assert steps == config.dashboard_session_hours * 3600 // (idle - 1)


def test_a_tampered_cookie_is_no_session(timed):
    sessions, value, _ = timed
    body, _, mac = value.partition(".")
    assert sessions.read(body[:-2] + "xx." + mac) is None
    assert sessions.read(Signer(b"another key" * 4).sign("session", {"sid": "x"})) is None


def test_unknown_pages_and_payments_are_404_pages(signed_in):
    viewer, _ = signed_in("viewer")
    for path in (
        "/dashboard/nowhere",
        "/dashboard/payments/pay_000000000000000000000000",
        "/dashboard/payments/x",
    ):
        resp = viewer.get(path)
        assert resp.status_code == 404, path
        assert "Page not found" in resp.text and resp.headers["Content-Type"].startswith("text/html")


def test_switching_mode_shows_it_unmistakably_and_is_audited(signed_in, merchant):
    owner, user_id = signed_in("owner")
    assert "TEST MODE" not in owner.get("/dashboard/payments").text
    resp = owner.submit("/dashboard/payments", "/dashboard/switch", {"merchant": merchant, "mode": "test"})
    assert resp.status_code == 303
    page = owner.get("/dashboard/payments")
    assert "TEST MODE" in page.text and 'class="mode-test"' in page.text
    assert "Now viewing" in page.text  # the flash message
    logins = AuditEvent.select().where(
        (AuditEvent.merchant_id == merchant) & (AuditEvent.action == "login.succeeded")
    )
    assert [e.summary["after"].get("switched") for e in logins] == [None, True]
    assert all(e.actor_id == user_id for e in logins)


def test_switching_to_another_membership_and_never_to_a_stranger(signed_in, config, merchant):
    owner, user_id = signed_in("viewer")
    from store import users
    from store.models import User

    other = merchant + "b"
    users.join(User.get_by_id(user_id), other, "viewer")
    page = owner.get("/dashboard/payments").text
    assert f'<option value="{other}"' in page
    owner.submit("/dashboard/payments", "/dashboard/switch", {"merchant": other, "mode": "live"})
    assert f'<option value="{other}" selected' in owner.get("/dashboard/payments").text
    refused = owner.submit(
        "/dashboard/payments", "/dashboard/switch", {"merchant": "m_stranger", "mode": "live"}
    )
    assert refused.status_code == 303
    assert "no member of that merchant" in owner.get("/dashboard/payments").text


def test_static_files_are_served_to_anyone(browser):
    css = browser.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and ".test-banner" in css.text
    assert browser.get("/dashboard/static/dashboard.js").status_code == 200


def test_the_health_probe_needs_no_session_and_no_database(browser):
    resp = browser.get("/dashboard/healthz")
    assert (resp.status_code, resp.text) == (200, "ok")


def test_a_user_with_two_factor_signs_in_with_the_current_code(config, merchant, browser):
    import pyotp

    from store import users
    from store.models import User
    from store.vault import Vault

    keyring = Vault.from_config(config).secrets
    user_id, email = member(config, merchant, "viewer")
    secret = users.totp_setup(User.get_by_id(user_id), keyring)["secret"]
    users.totp_switch(User.get_by_id(user_id), merchant, pyotp.TOTP(secret).now(), keyring, True)
    assert browser.sign_in(email).status_code == 401  # the password alone is not enough
    assert (
        browser.sign_in(email, otp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111").status_code
        == 401
    )
    assert browser.sign_in(email, otp=pyotp.TOTP(secret).now()).status_code == 303


class Broken:
    """A page that fails on our side."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp):
        raise RuntimeError("secret detail of the failure")


def test_a_failing_page_is_the_layouts_500_page_naming_the_request(config, cache, relay, merchant, db):
    from dashboard.app import create_app
    from store.vault import Vault

    app = create_app(config, vault=Vault.from_config(config), cache=cache, relay=relay)
    app.add_route("/dashboard/broken", Broken())
    viewer = Browser(app)
    assert viewer.sign_in(member(config, merchant, "viewer")[1]).status_code == 303
    resp = viewer.get("/dashboard/broken")
    assert resp.status_code == 500 and resp.headers["Content-Type"].startswith("text/html")
    assert "Something went wrong" in resp.text and resp.headers["X-Request-Id"] in resp.text
    assert "secret detail" not in resp.text and "Traceback" not in resp.text
    assert '<link rel="stylesheet" href="/dashboard/static/dashboard.css">' in resp.text
    assert 'class="nav"' in resp.text  # the layout, signed in
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_a_visit_to_a_forms_address_is_a_405_page_not_a_refusal(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    resp = viewer.get("/dashboard/logout")
    assert resp.status_code == 405 and "Not a page" in resp.text and "does not take a GET" in resp.text
    assert refusals(merchant, "forbidden") == []
    posted = viewer.submit("/dashboard/payments", "/dashboard/payments")  # a page's address, with a token
    assert posted.status_code == 405 and "does not take a POST" in posted.text
