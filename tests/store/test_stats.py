"""The dashboard's figures (``store.stats``) read from the rollups equal the live aggregates of the payments
and attempts (the queries the rollups replaced, kept as the oracle: ``tests.support.live_stats``), before and
after folding, whatever happened to the payments: created, authorized, declined and tried at the next
gateway, captured, refunded in parts, canceled, redacted, backdated, an attempt moved to another gateway or
deleted."""

import datetime
import random

import peewee
import pytest

from store import attempts, payments, rollups, stats
from store.db import database, open_database
from store.migrate import migrate
from store.models import Attempt, AttemptRollupDelta, Payment, PaymentRollupDelta, Refund, utcnow
from store.unit import Unit
from tests.support.live_stats import FIGURES

ROUTED = ("stripe", "paypal")
GATEWAYS = (*ROUTED, "adyen")  # an attempt moved by hand may name any
REASONS = ("card_declined", "insufficient_funds", "do_not_honor", None)


def check(merchants, now):
    """Every figure of every merchant and mode over several periods equals the oracle's."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    periods = [stats.Period.last(days, now) for days in (1, 7, 30, 90)]
    periods += [stats.Period(hour - datetime.timedelta(hours=5), hour + stats.HOUR)]
    periods += [stats.Period(hour - datetime.timedelta(days=40), hour - datetime.timedelta(days=3))]
    for merchant_id in merchants:
        for livemode in (True, False):
            for period in periods:
                for read, oracle in FIGURES:
                    found, expected = (
                        read(merchant_id, livemode, period),
                        oracle(merchant_id, livemode, period),
                    )
                    assert found == expected, (read.__name__, merchant_id, livemode, period)


# --- the driver: what the API and the workers do, through the same store functions ------------------------


class Driver:
    def __init__(self, merchants, rng):
        self.merchants, self.rng = merchants, rng
        self.ids: list[str] = []

    def pick(self, *statuses):
        found = [p for p in Payment.select().where(Payment.id.in_(self.ids)) if p.status in statuses]
        return self.rng.choice(found) if found else None

    def create(self):
        fields = dict(
            amount=self.rng.randrange(100, 100_000),
            currency=self.rng.choice(("USD", "USD", "EUR")),
            capture=self.rng.choice(("automatic", "manual")),
            route=",".join(self.rng.sample(ROUTED, self.rng.randrange(1, 3))),
            gateway_preference=None,
            description=None,
            metadata={},
            customer=None,
            customer_details={"email": "payer@example.com"},
        )
        merchant_id, livemode = self.rng.choice(self.merchants), self.rng.random() < 0.7
        payment, _ = payments.create(merchant_id, fields, lambda pid: {"method": "card"}, livemode=livemode)
        self.ids.append(payment.id)

    def authorize(self):
        found = self.pick("pending")
        if found is None:
            return
        with Unit(batched=True):
            payment, history = attempts.lock_with_attempts(found.id)
            gateway = payment.route.split(",")[0]
            attempts.start_attempt(
                payment, gateway, self.rng.choice(attempts.PAYMENT_OPERATIONS), attempts=history
            )
            attempts.save(payment, status="processing", gateway=gateway, attempts=history)

    def finish(self):
        """The gateway's answer to the current authorization: approved, declined (then the route's next
        gateway, or failed), an error (tried again at the same gateway) or not known (no latency)."""
        found = self.pick("processing")
        if found is None:
            return
        with Unit(batched=True):
            payment, history = attempts.lock_with_attempts(found.id)
            attempt = history[-1]
            outcome = self.rng.choice(("approved", "declined", "declined", "error", "unknown"))
            if outcome == "unknown":
                attempt.status, attempt.latency_ms = "unknown", None
                attempts.save(payment, attempt=attempt, attempts=history)
                return
            if outcome == "error":
                attempt.status, attempt.latency_ms, attempt.error_code = "error", 30_000, "timeout"
                attempts.save(payment, attempt=attempt, attempts=history)
                attempts.start_attempt(payment, attempt.gateway, attempt.operation, attempts=history)
                return
            attempt.latency_ms = self.rng.randrange(20, 900)
            if outcome == "approved":
                attempt.status = "succeeded"
                manual = payment.capture == "manual"
                attempts.save(
                    payment,
                    status="requires_capture" if manual else "succeeded",
                    attempt=attempt,
                    attempts=history,
                    amount_captured=0 if manual else payment.amount,
                )
                return
            attempt.status, attempt.error_code = "declined", self.rng.choice(REASONS)
            route = payment.route.split(",")
            following = route[route.index(payment.gateway) + 1 :]
            if following:
                attempts.save(payment, attempt=attempt, attempts=history, gateway=following[0])
                attempts.start_attempt(payment, following[0], attempt.operation, attempts=history)
            else:
                attempts.save(payment, status="failed", attempt=attempt, attempts=history)

    def capture(self):
        found = self.pick("requires_capture")
        if found is None or found.pending_operation:
            return
        payments.request_capture(
            found.merchant_id, found.id, self.rng.randrange(1, found.amount + 1), livemode=found.livemode
        )
        with Unit():
            payment = attempts.lock(found.id)
            attempt = attempts.start_attempt(payment, payment.gateway, "capture", payment.amount_to_capture)
            attempt.status = "succeeded"
            attempts.save(
                payment,
                status="succeeded",
                attempt=attempt,
                amount_captured=payment.amount_to_capture,
                pending_operation=None,
                amount_to_capture=None,
            )

    def cancel(self):
        found = self.pick("pending", "requires_capture")
        if found is None or found.pending_operation:
            return
        payments.cancel(found.merchant_id, found.id, livemode=found.livemode)
        if found.status == "requires_capture":  # the void, as the worker records it
            with Unit():
                payment = attempts.lock(found.id)
                attempts.save(payment, status="canceled", pending_operation=None)

    def refund(self):
        found = self.pick("succeeded")
        if found is None or found.amount_refunded >= found.amount_captured:
            return
        available = found.amount_captured - found.amount_refunded
        refund, _ = payments.create_refund(
            found.merchant_id, found.id, self.rng.randrange(1, available + 1), livemode=found.livemode
        )
        with Unit():  # the refund worker's success
            refund = attempts.lock_refund(refund.id)
            payment = attempts.lock(found.id)
            refund.status = "succeeded"
            refund.save()
            attempts.save(payment, amount_refunded=payment.amount_refunded + refund.amount)

    def redact(self):
        found = self.pick("succeeded", "failed", "canceled")
        if found is not None:
            payments.redact(found.merchant_id, found.id, livemode=found.livemode)

    def backdate(self):
        """Rows written by another means (a data fix, an import): the figures follow them too."""
        if self.ids:
            hours = self.rng.choice((1, 30, 24 * 20, 24 * 60, 24 * 120))
            found = Payment.get_by_id(self.rng.choice(self.ids))
            earlier = found.created_at - datetime.timedelta(hours=hours)
            Payment.update(created_at=earlier).where(Payment.id == found.id).execute()

    def move_attempt(self):
        found = Attempt.select().where(Attempt.payment_id.in_(self.ids)).order_by(peewee.fn.random()).first()
        if found is not None:
            Attempt.update(gateway=self.rng.choice(GATEWAYS)).where(Attempt.id == found.id).execute()

    def delete_attempt(self):
        found = (
            Attempt.select()
            .where(Attempt.payment_id.in_(self.ids) & (Attempt.operation != "capture"))
            .order_by(peewee.fn.random())
            .first()
        )
        if found is not None and self.rng.random() < 0.3:
            Attempt.delete_by_id(found.id)

    def delete_payment(self):
        """A payment with no attempt nor refund (the foreign keys keep the others)."""
        for pid in self.ids:
            tried = Attempt.select().where(Attempt.payment_id == pid).exists()
            if not tried and not Refund.select().where(Refund.payment_id == pid).exists():
                Payment.delete_by_id(pid)
                self.ids.remove(pid)
                return


def fold():
    with database.atomic():
        return rollups.fold()


@pytest.fixture(params=["postgres", "sqlite"])
def backend(request, tmp_path, database_url):
    """This run's Postgres database, or a new SQLite one (development's: its own triggers)."""
    if request.param == "postgres":
        database.connect(reuse_if_open=True)
        yield
        return
    db = open_database(f"sqlite:///{tmp_path}/paywave.db")
    try:
        migrate()
        yield
    finally:
        db.close()
        open_database(database_url)


def test_every_figure_equals_the_live_aggregate_through_random_changes(backend):
    rng = random.Random(18)
    merchants = ["m_stats_" + str(rng.randrange(10**9)) for _ in range(2)]
    driver = Driver(merchants, rng)
    steps = [
        (driver.create, 6),
        (driver.authorize, 5),
        (driver.finish, 6),
        (driver.capture, 2),
        (driver.cancel, 1),
        (driver.refund, 3),
        (driver.redact, 1),
        (driver.backdate, 2),
        (driver.move_attempt, 2),
        (driver.delete_attempt, 1),
        (driver.delete_payment, 1),
    ]
    actions = [action for action, weight in steps for _ in range(weight)]
    for round_ in range(12):
        for _ in range(25):
            rng.choice(actions)()
        check(merchants, utcnow())  # deltas not folded yet
        if round_ % 3 != 2:
            fold()
            check(merchants, utcnow())
    assert fold() >= 0
    assert not PaymentRollupDelta.select().exists() and not AttemptRollupDelta.select().exists()
    check(merchants, utcnow())
    assert stats.volume(merchants[0], True, stats.Period.last(90, utcnow()))["count"] > 0


def test_a_period_is_whole_hours():
    now = datetime.datetime(2026, 3, 1, 10, 17, 5)
    assert stats.Period.last(7, now) == stats.Period(
        datetime.datetime(2026, 2, 22, 11), datetime.datetime(2026, 3, 1, 11)
    )
    with pytest.raises(ValueError, match="whole hours"):
        stats.Period(now, now + stats.HOUR)
