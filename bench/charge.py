"""A charge's CPU in the worker (issue 17): ``process_payment`` called in this process, one payment after the
other, against a Stripe sandbox it starts, a scratch database, and Redis; the calling thread's CPU
(``time.thread_time``) per payment, and optionally a cProfile of it by the same clock.

``python -m bench.charge [--payments N] [--profile FILE]`` prints one JSON line. The actor alone: no broker,
no Dramatiq middleware, no relay (``make bench`` measures the whole worker process beside the charge floor).
Every payment has the same card, as the end-to-end scenario's do: the fraud decision knows it after the first.
"""

import argparse
import cProfile
import json
import os
import secrets
import subprocess
import sys
import time

from bench.__main__ import REDIS, ROOT, scratch_database
from shared.net import free_port, wait_http

#: The payments' fields, as ``POST /payments`` validates them for ``bench.__main__.PAYMENT``.
FIELDS = {"amount": 1050, "currency": "USD", "capture": "automatic", "route": "stripe,paypal", "metadata": {}}
FIELDS |= dict.fromkeys(("gateway_preference", "description", "customer"))


def measure(payments: int, profile: str | None) -> dict:
    """Charge ``payments`` payments after a warm-up of 20 (connections, scripts, rules, the card's facts).

    Returns:
      ``{"payments", "cpu_ms_per_payment", "wall_ms_per_payment", "succeeded"}``.
    """
    from shared.config import Config
    from store import payments as store_payments
    from store.db import database, open_database
    from store.models import Payment
    from workers import runtime
    from workers.actors import process

    config = Config.from_env()
    open_database(config.database_url)
    ctx = runtime.build(config, pool="stripe", heartbeat=False).context

    def create(n):
        def card(pid):
            return ctx.vault.seal_card(pid, "4242424242424242", 12, 2031, "123")

        return [store_payments.create("bench", dict(FIELDS), card, livemode=True)[0].id for _ in range(n)]

    with database.connection_context():
        for pid in create(20):
            process.process_payment(ctx, pid, "stripe")
        ids = create(payments)
        profiler = cProfile.Profile(time.thread_time) if profile else None
        cpu, wall = time.thread_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        for pid in ids:
            process.process_payment(ctx, pid, "stripe")
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        succeeded = Payment.select().where(Payment.id.in_(ids) & (Payment.status == "succeeded")).count()
    return {
        "payments": payments,
        "cpu_ms_per_payment": round(cpu * 1000 / payments, 2),
        "wall_ms_per_payment": round(wall * 1000 / payments, 2),
        "succeeded": succeeded,
        "profiled": bool(profile),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.charge")
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--profile", help="write a cProfile (CPU clock) of the measured charges to this file")
    args = parser.parse_args()
    run = secrets.token_hex(3)
    database_url, drop = scratch_database(run)
    port = free_port()
    os.environ.update(
        PAYWAVE_DATABASE_URL=database_url,
        PAYWAVE_REDIS_URL=REDIS,
        PAYWAVE_CACHE_PREFIX=f"benchcharge{run}:",
        PAYWAVE_QUEUE_PREFIX=f"benchcharge{run}.",
        PAYWAVE_STRIPE_API_BASE=f"http://127.0.0.1:{port}",
        PAYWAVE_LOG_LEVEL="warning",
    )
    sandbox = None
    try:
        subprocess.run(
            [sys.executable, "-m", "cli", "migrate"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        sandbox = subprocess.Popen(
            [sys.executable, "-m", "cli", "sandbox", "stripe", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{port}/_sandbox/faults", sandbox, timeout=30)
        print(json.dumps(measure(args.payments, args.profile)), flush=True)
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(30)
        drop()
        import redis

        client = redis.Redis.from_url(REDIS)
        client.delete(*(client.keys(f"benchcharge{run}:*") or ["-"]))


if __name__ == "__main__":
    main()
