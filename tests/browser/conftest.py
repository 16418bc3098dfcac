"""Browser tests: Debian's headless Chromium (``/usr/bin/chromium``, never a browser Playwright downloads)
driven by Playwright, against a whole stack started as processes: the ingress with its demo checkout on,
the worker pools, both sandboxes and an SMTP catcher for payer notifications (as ``paywave dev`` runs them),
in a database of its own.  One stack for the package.

Without Chromium (or Playwright) the tests skip, saying so; with ``CI=true`` they fail instead (``.ci/run``
installs the browser).

``checkout`` opens the demo checkout and drives it as a customer: what a test of another flow needs is a
few lines (``checkout.pay_with_card("4000002500003155")``, ``checkout.act("Complete")``,
``checkout.status("succeeded")``).
"""

import base64
import dataclasses
import os
import shutil
import subprocess
import sys
import time

import orjson
import pytest
import requests

from cli.dev import demo_checkout, start_mail_catcher
from shared.net import free_port, wait_http
from tests.support import leakscan, services
from tests.support.accounts import PASSWORD, member
from tests.support.processes import ROOT, WorkerProcess, start_ingress
from tests.support.sandbox import wait_status

CHROMIUM = os.environ.get("PAYWAVE_TEST_CHROMIUM", "/usr/bin/chromium")
DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs")
LOG = "ingress-browser"
#: Pools the payments of the demo need, webhooks for the dashboard's test event, notifications for the
#: payer's receipts in a payment's timeline.
POOLS = ("stripe", "paypal", "fallback", "ops", "webhooks", "notifications")


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs Chromium)", pytrace=False)
    pytest.skip(f"{reason}: install it (apt-get install chromium) to run the browser tests")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium, for the session."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclasses.dataclass(frozen=True)
class Stack:
    """The running stack: ``api`` is PayWave's public URL, ``shop`` the demo checkout's page."""

    config: object
    api: str
    shop: str

    def log(self) -> list[dict]:
        """The ingress's JSON log lines so far."""
        with leakscan.log_file(LOG, "rb") as f:
            return [orjson.loads(line) for line in f if line.startswith(b"{")]

    def log_text(self) -> str:
        with leakscan.log_file(LOG, "rb") as f:
            return f.read().decode(errors="replace")


@pytest.fixture(scope="package")
def stack(browser, config, service_urls, sandboxes, tmp_path_factory):
    port = free_port()
    with services.own_run(
        config,
        service_urls["postgres"],
        "web",
        stripe_api_base=sandboxes["stripe"],
        paypal_api_base=sandboxes["paypal"],
        public_url=f"http://127.0.0.1:{port}",
        web_workers=1,
    ) as cfg:
        cfg = demo_checkout(cfg)  # as `paywave dev` does: the demo's keys and allowed origin
        # the dashboard's test webhook goes to a receiver on the loopback
        cfg = dataclasses.replace(cfg, webhook_allow_http=True, webhook_allowed_hosts=("127.0.0.1/32",))
        # the receipts go to a catcher in this process, kept in a Maildir of the run's own
        mail_dir = str(tmp_path_factory.mktemp("mail") / "Maildir")  # new: the catcher makes it a Maildir
        cfg, catcher = start_mail_catcher(dataclasses.replace(cfg, smtp_url="", dev_mail_dir=mail_dir))
        workers = [WorkerProcess(cfg, pool) for pool in POOLS]
        ingress, api = start_ingress(cfg, port, LOG)
        try:
            yield Stack(cfg, api, f"http://localhost:{port}/checkout/demo")
        finally:
            ingress.terminate()
            ingress.wait(15)
            for worker in workers:
                worker.stop()
            catcher.stop()


class Checkout:
    """The demo checkout in one browser page, driven as a customer does."""

    def __init__(self, page, stack):
        self.page = page
        self.stack = stack
        self.fields = page.frame_locator("#card-fields iframe")

    def open(self):
        self.page.goto(self.stack.shop)
        self.fields.locator("#number").wait_for()
        return self

    def fill_card(self, number, expiry="1234", cvc="123"):
        """Type the card as a person does (digits only: the fields add the spaces and the slash)."""
        self.fields.locator("#number").press_sequentially(number.replace(" ", ""))
        self.fields.locator("#expiry").press_sequentially(expiry)
        self.fields.locator("#cvc").press_sequentially(cvc)

    def pay_with_card(self, number, expiry="1234", cvc="123"):
        self.fill_card(number, expiry, cvc)
        self.page.click("#pay")

    def pay_with_paypal(self):
        self.page.click("#paypal")

    def act(self, button, screenshot=None):
        """On the page the payment sent the customer to (3-D Secure challenge, PayPal approval), press
        ``button`` ("Complete", "Fail"; PayPal's "Pay Now", "Cancel") and come back to the checkout;
        ``screenshot``: a file name in docs/ for that page first."""
        self.page.wait_for_url(lambda url: not url.startswith(self.stack.shop))
        if screenshot:
            self.screenshot(screenshot)
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_url(lambda url: url.startswith(self.stack.shop))

    def status(self, state, timeout=30_000):
        """``(title, detail)`` of the status box once it shows ``state`` (succeeded, failed, canceled)."""
        self.page.wait_for_selector(f'#status[data-state="{state}"]', timeout=timeout)
        return self.page.inner_text("#status-title"), self.page.inner_text("#status-detail")

    def screenshot(self, name):
        """Into docs/ (the README shows it) when the page changed (``keep_screenshot``), the payment's id
        shown as ``pay_…``."""
        self.page.evaluate(
            """() => {
              const detail = document.getElementById("status-detail");
              if (detail) detail.textContent = detail.textContent.replace(/pay_[A-Za-z0-9]+/g, "pay_…");
            }"""
        )
        keep_screenshot(self.page, name)


#: Two pixels differ when a colour channel differs by more than this (0-255): two runs of an unchanged page
#: differ by 2 at most (font smoothing), a changed glyph by 100 and more.
PIXEL_TOLERANCE = 32
#: More differing pixels than this is a change of the page: at the dashboard's 15 px a digit changed is ~50,
#: a comma for a full stop 5.
PIXELS_CHANGED = 3
#: In a blank page (no CSP): how many pixels of two PNGs differ, or -1 when their sizes differ.
DIFFERENCE = """async ([old, now, tolerance]) => {
  const load = async (b64) => createImageBitmap(await (await fetch("data:image/png;base64," + b64)).blob());
  const [a, b] = [await load(old), await load(now)];
  if (a.width !== b.width || a.height !== b.height) return -1;
  const pixels = (image) => {
    const canvas = new OffscreenCanvas(image.width, image.height), context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    return context.getImageData(0, 0, image.width, image.height).data;
  };
  const [p, q] = [pixels(a), pixels(b)];
  let differ = 0;
  for (let i = 0; i < p.length; i += 4) {
    const channels = [0, 1, 2].map((c) => Math.abs(p[i + c] - q[i + c]));
    if (Math.max(...channels) > tolerance) differ++;
  }
  return differ;
}"""


def pixels_differing(browser, old: bytes, new: bytes) -> int:
    """How many pixels of PNG ``new`` differ from ``old`` beyond ``PIXEL_TOLERANCE`` (-1: another size),
    counted by Chromium itself: no image library needed."""
    blank = browser.new_page()
    try:
        args = [base64.b64encode(old).decode(), base64.b64encode(new).decode(), PIXEL_TOLERANCE]
        return blank.evaluate(DIFFERENCE, args)
    finally:
        blank.close()


def keep_screenshot(page, name) -> bool:
    """The page (whole, as it is now) as docs/``name``, the README's picture of it, when it differs from the
    file there by more than font smoothing: every run takes it, so the picture stays true, and only a change
    of the page rewrites the file (a run leaves the tree clean).  The pictures are of ``make test``'s run:
    the whole package in order (the home page counts the demo checkout's payments too); a part of it run
    alone may draw other figures (``git checkout docs/`` puts them back).  Returns whether it wrote."""
    path = os.path.join(DOCS, name)
    new = page.screenshot(full_page=True)
    if os.path.exists(path):
        with open(path, "rb") as f:
            if 0 <= pixels_differing(page.context.browser, f.read(), new) <= PIXELS_CHANGED:
                return False
    with open(path, "wb") as f:
        f.write(new)
    return True


@pytest.fixture
def checkout(browser, stack):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        yield Checkout(context.new_page(), stack).open()
    finally:
        context.close()


# --- the dashboard ------------------------------------------------------------

AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "axe", "axe.min.js")
MERCHANT = "acme"  # the demo checkout's (cli.dev.DEV_MERCHANT)
EMAIL = "ada@example.test"
#: What changes from run to run, masked in the screenshots: ids, moments, measured latencies, the test
#: user's random email.
MASK = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    node.textContent = node.textContent
      .replace(/\b(pay|re|evt|cus|att|we|key|rev|rule)_[A-Za-z0-9]{8,}/g, "$1_…")
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, "…")
      .replace(/\b\d+ ms\b/g, "… ms")
      .replace(/\bu[0-9a-f]{12}@example\.test/g, "…@example.test");
  }
}"""


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def paid(stack, mint):
    """A test-mode payment of 25.00 USD by a customer with ``EMAIL``, succeeded at the stripe sandbox."""
    auth = {"Authorization": f"Bearer {mint(MERCHANT, livemode=False)}"}
    customer = requests.post(
        f"{stack.api}/customers", json={"email": EMAIL, "name": "Ada"}, headers=auth, timeout=10
    )
    customer.raise_for_status()
    customer_fields = {"customer": customer.json()["id"], "customer_details": {"email": EMAIL}}
    payment = pay(stack, auth, 2500, gateway="stripe", **customer_fields)
    assert payment.status == "succeeded"
    return payment


def pay(stack, auth, amount, **fields):
    """A card payment of ``amount`` cents of USD through the API, once the workers have finished with it
    (``store.models.Payment``)."""
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    created = requests.post(
        f"{stack.api}/payments",
        json={
            "amount": amount,
            "currency": "USD",
            "payment_method": {"type": "card", "card": card},
            **fields,
        },
        headers={**auth, "Idempotency-Key": f"dash-{time.time_ns()}"},
        timeout=10,
    )
    created.raise_for_status()
    return wait_status(created.json()["id"])


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
