"""The dashboard in a real browser (``paywave dashboard`` beside the browser stack's ingress and workers):
sign in, find a payment by its customer's email, refund part of it and see the refund in the timeline and
in the sandbox's ledger; create an API key, roll it, and use both with curl; approve a payment a review
rule sent to review; a viewer sees no refund button and a crafted POST from their session is refused and
audited; a POST without its CSRF token is refused; send a test webhook and read its delivery; keep a fraud
list; accept an invitation. axe-core (vendored in tests/browser/axe with its licence) checks every page
visited: no serious or critical violation (every page at a phone's and a laptop's width:
test_dashboard_pages.py). The README's screenshots come from here."""

import http.server
import re
import subprocess
import time

import pytest
import requests

from store.models import AuditEvent, Notification, Refund
from tests.browser.conftest import EMAIL, MASK, MERCHANT, axe_check, keep_screenshot, pay, people, sign_in
from tests.support import services
from tests.support.sandbox import Sandbox, wait_status


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    yield context
    context.close()


def test_support_finds_a_payment_refunds_part_and_sees_it_everywhere(
    context, dashboard, stack, paid, sandboxes
):
    emails = people(stack)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the refund's confirmation
    sign_in(page, dashboard, emails["owner"])
    assert page.locator(".test-banner").inner_text().startswith("TEST MODE")
    assert axe_check(page) == []  # the home page
    page.evaluate(MASK)
    keep_screenshot(page, "dashboard-home.png")
    page.goto(f"{dashboard}/payments")

    page.fill("#f-email", EMAIL)
    page.click('.filters button[type="submit"]')
    page.wait_for_url(re.compile(r".*email=ada%40example\.test.*"))
    assert axe_check(page) == []
    page.evaluate(MASK)
    keep_screenshot(page, "dashboard-payments.png")
    page.click(f'a[href="/dashboard/payments/{paid.id}"]')

    page.fill("#refund-amount", "5.00")
    page.select_option("#refund-reason", "requested_by_customer")
    page.click('.refund-form button[type="submit"]')
    page.wait_for_selector(".flash-success")
    refund = Refund.get(Refund.payment_id == paid.id)
    assert refund.amount == 500
    wait_status(paid.id)
    deadline = time.monotonic() + 30
    while Refund.get_by_id(refund.id).status == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Refund.get_by_id(refund.id).status == "succeeded"
    page.reload()
    entry = page.locator(".entry-refund")
    assert f"Refund {refund.id}" in entry.inner_text() and "succeeded" in entry.inner_text().lower()
    assert "5.00 USD" in page.locator(".facts").first.inner_text()  # refunded
    receipt = Notification.select().where(
        (Notification.payment_id == paid.id) & (Notification.event_type == "payment.succeeded")
    )
    deadline = time.monotonic() + 30  # the notifications pool sends it to the stack's SMTP catcher
    while receipt.where(Notification.status == "sent").count() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    page.reload()
    notices = page.locator(".entry-notification").all_inner_texts()
    assert any("payment.succeeded" in n and "sent" in n.lower() and "250" in n for n in notices), notices
    assert axe_check(page) == []
    page.evaluate(MASK)
    keep_screenshot(page, "dashboard-payment.png")

    moved = [(e["type"], e["amount"]) for e in Sandbox(sandboxes["stripe"]).ledger(paid.id)]
    assert ("refund", 500) in moved


def curl_status(url: str, secret: str) -> str:
    """The HTTP status curl gets for ``url`` with ``secret`` as its bearer token."""
    answer = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url, "-H", f"Authorization: Bearer {secret}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return answer.stdout


def test_an_api_key_created_and_rolled_here_works_with_curl(context, dashboard, stack):
    emails = people(stack)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the roll's confirmation
    sign_in(page, dashboard, emails["owner"])
    page.goto(f"{dashboard}/api_keys")
    assert axe_check(page) == []
    page.fill("#key-name", "reporting")
    page.click('form[action$="/api_keys"] button[type="submit"]')
    secret = page.input_value("#new-secret")
    assert secret.startswith("sk_test_")
    assert axe_check(page) == []
    assert curl_status(f"{stack.api}/payments", secret) == "200"
    page.reload()
    assert secret not in page.content()  # shown once

    row = page.locator("tr", has_text=f"…{secret[-4:]}")
    row.locator('select[name="expires_in_hours"]').select_option("24")
    row.get_by_role("button", name="Roll").click()
    rolled = page.input_value("#new-secret")
    assert rolled.startswith("sk_test_") and rolled != secret
    assert curl_status(f"{stack.api}/payments", rolled) == "200"
    assert curl_status(f"{stack.api}/payments", secret) == "200"  # the overlap: the old key works for 24 h


def test_a_viewer_has_no_refund_button_and_crafted_posts_are_refused(context, dashboard, stack, paid):
    emails = people(stack)
    page = context.new_page()
    sign_in(page, dashboard, emails["viewer"])
    page.goto(f"{dashboard}/payments/{paid.id}")
    assert page.locator("#refund-amount").count() == 0
    assert axe_check(page) == []
    token = page.locator('input[name="csrf_token"]').first.input_value()  # the sign-out form's: the session's
    crafted = page.request.post(
        f"{dashboard}/payments/{paid.id}/refunds", form={"csrf_token": token, "amount": "1.00"}
    )
    assert crafted.status == 403
    no_token = page.request.post(f"{dashboard}/payments/{paid.id}/refunds", form={"amount": "1.00"})
    assert no_token.status == 403
    reasons = [
        e.summary["after"]["reason"]
        for e in AuditEvent.select()
        .where((AuditEvent.action == "request.refused") & (AuditEvent.merchant_id == MERCHANT))
        .order_by(AuditEvent.id)
    ]
    assert reasons[-2:] == ["forbidden", "csrf"]


def test_a_risk_analyst_sees_the_review_and_an_admin_approves_it(context, dashboard, stack, mint):
    from store.models import Review

    emails = people(stack)
    auth = {"Authorization": f"Bearer {mint(MERCHANT, livemode=False)}"}
    rule = requests.post(
        f"{stack.api}/radar/rules",
        json={"action": "review", "predicate": ":amount: >= 7100 and :amount: <= 7100"},
        headers=auth,
        timeout=10,
    )
    rule.raise_for_status()
    try:
        payment = pay(stack, auth, 7100)
        review = Review.get(Review.payment_id == payment.id)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, dashboard, emails["owner"])
        page.goto(f"{dashboard}/reviews")
        card = page.locator(".review", has=page.locator(f'a[href="/dashboard/payments/{review.payment_id}"]'))
        assert "71.00 USD" in card.inner_text() and rule.json()["id"] in card.inner_text()
        assert axe_check(page) == []
        page.evaluate(MASK)
        keep_screenshot(page, "dashboard-reviews.png")
        card.get_by_role("button", name="Approve").click()
        page.wait_for_selector(".flash-success")
        assert Review.get_by_id(review.id).closed_reason == "approved"
    finally:
        requests.delete(f"{stack.api}/radar/rules/{rule.json()['id']}", headers=auth, timeout=10)


class Receiver(http.server.ThreadingHTTPServer):
    """A merchant's webhook endpoint on the loopback: keeps each body, answers 200 ``thanks``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"thanks")

        def log_message(self, *args):
            pass

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)
        self.bodies: list[bytes] = []


def test_a_developer_sends_a_test_webhook_and_reads_its_delivery(context, dashboard, stack, paid):
    emails = people(stack)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, dashboard, emails["owner"])
    with services.serving(Receiver()) as receiver:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks/{time.time_ns()}"
        page.goto(f"{dashboard}/webhook_endpoints")
        assert axe_check(page) == []
        page.fill("#endpoint-url", url)
        page.check('input[name="events"][value="payment.disputed"]')  # none here: the test event only
        page.click('form[action$="/webhook_endpoints"] button[type="submit"]')
        assert page.input_value("#new-secret").startswith("whsec_")
        assert axe_check(page) == []
        page.goto(f"{dashboard}/webhook_endpoints")
        row = page.locator("tr", has_text=url)
        row.get_by_role("button", name="Send test event").click()
        page.wait_for_url(re.compile(r".*/events/evt_\w+$"))
        for _ in range(100):  # the webhooks pool sends it within moments
            if "HTTP 200" in page.content():
                break
            time.sleep(0.2)
            page.reload()
        assert "HTTP 200" in page.content() and "<code>thanks</code>" in page.content()
        assert axe_check(page) == []
        assert [b'"type":"webhook_endpoint.test"' in body for body in receiver.bodies] == [True]

    page.goto(f"{dashboard}/webhook_endpoints")
    page.locator("tr", has_text=url).get_by_role("button", name="Disable").click()
    page.wait_for_selector(".flash-success")
    assert "disabled by the merchant" in page.locator("tr", has_text=url).inner_text()
    assert axe_check(page) == []
    page.locator("tr", has_text=url).get_by_role("button", name="Delete").click()
    page.wait_for_selector(".flash-success")
    for path in (
        "events",
        "audit_events",
        "customers",
        f"customers/{paid.customer}",
        "radar/rules",
        "users",
        "payments/pay_nothing_here",  # the error page
    ):
        page.goto(f"{dashboard}/{path}")
        assert axe_check(page) == [], path


def test_an_analyst_keeps_a_fraud_list(context, dashboard, stack):
    emails = people(stack)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, dashboard, emails["owner"])
    page.goto(f"{dashboard}/radar/rules")
    page.fill("#rule-predicate", ":amount: > 100000")
    page.click('form[action$="/radar/backtest"] button[type="submit"]')
    page.wait_for_selector("#result-title")
    assert axe_check(page) == []  # the backtest
    page.goto(f"{dashboard}/radar/value_lists")
    assert axe_check(page) == []
    alias = f"blocked_{time.time_ns()}"
    page.fill("#list-alias", alias)
    page.select_option("#list-type", "email")
    page.click('form[action$="/radar/value_lists"] button[type="submit"]')
    page.wait_for_selector(".flash-success")
    assert axe_check(page) == []  # the list's page, empty
    page.fill("#item-value", "Mallory@Example.TEST")
    page.click('form[action$="/items"] button[type="submit"]')
    page.wait_for_selector(".flash-success")
    assert page.locator("td.mono", has_text="mallory@example.test").count() == 1
    assert axe_check(page) == []
    page.get_by_role("button", name="Remove mallory@example.test").click()
    page.wait_for_selector(".flash-success")
    page.get_by_role("button", name="Delete list").click()
    page.wait_for_url(f"{dashboard}/radar/value_lists")
    assert f"@{alias}" not in page.content()


def test_an_invited_person_sets_a_password_and_is_signed_in(browser, context, dashboard, stack):
    emails = people(stack)
    page = context.new_page()
    sign_in(page, dashboard, emails["owner"])
    page.goto(f"{dashboard}/users")
    invited = f"invited{time.time_ns()}@example.test"
    page.fill("#invite-email", invited)
    page.select_option("#invite-role", "analyst")
    page.click('form[action$="/users"] button[type="submit"]')
    link = page.input_value("#invitation-link")
    assert axe_check(page) == []

    stranger = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = stranger.new_page()
        page.goto(link)
        assert invited in page.content()
        assert axe_check(page) == []
        page.fill("#name", "Ivy Invited")
        page.fill("#password", "a long and fresh passphrase")
        page.click('button[type="submit"]')
        page.wait_for_url(f"{dashboard}/")
        assert "you joined as analyst" in page.content()
    finally:
        stranger.close()
