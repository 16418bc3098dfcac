"""``/dashboard/``: the merchant's figures over a chosen period (``store.stats``): volume, count, success rate
and refunds; authorization rate and latency per gateway; fallbacks and declines by reason; open reviews and
failing webhook endpoints.  The figures are read from hourly rollups (``store.stats`` says how they stay exact
and fast at ten million payments), so a period is whole hours: the last N days up to the end of this hour."""

from dashboard.web import render
from store import stats
from store.models import utcnow

#: The periods offered, in days; the default first.
PERIODS = (7, 1, 30, stats.MAX_DAYS)


class Home:
    """``GET /dashboard/`` (``?days=`` one of ``PERIODS``)."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp):
        viewer = req.context.viewer
        asked = req.get_param("days")
        days = int(asked) if asked and asked.isdigit() and int(asked) in PERIODS else PERIODS[0]
        period = stats.Period.last(days, utcnow())
        merchant, live = viewer.merchant_id, viewer.livemode
        render(
            req,
            resp,
            "home.html",
            days=days,
            periods=sorted(PERIODS),
            volume=stats.volume(merchant, live, period),
            gateways=stats.gateways(merchant, live, period),
            declines=stats.declines(merchant, live, period),
            fallbacks=stats.fallbacks(merchant, live, period),
            reviews=stats.open_reviews(merchant, live) if viewer.may("reviews.read") else None,
            failing=stats.failing_endpoints(merchant, live) if viewer.may("webhook_endpoints.read") else None,
        )
