"""``python -m bench.dashboard``: the dashboard home's figures at scale, read from the rollups (m0031) beside
the live aggregates they replaced, and what the rollups' triggers cost the charge path.

In a scratch Postgres database (created, migrated, dropped at the end; nothing else is touched):

1. Seeds ``--payments`` payments of one merchant (``tests.support.history``: one second apart back from
   2026-01-01, with their authorizations, a fallback in five) with the rollup triggers off and the payment
   and attempt indexes built after the load, then fills the rollups as the migration does (timed).
2. For periods of 1, 7, 30 and 90 days up to the newest payment, times each ``store.stats`` function
   (p50 and max of ``--runs``) and the live aggregate over the period's payments (``tests.support.
   live_stats``, ``--live-runs``), checks they agree, and prints the ratio.
3. Runs ``--charges`` charge paths (the API's ``payments.create``, the worker's claim and finish, through the
   same store functions) with the rollup triggers on and off, alternating blocks: Postgres backend CPU
   (``/proc``, same machine) and wall time per charge; then SQL round trips per charge, counted on the wire
   (``bench.roundtrips``), both ways.

Run it from the repository root.  ``--json PATH`` also writes the figures.
"""

import argparse
import datetime
import os
import statistics
import time

import orjson
import psycopg2

from bench.roundtrips import Counter
from bench.scratch import scratch_database
from store import attempts, payments, stats
from store.db import database, open_database
from store.migrations.m0031_rollups import backfill
from store.unit import Unit
from tests.store.test_batched_unit import FIELDS
from tests.support.history import seed, seed_attempts
from tests.support.live_stats import FIGURES

MERCHANT = "m_big"
NEWEST = datetime.datetime(2026, 1, 1)  # the seed's newest payment
PERIODS = (1, 7, 30, 90)
TABLES = "payment, attempt"
#: The indexes a bulk load is faster without (built again after it): every one not backing a constraint.
_INDEXES = (
    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename IN ('payment', 'attempt')"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
)


def load(url: str, count: int) -> dict:
    """Seed ``count`` payments of ``MERCHANT`` and fill the rollups. Returns the seconds each step took."""
    took = {}
    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB'")
        cursor.execute(_INDEXES)
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("ALTER TABLE payment DISABLE TRIGGER USER; ALTER TABLE attempt DISABLE TRIGGER USER")
        started = time.monotonic()
        seed(cursor, MERCHANT, count)
        cursor.execute(
            "UPDATE payment SET amount_captured = amount, amount_refunded = CASE WHEN amount % 4 = 0"
            " THEN amount / 2 ELSE 0 END WHERE status IN ('succeeded', 'refunded')"
        )
        seed_attempts(cursor, MERCHANT)
        took["seed_s"] = time.monotonic() - started
        started = time.monotonic()
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"ANALYZE {TABLES}")
        took["indexes_s"] = time.monotonic() - started
        cursor.execute("ALTER TABLE payment ENABLE TRIGGER USER; ALTER TABLE attempt ENABLE TRIGGER USER")
        started = time.monotonic()
        for statement in backfill("postgres"):
            cursor.execute(statement)
        cursor.execute("ANALYZE payment_rollup, attempt_rollup")
        took["backfill_s"] = time.monotonic() - started
        cursor.execute("SELECT (SELECT COUNT(*) FROM payment_rollup), (SELECT COUNT(*) FROM attempt_rollup)")
        took["payment_rollup_rows"], took["attempt_rollup_rows"] = cursor.fetchone()
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in took.items()}


def _timed(read, period: stats.Period, runs: int) -> tuple[object, list[float]]:
    times = []
    for _ in range(runs):
        started = time.monotonic()
        found = read(MERCHANT, True, period)
        times.append((time.monotonic() - started) * 1000)
    return found, times


def figures(runs: int, live_runs: int) -> list[dict]:
    """Each home figure per period: the rollups' time and the live aggregate's, in ms."""
    rows = []
    for days in PERIODS:
        period = stats.Period.last(days, NEWEST)
        for read, oracle in FIGURES:
            found, rolled = _timed(read, period, runs)
            expected, live = _timed(oracle, period, live_runs)
            assert found == expected, (read.__name__, days)
            rows.append(
                {
                    "days": days,
                    "figure": read.__name__,
                    "rollup_p50_ms": round(statistics.median(rolled), 2),
                    "rollup_max_ms": round(max(rolled), 2),
                    "live_p50_ms": round(statistics.median(live), 1),
                    "live_max_ms": round(max(live), 1),
                    "ratio": round(statistics.median(live) / statistics.median(rolled)),
                }
            )
            print(rows[-1], flush=True)
    return rows


def charge() -> None:
    """One payment's charge path as the API and the worker write it: created, claimed, succeeded."""
    payment, _ = payments.create("m_charges", dict(FIELDS), lambda pid: {"method": "card"}, livemode=True)
    with Unit(batched=True):
        locked, history = attempts.lock_with_attempts(payment.id)
        attempts.start_attempt(locked, "stripe", "charge", locked.amount, attempts=history, tries=1)
        attempts.save(locked, status="processing", gateway="stripe", attempts=history)
    with Unit(batched=True):
        locked, history = attempts.lock_with_attempts(payment.id)
        attempt = history[-1]
        attempt.status, attempt.latency_ms = "succeeded", 120
        attempts.save(
            locked,
            status="succeeded",
            attempt=attempt,
            attempts=history,
            event="payment.succeeded",
            amount_captured=locked.amount,
            gateway_reference="ch_bench",
        )


def _backend_cpu_s(pid: int) -> float:
    """User and system CPU of Postgres backend ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _triggers(admin_url: str, on: bool) -> None:
    verb = "ENABLE" if on else "DISABLE"
    with psycopg2.connect(admin_url) as conn, conn.cursor() as cursor:
        for name in ("payment_rollup", "payment_rollup_update"):
            cursor.execute(f"ALTER TABLE payment {verb} TRIGGER {name}")
        for name in ("attempt_rollup", "attempt_rollup_update"):
            cursor.execute(f"ALTER TABLE attempt {verb} TRIGGER {name}")


def trigger_cost(url: str, charges: int, blocks: int) -> dict:
    """Per charge, triggers on and off: backend CPU and wall ms (alternating blocks), SQL round trips."""
    spent: dict[bool, list[float]] = {True: [0.0, 0.0], False: [0.0, 0.0]}
    for on in (True, False):  # warm up: plans, caches, each function's first call
        _triggers(url, on)
        with database.connection_context():
            for _ in range(20):
                charge()
    for block in range(blocks * 2):
        on = block % 2 == 0
        _triggers(url, on)
        with database.connection_context():
            pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
            cpu, wall = _backend_cpu_s(pid), time.monotonic()
            for _ in range(charges // blocks):
                charge()
            spent[on][0] += _backend_cpu_s(pid) - cpu
            spent[on][1] += time.monotonic() - wall
    done = charges // blocks * blocks
    out = {}
    for on, (cpu, wall) in spent.items():
        key = "on" if on else "off"
        out[f"cpu_ms_per_charge_triggers_{key}"] = round(cpu * 1000 / done, 3)
        out[f"wall_ms_per_charge_triggers_{key}"] = round(wall * 1000 / done, 3)
    counter = Counter.for_url(url)
    try:
        open_database(counter.url(url))
        for on in (True, False):
            _triggers(url, on)
            with database.connection_context():
                charge()  # the connection's first statements (prepared ones) aside
                counter.reset()
                for _ in range(10):
                    charge()
                out[f"sql_round_trips_per_charge_triggers_{'on' if on else 'off'}"] = counter.reset() / 10
    finally:
        _triggers(url, True)
        open_database(url)
        counter.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--live-runs", type=int, default=1)
    parser.add_argument("--charges", type=int, default=2_000)
    parser.add_argument("--blocks", type=int, default=5, help="alternating blocks per trigger setting")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    with scratch_database(args.postgres, "paywave_dashboard") as url:
        results: dict = {"payments": args.payments, "load": load(url, args.payments)}
        print(results, flush=True)
        results["figures"] = figures(args.runs, args.live_runs)
        results["charge_path"] = trigger_cost(url, args.charges, args.blocks)
        print(results["charge_path"])
    if args.json:
        with open(args.json, "wb") as out:
            out.write(orjson.dumps(results, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
