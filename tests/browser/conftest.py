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

import dataclasses
import os
import shutil

import orjson
import pytest

from cli.dev import demo_checkout, start_mail_catcher
from shared.net import free_port
from tests.support import leakscan, services
from tests.support.processes import WorkerProcess, start_ingress

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
        """Into docs/ (the README shows it): regenerated by each run, the payment's id shown as ``pay_…`` so
        that a run changes the file only when the page changed."""
        self.page.evaluate(
            """() => {
              const detail = document.getElementById("status-detail");
              if (detail) detail.textContent = detail.textContent.replace(/pay_[A-Za-z0-9]+/g, "pay_…");
            }"""
        )
        self.page.screenshot(path=os.path.join(DOCS, name), full_page=True)


@pytest.fixture
def checkout(browser, stack):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    try:
        yield Checkout(context.new_page(), stack).open()
    finally:
        context.close()
