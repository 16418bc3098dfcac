"""The dashboard in a real browser (``paywave dashboard`` beside the browser stack's ingress and workers):
sign in, find a payment by its customer's email, refund part of it and see the refund in the timeline and in
the sandbox's ledger; create an API key and use it with curl; approve a payment a review rule sent to
review; a viewer sees no refund button and a crafted POST from their session is refused and audited; a POST
without its CSRF token is refused.  axe-core (vendored in tests/browser/axe with its licence) checks every
page visited: no serious or critical violation.  The README's screenshots come from here."""

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from shared.net import free_port, wait_http
from store.models import AuditEvent, Refund
from tests.browser.conftest import DOCS
from tests.support import leakscan
from tests.support.accounts import PASSWORD, member
from tests.support.processes import ROOT
from tests.support.sandbox import Sandbox, wait_status

AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "axe", "axe.min.js")
MERCHANT = "acme"  # the demo checkout's (cli.dev.DEV_MERCHANT)
EMAIL = "ada@example.test"
#: What changes from run to run, masked in the screenshots: ids, moments, the test user's random email.
MASK = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    node.textContent = node.textContent
      .replace(/\b(pay|re|evt|cus|att|we|key|rev|rule)_[A-Za-z0-9]{8,}/g, "$1_…")
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, "…")
      .replace(/\bu[0-9a-f]{12}@example\.test/g, "…@example.test");
  }
}"""


@pytest.fixture(scope="module")
def dashboard(stack):
    """``paywave dashboard`` for the stack's configuration; its base URL."""
    port = free_port()
    with leakscan.log_file("dashboard-browser") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "dashboard", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **stack.config.as_environ()},
            start_new_session=True,
            stdout=log,
            stderr=log,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/dashboard/login", proc, timeout=30)
        yield f"http://127.0.0.1:{port}/dashboard"
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture(scope="module")
def paid(stack, mint):
    """A test-mode payment of 25.00 USD by a customer with ``EMAIL``, succeeded at the stripe sandbox."""
    auth = {"Authorization": f"Bearer {mint(MERCHANT, livemode=False)}"}
    customer = requests.post(
        f"{stack.api}/customers", json={"email": EMAIL, "name": "Ada"}, headers=auth, timeout=10
    )
    customer.raise_for_status()
    body = {
        "amount": 2500,
        "currency": "USD",
        "customer": customer.json()["id"],
        "gateway": "stripe",
        "customer_details": {"email": EMAIL},
        "payment_method": {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        },
    }
    created = requests.post(
        f"{stack.api}/payments",
        json=body,
        headers={**auth, "Idempotency-Key": f"dash-{time.time_ns()}"},
        timeout=10,
    )
    created.raise_for_status()
    payment = wait_status(created.json()["id"])
    assert payment.status == "succeeded"
    return payment


def people(stack):
    """An owner and a viewer of the demo merchant: ``{role: email}``."""
    return {role: member(stack.config, MERCHANT, role)[1] for role in ("owner", "viewer")}


def axe_check(page):
    """axe-core on the page as it is: the serious and critical violations (none expected)."""
    with open(AXE) as f:
        page.evaluate(
            f"() => {{ {f.read()}\n window.axe = axe; }}"
        )  # evaluated by the debugger: no CSP applies
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def sign_in(page, base, email, mode="test"):
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.check(f'input[name="mode"][value="{mode}"]')
    assert axe_check(page) == []
    page.click('button[type="submit"]')
    page.wait_for_url(f"{base}/")


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
    page.screenshot(path=os.path.join(DOCS, "dashboard-home.png"), full_page=True)
    page.goto(f"{dashboard}/payments")

    page.fill("#f-email", EMAIL)
    page.click('.filters button[type="submit"]')
    page.wait_for_url(re.compile(r".*email=ada%40example\.test.*"))
    assert axe_check(page) == []
    page.evaluate(MASK)
    page.screenshot(path=os.path.join(DOCS, "dashboard-payments.png"), full_page=True)
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
    assert axe_check(page) == []
    page.evaluate(MASK)
    page.screenshot(path=os.path.join(DOCS, "dashboard-payment.png"), full_page=True)

    moved = [(e["type"], e["amount"]) for e in Sandbox(sandboxes["stripe"]).ledger(paid.id)]
    assert ("refund", 500) in moved


def test_an_api_key_created_here_works_with_curl(context, dashboard, stack):
    emails = people(stack)
    page = context.new_page()
    sign_in(page, dashboard, emails["owner"])
    page.goto(f"{dashboard}/api_keys")
    assert axe_check(page) == []
    page.fill("#key-name", "reporting")
    page.click('form[action$="/api_keys"] button[type="submit"]')
    secret = page.input_value("#new-secret")
    assert secret.startswith("sk_test_")
    assert axe_check(page) == []
    answer = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            f"{stack.api}/payments",
            "-H",
            f"Authorization: Bearer {secret}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert answer.stdout == "200"
    page.reload()
    assert secret not in page.content()  # shown once


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
        body = {
            "amount": 7100,
            "currency": "USD",
            "payment_method": {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
            },
        }
        created = requests.post(
            f"{stack.api}/payments",
            json=body,
            headers={**auth, "Idempotency-Key": f"rev-{time.time_ns()}"},
            timeout=10,
        )
        created.raise_for_status()
        wait_status(created.json()["id"])
        review = Review.get(Review.payment_id == created.json()["id"])
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, dashboard, emails["owner"])
        page.goto(f"{dashboard}/reviews")
        card = page.locator(".review", has=page.locator(f'a[href="/dashboard/payments/{review.payment_id}"]'))
        assert "71.00 USD" in card.inner_text() and rule.json()["id"] in card.inner_text()
        assert axe_check(page) == []
        page.evaluate(MASK)
        page.screenshot(path=os.path.join(DOCS, "dashboard-reviews.png"), full_page=True)
        card.get_by_role("button", name="Approve").click()
        page.wait_for_selector(".flash-success")
        assert Review.get_by_id(review.id).closed_reason == "approved"
    finally:
        requests.delete(f"{stack.api}/radar/rules/{rule.json()['id']}", headers=auth, timeout=10)
