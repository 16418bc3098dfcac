"""Tracing's cost on the hot path (issue 16): the ingress's ``POST /payments`` handler with tracing off
(no ``OTEL_*`` exporter: the no-op API only) and on (the SDK, every instrumentation, each span handed to an
exporter that drops it), in one run, one after the other in the same process.

``python -m bench.tracing [--requests N]`` runs it against the database and Redis of the environment
(``PAYWAVE_DATABASE_URL``, migrated; ``PAYWAVE_REDIS_URL``) and prints one JSON line.  The app is called
through Falcon's test client (no HTTP server, no load generator in the figures); the outbox rows are never
published (a relay that is never started).  CPU is this thread's (``time.thread_time``).  Besides, the hooks
tracing-off leaves on the path (``shared.tracing``'s checks, the log line's trace lookup) are timed alone.
"""

import argparse
import dataclasses
import json
import os
import secrets
import time
import timeit
from collections.abc import Sequence

from falcon import testing
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from ingress.app import create_app
from ingress.auth import Authenticator
from shared import logging, tracing
from shared.cache import build_cache
from shared.config import Config
from store.db import open_database
from store.outbox import Relay
from store.vault import Vault

BODY = {
    "amount": 1050,
    "currency": "USD",
    "payment_method": {
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
    },
    "customer_details": {"email": "buyer@shop.example"},
}


class Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def posts(config: Config, requests: int) -> dict:
    """``requests`` payments through a new app, after a warm-up of 50: CPU and wall time per request."""
    client = testing.TestClient(
        create_app(
            config,
            vault=Vault.from_config(config),
            cache=build_cache(config),
            relay=Relay(lambda jobs: None),
            broker_check=lambda: True,
        )
    )
    merchant = "bench_tracing_" + secrets.token_hex(4)
    auth = {"Authorization": f"Bearer {Authenticator(config).mint(merchant, ttl_seconds=3600)}"}

    def post() -> None:
        answer = client.simulate_post("/payments", json=BODY, headers=auth)
        assert answer.status_code == 202, answer.text

    for _ in range(50):
        post()
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(requests):
        post()
    cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    return {"cpu_ms": round(cpu * 1000 / requests, 3), "wall_ms": round(wall * 1000 / requests, 3)}


def off_hooks_us() -> float:
    """Microseconds per ``POST /payments`` of what tracing-off still runs: the outbox write's check, the
    request middleware's ``enabled()``, the request log line's span lookup."""
    assert not tracing.enabled()

    def hooks() -> None:
        tracing.outbox_write("process_payment", "payments.stripe")
        tracing.enabled()
        logging._trace_context(None, "info", {})

    runs = 200_000
    return round(timeit.timeit(hooks, number=runs) * 1e6 / runs, 3)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tracing", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="POST /payments per run")
    args = parser.parse_args(argv)
    config = dataclasses.replace(
        Config.from_env(), broker_url="", rate_limit_write=100_000, rate_limit_read=100_000
    )
    with open(os.devnull, "w") as devnull:
        logging.configure("info", stream=devnull)  # each request's log line, as the ingress writes it
        measured = run(config, args.requests)
    print(json.dumps(measured))


def run(config: Config, requests: int) -> dict:
    """Both runs, off first (the SDK, once installed, stays for the process)."""
    open_database(config.database_url)
    hooks = off_hooks_us()
    off = posts(config, requests)
    tracing.configure("bench", exporters=[Discard()])
    on = posts(config, requests)
    return {
        "requests": requests,
        "off": off,
        "on": on,
        "off_hooks_us_per_request": hooks,
        "on_extra_cpu_ms": round(on["cpu_ms"] - off["cpu_ms"], 3),
    }


if __name__ == "__main__":
    main()
