"""Chaos under load: a steady stream of new payments while something breaks, then the
sandboxes' ledgers reconciled with what PayWave says happened.

``PAYWAVE_CHAOS_SECONDS`` (the chaos window of each scenario) and ``PAYWAVE_CHAOS_RATE``
(new payments per second) turn the short scenarios of ``make test`` into ``make chaos``.
"""

import collections
import os
import random
import secrets
import threading
import time

from store.db import database
from store.models import OutboxJob, Payment
from store.states import TERMINAL
from tests.support.api import card_payment
from tests.support.sandbox import Sandbox

SECONDS = float(os.environ.get("PAYWAVE_CHAOS_SECONDS", 6))
RATE = float(os.environ.get("PAYWAVE_CHAOS_RATE", 4))
SETTLE_SECONDS = 90  # after the chaos: how long every payment may take to reach its final state
#: Mostly approved, some declined softly (fall back, then fail) or hard (fail at once).
CARDS = ["4242424242424242"] * 6 + ["5555555555554444"] * 2 + ["4000000000000002", "4000000000009987"]
RESULTS = []  # one row per scenario run, printed at the end of the session


class Load(threading.Thread):
    """POSTs a new payment ``rate`` times a second (and GETs it back) until ``stop()``."""

    def __init__(self, api, headers, rate=RATE, seconds=SECONDS):
        super().__init__(name="chaos-load", daemon=True)
        self.api, self.headers, self.rate = api, headers, rate
        self.deadline = time.monotonic() + seconds + 60  # bounded even if nobody stops it
        self.accepted, self.errors = set(), []
        self._halt = threading.Event()

    def run(self):
        due = time.monotonic()
        while not self._halt.is_set() and time.monotonic() < self.deadline:
            body = card_payment(number=random.choice(CARDS), amount=random.randint(100, 99_999))
            resp = self.api.simulate_post(
                "/payments", json=body, headers={**self.headers, "Idempotency-Key": secrets.token_hex(8)}
            )
            if resp.status_code != 202:
                self.errors.append(f"POST {resp.status_code} {resp.text[:200]}")
            else:
                self.accepted.add(resp.json["id"])
                got = self.api.simulate_get(resp.headers["location"], headers=self.headers)
                if got.status_code != 200:
                    self.errors.append(f"GET {got.status_code} {got.text[:200]}")
            due += 1 / self.rate
            self._halt.wait(max(0.0, due - time.monotonic()))

    def stop(self):
        self._halt.set()
        self.join(30)


class Duplicator(threading.Thread):
    """Publishes every job the outbox publishes a second time (duplicate delivery)."""

    def __init__(self, publish):
        super().__init__(name="chaos-duplicator", daemon=True)
        self.publish = publish
        self.after = OutboxJob.select(OutboxJob.id).order_by(OutboxJob.id.desc()).scalar() or 0
        self.done = set()
        self._halt = threading.Event()

    def run(self):
        while not self._halt.wait(0.2):
            with database.connection_context():
                jobs = [
                    j
                    for j in OutboxJob.select().where(
                        (OutboxJob.id > self.after) & OutboxJob.published_at.is_null(False)
                    )
                    if j.id not in self.done
                ]
            self.publish(jobs)
            self.done.update(j.id for j in jobs)

    def stop(self):
        self._halt.set()
        self.join(30)


def outages(cut, restore, seconds, down=3.0):
    """Cut for ``down`` seconds at a time, between healthy spells, over ``seconds``; restored at return."""
    deadline = time.monotonic() + seconds
    while True:
        healthy = random.uniform(1.0, 3.0)
        if time.monotonic() + healthy + down > deadline:
            break
        time.sleep(healthy)
        cut()
        try:
            time.sleep(down)
        finally:
            restore()
    time.sleep(max(0.0, deadline - time.monotonic()))


def settle(ids, timeout=SETTLE_SECONDS):
    """Wait until every payment in ``ids`` is final (or ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _unfinished(ids).exists():
        time.sleep(0.5)


def _unfinished(ids):
    return Payment.select(Payment.id).where(
        Payment.id.in_(list(ids))
        & (Payment.status.not_in(list(TERMINAL)) | Payment.pending_operation.is_null(False))
    )


def reconcile(scenario, ids, sandboxes, since):
    """One result row, and every disagreement between PayWave and the gateways' ledgers.

    Each ``succeeded`` payment is captured exactly once, for its amount, at its gateway only;
    any other payment is captured nowhere; no capture since ``since`` lacks its payment.
    """
    payments = {p.id: p for p in Payment.select().where(Payment.id.in_(list(ids)))}
    captures = collections.defaultdict(list)
    for gateway, base in sandboxes.items():
        for entry in Sandbox(base).ledger():
            if entry["type"] == "capture" and (entry["payment_id"] in ids or entry["created"] >= since):
                captures[entry["payment_id"]].append((gateway, entry["amount"]))
    problems = [f"accepted {pid} has no payment row" for pid in ids if pid not in payments]
    known = {p.id for p in Payment.select(Payment.id).where(Payment.id.in_(list(captures)))}
    problems += [
        f"{pid}: captured {moved} without a payment" for pid, moved in captures.items() if pid not in known
    ]
    for pid, p in payments.items():
        expected = [(p.gateway, p.amount)] if p.status == "succeeded" else []
        if captures.get(pid, []) != expected or (p.status == "succeeded" and p.amount_captured != p.amount):
            problems.append(
                f"{pid}: {p.status} at {p.gateway} for {p.amount} (captured {p.amount_captured}), "
                f"ledgers {captures.get(pid, [])}"
            )
    final = [p for p in payments.values() if p.status in TERMINAL and not p.pending_operation]
    row = {
        "scenario": scenario,
        "payments": len(ids),
        "succeeded": sum(p.status == "succeeded" for p in final),
        "failed": sum(p.status == "failed" for p in final),
        "lost": len(ids) - len(final),
        "double charges": sum(len(captures.get(pid, [])) > 1 for pid in ids),
        "max s to final": round(
            max(((p.updated_at - p.created_at).total_seconds() for p in final), default=0), 1
        ),
    }
    RESULTS.append(row)
    return row, problems


def table(rows):
    columns = list(rows[0])
    widths = [max(len(str(c)), *(len(str(r[c])) for r in rows)) for c in columns]
    lines = [" | ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows]
    return "\n".join(lines)
