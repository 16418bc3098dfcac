"""Every page of the dashboard, found in its router, at a phone's width and a laptop's: nothing wider than
the screen (a table scrolls in its own container), every form control labelled, every form posting its CSRF
token, the stylesheet applied, axe-core without a serious or critical violation.  The same for the error
pages, the sign-in and invitation pages, and the empty state of every list of a merchant with no data."""

import pytest
import requests

from shared.radar.decide import BUILTINS
from store import users
from store.models import Event
from tests.browser.conftest import MERCHANT, axe_check, sign_in
from tests.support.accounts import member
from tests.support.dashboard import routes

WIDTHS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}
#: What the router answers that is no page: the probes' text, the CSV export; and the pages of people not
#: signed in, walked apart.
NOT_WALKED = {
    "/dashboard/healthz",
    "/dashboard/payments/export",
    "/dashboard/login",
    "/dashboard/invitations/accept",
}
#: The lists a merchant without data sees, each with its empty state.
LISTS = ("payments", "customers", "reviews", "api_keys", "webhook_endpoints", "events", "radar/value_lists")
#: What a page must satisfy, measured in the page: its width, unlabelled controls, forms without a token.
INSPECT = """() => {
  const root = document.documentElement;
  const labelled = (el) =>
    el.labels.length > 0 || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
  return {
    width: Math.max(root.scrollWidth, document.body.scrollWidth),
    unlabelled: [...document.querySelectorAll("input, select, textarea")]
      .filter((el) => el.type !== "hidden" && !labelled(el)).map((el) => el.outerHTML.slice(0, 100)),
    tokenless: [...document.querySelectorAll("form")]
      .filter((f) => f.method === "post" && !f.querySelector('input[name="csrf_token"]'))
      .map((f) => f.action),
    styled: [...document.styleSheets].some((s) => (s.href || "").endsWith("/dashboard/static/dashboard.css")
      && s.cssRules.length > 0),
    empty: document.querySelector(".empty") !== null,
    error: document.querySelector(".error-page") !== null,
  };
}"""


def inspect(page, url: str, width: int) -> dict:
    """Open ``url``; what ``INSPECT`` finds there, with the answer's status, having checked what every page
    must satisfy."""
    answer = page.goto(url)
    found = {**page.evaluate(INSPECT), "status": answer.status}
    assert found["width"] <= width, (url, found["width"])
    assert found["unlabelled"] == [] and found["tokenless"] == [] and found["styled"], (url, found)
    assert axe_check(page) == [], url
    return found


def examples(stack, mint, paid, width: int) -> dict[str, str]:
    """A value for each field of the pages' templates: the paid payment's, a new value list, a built-in
    rule."""
    created = requests.post(
        f"{stack.api}/radar/value_lists",
        json={"alias": f"walked_{width}_{paid.id[-6:]}", "item_type": "email", "name": "Walked"},
        headers={"Authorization": f"Bearer {mint(MERCHANT, livemode=False)}"},
        timeout=10,
    )
    created.raise_for_status()
    return {
        "payment_id": paid.id,
        "customer_id": paid.customer,
        "event_id": Event.select().where(Event.payment_id == paid.id).order_by(Event.created_at).first().id,
        "list_id": created.json()["id"],
        "rule_id": BUILTINS[0].id,
    }


@pytest.fixture(params=WIDTHS, ids=str)
def screen(request, browser):
    """A browser context of the width named: ``(context, width)``."""
    size = WIDTHS[request.param]
    phone = request.param == "phone"
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
    yield context, size["width"]
    context.close()


def test_every_page_fits_is_labelled_and_accessible(screen, dashboard, stack, mint, paid):
    context, width = screen
    values = examples(stack, mint, paid, width)
    owner = member(stack.config, MERCHANT, "owner")[1]
    page = context.new_page()
    sign_in(page, dashboard, owner)
    pages = [r for r in routes() if "GET" in r.methods and r.template not in NOT_WALKED]
    assert len(pages) > 15
    for route in pages:
        url = dashboard.removesuffix("/dashboard") + route.path(**values)
        assert inspect(page, url, width)["status"] == 200, url


def test_error_pages_are_the_dashboards_own(screen, dashboard, stack):
    context, width = screen
    page = context.new_page()
    sign_in(page, dashboard, member(stack.config, MERCHANT, "analyst")[1])
    for path, status in (
        ("nowhere", 404),
        ("payments/pay_nothing_here", 404),
        ("users", 403),  # not an analyst's
        ("payments/export?card_last4=12", 400),  # a search the export refuses
    ):
        found = inspect(page, f"{dashboard}/{path}", width)
        assert (found["status"], found["error"]) == (status, True), path


def test_the_sign_in_and_invitation_pages(screen, dashboard, stack):
    context, width = screen
    page = context.new_page()
    assert inspect(page, f"{dashboard}/login", width)["status"] == 200
    invitation = users.invite(MERCHANT, f"walk{width}@example.test", "viewer", 1)
    invited = inspect(page, f"{dashboard}/invitations/accept?token={invitation['token']}", width)
    assert invited["status"] == 200
    unknown = inspect(page, f"{dashboard}/invitations/accept?token=nothing", width)
    assert unknown["status"] == 404


def test_a_merchant_without_data_sees_an_empty_state_on_every_list(screen, dashboard, stack, merchant):
    context, width = screen
    page = context.new_page()
    sign_in(page, dashboard, member(stack.config, merchant, "owner")[1])
    for path in LISTS:
        found = inspect(page, f"{dashboard}/{path}", width)
        assert (found["status"], found["empty"]) == (200, True), path
