"""The dashboard's figures computed live from the period's payments and attempts: the queries ``store.stats``
ran before the rollups (m0031), kept as the oracle of its tests and the baseline of ``bench.dashboard``.

One change from those: a gateway's mean latency is over its timed authorizations (``SUM / COUNT`` of
``latency_ms``), as the rollups count it; the old query weighted each status's mean by its untimed ones too.
Declines of equal counts are ordered by gateway and reason (the old query left them unordered).
"""

import peewee

from store import stats
from store.models import Attempt, Payment

PAYMENT_OPERATIONS = ("authorize", "charge")


def _payments(merchant_id, livemode, period):
    return (
        (Payment.merchant_id == merchant_id)
        & (Payment.livemode == livemode)
        & (Payment.created_at >= period.since)
        & (Payment.created_at < period.until)
    )


def _attempts(merchant_id, livemode, period):
    return (
        Attempt.select()
        .join(Payment, on=(Attempt.payment_id == Payment.id))
        .where(_payments(merchant_id, livemode, period) & Attempt.operation.in_(PAYMENT_OPERATIONS))
    )


def live_volume(merchant_id, livemode, period):
    query = (
        Payment.select(
            Payment.status,
            Payment.currency,
            peewee.fn.COUNT(Payment.id),
            peewee.fn.SUM(Payment.amount_captured),
            peewee.fn.SUM(Payment.amount_refunded),
        )
        .where(_payments(merchant_id, livemode, period))
        .group_by(Payment.status, Payment.currency)
    )
    counts, currencies = {}, {}
    for status, currency, n, captured, refunded in query.tuples():
        counts[status] = counts.get(status, 0) + n
        money = currencies.setdefault(currency, {"volume": 0, "refunded": 0})
        money["volume"] += int(captured)
        money["refunded"] += int(refunded)
    succeeded, failed = counts.get("succeeded", 0), counts.get("failed", 0)
    return {
        "count": sum(counts.values()),
        "succeeded": succeeded,
        "failed": failed,
        "success_rate": succeeded / (succeeded + failed) if succeeded + failed else None,
        "currencies": dict(sorted(currencies.items())),
    }


def live_gateways(merchant_id, livemode, period):
    query = _attempts(merchant_id, livemode, period).select(
        Attempt.gateway,
        peewee.fn.COUNT(Attempt.id),
        peewee.fn.SUM(peewee.Case(None, [(Attempt.status == "succeeded", 1)], 0)),
        peewee.fn.SUM(peewee.Case(None, [(Attempt.status == "declined", 1)], 0)),
        peewee.fn.SUM(Attempt.latency_ms),
        peewee.fn.COUNT(Attempt.latency_ms),
    )
    out = []
    for gateway, n, authorized, declined, total, timed in query.group_by(Attempt.gateway).tuples():
        authorized, declined = int(authorized), int(declined)
        out.append(
            {
                "gateway": gateway,
                "attempts": n,
                "authorized": authorized,
                "declined": declined,
                "authorization_rate": authorized / (authorized + declined) if authorized + declined else None,
                "latency_ms": round(int(total) / timed) if timed else None,
            }
        )
    return sorted(out, key=lambda e: e["gateway"])


def live_declines(merchant_id, livemode, period):
    reason = peewee.fn.COALESCE(Attempt.error_code, "unknown")
    query = (
        _attempts(merchant_id, livemode, period)
        .select(Attempt.gateway, reason, peewee.fn.COUNT(Attempt.id))
        .where(Attempt.status == "declined")
        .group_by(Attempt.gateway, reason)
    )
    return sorted(query.tuples(), key=lambda r: (-r[2], r[0], r[1]))[: stats.DECLINE_REASONS]


def live_fallbacks(merchant_id, livemode, period):
    return (
        _attempts(merchant_id, livemode, period)
        .select(Attempt.payment_id)
        .group_by(Attempt.payment_id)
        .having(peewee.fn.COUNT(Attempt.gateway.distinct()) > 1)
        .count()
    )


FIGURES = (
    (stats.volume, live_volume),
    (stats.gateways, live_gateways),
    (stats.declines, live_declines),
    (stats.fallbacks, live_fallbacks),
)
