"""A merchant's figures over a period: what the dashboard's home shows, read from hourly rollups.

The figures come from ``payment_rollup`` and ``attempt_rollup`` (m0031, ``store.rollups``): per merchant,
mode, hour of the payment's ``created_at`` and a few keys (status and currency; gateway, status and decline
reason), kept exact by triggers that write signed deltas in the writer's own transaction, folded in by the
sweeper.  Each query reads the period's rollup rows plus the deltas not folded yet, in one statement: a figure
counts every committed change at once (a refund days later, a capture, a fallback), none twice.  Its cost
follows the period's hours, not its payments: a 90-day period is at most 2,160 hours of a few rows each,
whether the merchant took a thousand payments or ten million: 3.5 to 33 ms a figure on 3 million payments,
where the live aggregate took 0.65 to 36 s (``bench.dashboard``; the README's Dashboard section).

A period is whole hours (``Period.last``).  ``MAX_DAYS`` bounds it.
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import dataclasses
import datetime

from store.models import AttemptRollup, PaymentRollup, Review, WebhookEndpoint
from store.objects import endpoint_object
from store.rollups import totals
from store.states import AttemptStatus, PaymentStatus

MAX_DAYS = 90
DECLINE_REASONS = 8
HOUR = datetime.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Period:
    """``[since, until)`` in UTC, naive, on whole hours (the rollups' grain).

    Raises:
      ValueError: a bound within an hour.
    """

    since: datetime.datetime
    until: datetime.datetime

    def __post_init__(self) -> None:
        for bound in (self.since, self.until):
            if bound != bound.replace(minute=0, second=0, microsecond=0):
                raise ValueError(f"a period starts and ends on whole hours, not {bound}")

    @classmethod
    def last(cls, days: int, now: datetime.datetime) -> Period:
        """The ``days`` days up to the end of ``now``'s hour."""
        until = now.replace(minute=0, second=0, microsecond=0) + HOUR
        return cls(until - datetime.timedelta(days=days), until)


def volume(merchant_id: str, livemode: bool, period: Period) -> dict:
    """``{"count", "succeeded", "failed", "success_rate", "currencies": {cur: {volume, refunded}}}``: the
    period's payments; ``success_rate`` of those settled (succeeded or failed), None before any."""
    rows = totals(
        PaymentRollup,
        ("status", "currency"),
        merchant_id,
        livemode,
        period.since,
        period.until,
        counted="payments",
    )
    counts: dict[str, int] = {}
    currencies: dict[str, dict[str, int]] = {}
    for status, currency, n, captured, refunded in rows:
        counts[status] = counts.get(status, 0) + n
        money = currencies.setdefault(currency, {"volume": 0, "refunded": 0})
        money["volume"] += captured
        money["refunded"] += refunded
    succeeded, failed = counts.get(PaymentStatus.SUCCEEDED, 0), counts.get(PaymentStatus.FAILED, 0)
    settled = succeeded + failed
    return {
        "count": sum(counts.values()),
        "succeeded": succeeded,
        "failed": failed,
        "success_rate": succeeded / settled if settled else None,
        "currencies": dict(sorted(currencies.items())),
    }


def gateways(merchant_id: str, livemode: bool, period: Period) -> list[dict]:
    """Per gateway: ``{gateway, attempts, authorized, declined, authorization_rate, latency_ms}`` of the
    authorizations tried on the period's payments (``latency_ms``: the mean of those timed)."""
    rows = totals(
        AttemptRollup,
        ("gateway", "status"),
        merchant_id,
        livemode,
        period.since,
        period.until,
        counted="attempts",
    )
    found: dict[str, dict] = {}
    for gateway, status, n, latency_total, timed, _ in rows:
        entry = found.setdefault(
            gateway,
            {"gateway": gateway, "attempts": 0, "authorized": 0, "declined": 0, "_ms": 0, "_timed": 0},
        )
        entry["attempts"] += n
        if status == AttemptStatus.SUCCEEDED:
            entry["authorized"] += n
        elif status == AttemptStatus.DECLINED:
            entry["declined"] += n
        entry["_ms"] += latency_total
        entry["_timed"] += timed
    out = []
    for entry in found.values():
        decided = entry["authorized"] + entry["declined"]
        out.append(
            {
                "gateway": entry["gateway"],
                "attempts": entry["attempts"],
                "authorized": entry["authorized"],
                "declined": entry["declined"],
                "authorization_rate": entry["authorized"] / decided if decided else None,
                "latency_ms": round(entry["_ms"] / entry["_timed"]) if entry["_timed"] else None,
            }
        )
    return sorted(out, key=lambda e: e["gateway"])


def declines(merchant_id: str, livemode: bool, period: Period) -> list[tuple[str, str, int]]:
    """The most frequent ``(gateway, reason, count)`` of declined authorizations, most first (then by gateway
    and reason)."""
    rows = totals(
        AttemptRollup,
        ("gateway", "reason"),
        merchant_id,
        livemode,
        period.since,
        period.until,
        where=lambda table: table.status == AttemptStatus.DECLINED,
        counted="attempts",
    )
    ranked = sorted(
        ((gateway, reason, n) for gateway, reason, n, *_ in rows), key=lambda r: (-r[2], r[0], r[1])
    )
    return ranked[:DECLINE_REASONS]


def fallbacks(merchant_id: str, livemode: bool, period: Period) -> int:
    """How many of the period's payments were tried at more than one gateway."""
    ((*_, n),) = totals(AttemptRollup, (), merchant_id, livemode, period.since, period.until)
    return n


def open_reviews(merchant_id: str, livemode: bool) -> int:
    """Reviews waiting for a person, whenever opened."""
    return (
        Review.select()
        .where((Review.merchant_id == merchant_id) & (Review.livemode == livemode) & Review.open)
        .count()
    )


def failing_endpoints(merchant_id: str, livemode: bool) -> list[dict]:
    """Webhook endpoints failing now (a failed attempt since their last success) or disabled."""
    query = WebhookEndpoint.select().where(
        (WebhookEndpoint.merchant_id == merchant_id)
        & (WebhookEndpoint.livemode == livemode)
        & (WebhookEndpoint.failing_since.is_null(False) | (WebhookEndpoint.status != "enabled"))
    )
    return [endpoint_object(e) for e in query.order_by(WebhookEndpoint.created_at)]
