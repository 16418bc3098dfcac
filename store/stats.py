"""A merchant's figures over a period, aggregated by the database: what the dashboard's home shows.

Every query starts from the payments the merchant created in the period in one mode, found through the
payment indexes on ``(merchant_id, [livemode,] …, created_at)``; attempts join by their ``UNIQUE (payment_id,
number)``.  So a query reads the period's payments and their attempts, never the rest of the history: the
table's size does not matter, the period's volume does.  Measured on 4.9 million payments (the history
seed of ``tests/support/history.py``), for a merchant with 100,000 payments and attempts in the period: 0.08
to 0.6 s per query on a quiet 2-core machine, up to 3 s under a load average of 10.  That is fine for most
merchants; for one with more than about 100,000 payments a period, the next step is daily rollup
tables (per merchant, mode, day, gateway, status) filled by a worker, which this module would read instead
(not built).
The period is bounded (``MAX_DAYS``).
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable
from typing import Any, cast

import peewee

from store.attempts import PAYMENT_OPERATIONS
from store.models import Attempt, Payment, Review, WebhookEndpoint
from store.objects import endpoint_object
from store.states import AttemptStatus, PaymentStatus

MAX_DAYS = 90
DECLINE_REASONS = 8


@dataclasses.dataclass(frozen=True)
class Period:
    """``[since, until)`` in UTC, naive."""

    since: datetime.datetime
    until: datetime.datetime


def _payments(merchant_id: str, livemode: bool, period: Period) -> peewee.Expression:
    return (
        (Payment.merchant_id == merchant_id)
        & (Payment.created_at >= period.since)
        & (Payment.created_at < period.until)
        & (Payment.livemode == livemode)
    )


def volume(merchant_id: str, livemode: bool, period: Period) -> dict:
    """``{"count", "succeeded", "failed", "success_rate", "currencies": {cur: {volume, refunded}}}``: the
    period's payments; ``success_rate`` of those settled (succeeded or failed), None before any."""
    rows = _rows(
        Payment.select(
            Payment.status,
            Payment.currency,
            peewee.fn.COUNT(Payment.id).alias("n"),
            peewee.fn.SUM(Payment.amount_captured).alias("captured"),
            peewee.fn.SUM(Payment.amount_refunded).alias("refunded"),
        )
        .where(_payments(merchant_id, livemode, period))
        .group_by(Payment.status, Payment.currency)
    )
    counts: dict[str, int] = {}
    currencies: dict[str, dict[str, int]] = {}
    for status, currency, n, captured, refunded in rows:
        counts[status] = counts.get(status, 0) + n
        money = currencies.setdefault(currency, {"volume": 0, "refunded": 0})
        money["volume"] += int(captured or 0)
        money["refunded"] += int(refunded or 0)
    succeeded, failed = counts.get(PaymentStatus.SUCCEEDED, 0), counts.get(PaymentStatus.FAILED, 0)
    settled = succeeded + failed
    return {
        "count": sum(counts.values()),
        "succeeded": succeeded,
        "failed": failed,
        "success_rate": succeeded / settled if settled else None,
        "currencies": dict(sorted(currencies.items())),
    }


def _rows(query: peewee.ModelSelect[Any]) -> Iterable[tuple[Any, ...]]:
    """The query's rows as tuples (peewee's stubs type them as models)."""
    return cast("Iterable[tuple[Any, ...]]", query.tuples())


def _attempts(merchant_id: str, livemode: bool, period: Period) -> peewee.ModelSelect[Attempt]:
    return (
        Attempt.select()
        .join(Payment, on=(Attempt.payment_id == Payment.id))
        .where(_payments(merchant_id, livemode, period) & Attempt.operation.in_(PAYMENT_OPERATIONS))
    )


def gateways(merchant_id: str, livemode: bool, period: Period) -> list[dict]:
    """Per gateway: ``{gateway, attempts, authorized, declined, authorization_rate, latency_ms}`` of the
    authorizations tried on the period's payments (``latency_ms``: their mean)."""
    rows = _rows(
        _attempts(merchant_id, livemode, period)
        .select(
            Attempt.gateway,
            Attempt.status,
            peewee.fn.COUNT(Attempt.id),
            peewee.fn.AVG(Attempt.latency_ms),
        )
        .group_by(Attempt.gateway, Attempt.status)
    )
    found: dict[str, dict] = {}
    for gateway, status, n, latency in rows:
        entry = found.setdefault(
            gateway,
            {"gateway": gateway, "attempts": 0, "authorized": 0, "declined": 0, "_ms": 0.0, "_timed": 0},
        )
        entry["attempts"] += n
        if status == AttemptStatus.SUCCEEDED:
            entry["authorized"] += n
        elif status == AttemptStatus.DECLINED:
            entry["declined"] += n
        if latency is not None:
            entry["_ms"] += float(latency) * n
            entry["_timed"] += n
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
    """The most frequent ``(gateway, reason, count)`` of declined authorizations, most first."""
    count = peewee.fn.COUNT(Attempt.id)
    query = (
        _attempts(merchant_id, livemode, period)
        .select(Attempt.gateway, peewee.fn.COALESCE(Attempt.error_code, "unknown"), count)
        .where(Attempt.status == AttemptStatus.DECLINED)
        .group_by(Attempt.gateway, peewee.fn.COALESCE(Attempt.error_code, "unknown"))
        .order_by(count.desc())
        .limit(DECLINE_REASONS)
    )
    return [(gateway, reason, n) for gateway, reason, n in _rows(query)]


def fallbacks(merchant_id: str, livemode: bool, period: Period) -> int:
    """How many of the period's payments were tried at more than one gateway."""
    spread = (
        _attempts(merchant_id, livemode, period)
        .select(Attempt.payment_id)
        .group_by(Attempt.payment_id)
        .having(peewee.fn.COUNT(Attempt.gateway.distinct()) > 1)
    )
    return spread.count()


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
