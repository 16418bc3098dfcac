"""The dashboard's requests are traced as the API's: a server span per page, its queries under it, and
what the page was asked (a customer's email address) masked in the span."""

import pytest

from dashboard.app import create_app
from shared.broker import build_broker, publisher
from shared.cache import build_cache
from store.outbox import Relay
from store.vault import Vault
from tests.dashboard.conftest import Browser
from tests.support import leakscan
from tests.support.accounts import member

EMAIL = "grace.hopper@example.test"


@pytest.fixture
def traced_dashboard(traced_config, db):
    """The dashboard without the package's worker fleet (pages read here; nothing needs a job run)."""
    return create_app(
        traced_config,
        vault=Vault.from_config(traced_config),
        cache=build_cache(traced_config),
        relay=Relay(publisher(build_broker(traced_config), traced_config.queue_prefix)),  # not started
    )


def test_a_dashboard_page_is_one_trace_with_its_queries_and_no_query_value(
    traced_dashboard, traced_config, exporter, merchant
):
    _, email = member(traced_config, merchant, "viewer")
    browser = Browser(traced_dashboard)
    assert browser.sign_in(email).status_code == 303
    raw = {"RAW_URI": f"/dashboard/payments?email={EMAIL}"}  # what gunicorn passes
    page = browser.get("/dashboard/payments", query_string=f"email={EMAIL}", extras=raw)
    assert page.status_code == 200

    (request,) = [s for s in exporter.get_finished_spans() if s.name == "GET /dashboard/payments"][-1:]
    assert request.attributes["http.target"] == "/dashboard/payments?email=?"
    queries = [
        s
        for s in exporter.get_finished_spans()
        if s.context.trace_id == request.context.trace_id and "db.statement" in (s.attributes or {})
    ]
    assert any('"payment"' in s.attributes["db.statement"] for s in queries)
    assert not [s for s in queries if EMAIL in s.attributes["db.statement"]]
    assert leakscan.scan_spans([request, *queries]) == []
