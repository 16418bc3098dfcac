"""The fraud decision's cost (issue 15): worker CPU and Redis round trips of ``workers.radar.screen`` per
payment, the velocity counters and the built-in rules included, as a worker runs it.

``python -m bench.radar [--payments N]`` runs it alone against the database and Redis of the environment
(``PAYWAVE_DATABASE_URL``, migrated; ``PAYWAVE_REDIS_URL``) and prints one JSON line; ``make bench`` runs it
in its scratch database beside the end-to-end scenario and sets it against the worker's whole CPU per payment
there.  Each payment has its own card, email and IP address, as a shop's customers do, and the CPU is the
calling thread's (``time.thread_time``), so the bench's own MONITOR reader is not counted.  Round trips are
the commands a client sent on the counters' keys, seen by MONITOR (what the Lua script runs inside Redis is
no round trip).
"""

import argparse
import json
import secrets
import threading
import time

import redis

from shared.config import Config
from store.db import open_database
from store.models import Payment
from workers import radar

#: The merchant the payments are screened for: its rules are the built-in ones.
MERCHANT = "bench_radar"


def payment(n: int) -> Payment:
    """The ``n``-th payment, never saved: ``screen`` writes nothing for a payment it lets through."""
    return Payment(
        id=f"pay_bench{n}",
        merchant_id=MERCHANT,
        livemode=False,
        status="pending",
        amount=1050,
        currency="USD",
        card_fingerprint=f"{n:032x}",
        card_bin="424242",
        card_brand="visa",
        customer_details={
            "email": f"buyer{n}@shop.example",
            "ip_address": f"198.51.{n // 250 % 256}.{n % 250}",
        },
    )


def measure(config: Config, payments: int) -> dict:
    """Screen ``payments`` payments, after a warm-up (the script loaded, the rules read).

    Returns:
      ``{"payments", "cpu_ms_per_payment", "wall_ms_per_payment", "redis_round_trips_per_payment",
      "blocked"}``.
    """
    rad = radar.Radar.from_config(config)
    first = secrets.randbelow(10**9)
    radar.screen(rad, payment(first), [])  # loads the script and the rules: not measured
    end = f"{config.cache_prefix}bench-radar-end-{secrets.token_hex(4)}"
    watcher = redis.Redis.from_url(config.redis_url)
    seen: list[str] = []
    blocked = 0
    with watcher.monitor() as monitor:

        def read() -> None:
            while end not in (command := monitor.next_command())["command"]:
                if command["client_type"] != "lua" and f"{config.cache_prefix}radar:" in command["command"]:
                    seen.append(command["command"])

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        cpu, wall = time.thread_time(), time.perf_counter()
        for n in range(first + 1, first + 1 + payments):
            blocked += not radar.screen(rad, payment(n), [])
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        watcher.get(end)
        reader.join(30)
    return {
        "payments": payments,
        "cpu_ms_per_payment": round(cpu * 1000 / payments, 3),
        "wall_ms_per_payment": round(wall * 1000 / payments, 3),
        "redis_round_trips_per_payment": round(len(seen) / payments, 3),
        "blocked": blocked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.radar")
    parser.add_argument("--payments", type=int, default=2000)
    args = parser.parse_args()
    config = Config.from_env()
    open_database(config.database_url)
    print(json.dumps(measure(config, args.payments)), flush=True)


if __name__ == "__main__":
    main()
