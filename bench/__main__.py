"""``make bench``: every figure beside its baseline, from one run on this machine.

Scenarios:
  post    POST /payments (full ingress: Postgres, Redis, RabbitMQ) vs a bare Falcon endpoint,
          same gunicorn workers and threads, wrk at several concurrencies.
  rate    both again at half of the best rate wrk measured for each, at that fixed rate (hey): latency
          percentiles. The target: POST /payments p99 under 25 ms.
  get     GET /payments/{id} with a cache hit, and with the cache away (served from Postgres).
  e2e     payments from POST to terminal status through ingress, relay, stripe pool and sandbox,
          with the sandbox at zero latency and at --gateway-latency-ms (what real gateways take).
  radar   the fraud decision (workers.radar.screen: counters and built-in rules) alone, bench/radar.py: its
          worker CPU and Redis round trips per payment, set against the worker's whole CPU per payment in
          e2e (gateway at zero latency). The bar: at most 1 ms of CPU and one round trip per payment.
  drain   a backlog of queued payments charged end to end (sandbox at zero latency) by the
          stripe pool with 1, 2 and 4 processes, vs a no-op actor draining the same number of
          messages with the same processes and threads.
Every measured run also samples the CPU use of each role of process (postgres, ingress, worker, load
generator...), to name the one that saturates the cores.
Results: <--out>/<date>-<host>[-<only>].json (settings, versions, raw samples) and a table on stdout.
"""

import argparse
import datetime
import json
import os
import platform
import re
import secrets
import subprocess
import sys
import time

import pika
import psycopg2
import redis
import requests

from bench.cpu import CpuSampler, describe, measure
from bench.rate import TARGET_P99_MS, fixed_rate
from shared.net import free_port, wait_http

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG = os.environ.get("PAYWAVE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PAYWAVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP = os.environ.get("PAYWAVE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
PAYMENT = {
    "amount": 1050,
    "currency": "USD",
    "payment_method": {
        "type": "card",
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
    },
}  # as bench/post.lua sends


class Stack:
    """Processes started for the bench, all stopped at the end, each with its role for the CpuSampler."""

    def __init__(self, env, database=None):
        self.env = env
        self.database = database
        self.procs = []
        self.roles = {}

    def start(self, role, *argv, ready=None, **extra):
        proc = subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env={**self.env, **extra},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        self.roles[proc.pid] = role
        if ready:
            wait_http(ready, proc, timeout=30)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        self.procs.remove(proc)
        del self.roles[proc.pid]

    def close(self):
        for proc in list(self.procs):
            self.stop(proc)

    def sampler(self, own="bench"):
        """A CpuSampler that knows this stack's processes, also those started later, and its database."""
        return CpuSampler(self.roles, self.database, own)


def scratch_database(run):
    """Create ``paywave_bench_<run>``; returns ``(url, drop)`` where ``drop()`` removes it."""
    name = f"paywave_bench_{run}"
    admin = psycopg2.connect(PG)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")

    def drop():
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

    return PG.rsplit("/", 1)[0] + "/" + name, drop


def delete_queues(prefix, processes):
    """Remove every queue this run declared (main, delay and dead-letter queues)."""
    from shared.queues import POOLS

    bases = [q for qs in POOLS.values() for q in qs] + [f"bench.noop{p}" for p in processes]
    connection = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = connection.channel()
    for base in bases:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(prefix + base + suffix)
    connection.close()


def wrk(url, script, connections, seconds, env, sampler):
    argv = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "-s", script, url]
    (out,), cpu = measure([argv], sampler, env={**os.environ, **env}, cwd=ROOT)
    stats = json.loads(re.search(r"^BENCH (.*)$", out, re.M).group(1))
    stats["rps"] = round(stats["requests"] / (stats["duration_us"] / 1e6), 1)
    stats["connections"] = connections
    stats["cpu"] = cpu
    return stats


def relayed(database_url, timeout=120):
    """Wait until the ingress's relay has published every outbox job: after a saturating run it is still
    catching up."""
    deadline = time.monotonic() + timeout
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        while True:
            cur.execute("SELECT count(*) FROM outbox_job WHERE published_at IS NULL")
            if not cur.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the outbox relay did not catch up within {timeout} s")
            time.sleep(0.2)


def half_max_rate(stack, env, token, name, port, args, results):
    """``name`` at half of the best rate wrk measured for it (of the runs without errors, if any), at a fixed
    rate."""
    relayed(env["PAYWAVE_DATABASE_URL"])
    runs = [r for r in results["post"] if r["target"] == name]
    best = max([r for r in runs if not r["errors"] + r["non2xx"]] or runs, key=lambda r: r["rps"])
    row = {
        "target": name,
        "max_rps": best["rps"],
        **fixed_rate(
            f"http://127.0.0.1:{port}/payments",
            best["rps"] / 2,
            args.seconds,
            {"Authorization": f"Bearer {token}"},
            json.dumps(PAYMENT),
            stack.sampler(),
        ),
    }
    results["rate"].append(row)
    print(
        f"  {name:14} {row['achieved_rps']:>7.1f} req/s of {row['offered_rps']} offered "
        f"(half of {row['max_rps']:.1f}: hey {row['workers']} x {row['per_worker_qps']}/s)  "
        f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  "
        f"p99.9 {row['p999_ms']:.1f} ms  non2xx {row['non2xx']}",
        flush=True,
    )
    print("    " + describe(row["cpu"]), flush=True)


def scenario_http(stack, env, token, args, results):
    workers, threads = env["PAYWAVE_WEB_WORKERS"], env["PAYWAVE_WEB_THREADS"]
    bare_port, ingress_port = free_port(), free_port()
    bare = stack.start(
        "bare_falcon",
        "-m",
        "bench.bare",
        "--port",
        str(bare_port),
        "--workers",
        workers,
        "--threads",
        threads,
        ready=f"http://127.0.0.1:{bare_port}/payments",
    )
    ingress = stack.start(
        "ingress",
        "-m",
        "cli",
        "ingress",
        "--port",
        str(ingress_port),
        ready=f"http://127.0.0.1:{ingress_port}/healthz",
    )
    wenv = {"BENCH_TOKEN": token}
    for c in args.connections:
        for name, port in (("bare_falcon", bare_port), ("post_payments", ingress_port)):
            wrk(f"http://127.0.0.1:{port}/payments", "bench/post.lua", c, 2, wenv, stack.sampler())  # warm up
            stats = wrk(
                f"http://127.0.0.1:{port}/payments", "bench/post.lua", c, args.seconds, wenv, stack.sampler()
            )
            results["post"].append({"target": name, **stats})
            print(
                f"  {name:14} c={c:<4} {stats['rps']:>8.1f} req/s  p50 {stats['p50_ms']:.1f} ms  "
                f"p99 {stats['p99_ms']:.1f} ms  p99.9 {stats['p999_ms']:.1f} ms  non2xx {stats['non2xx']}",
                flush=True,
            )
            print("    " + describe(stats["cpu"]), flush=True)
    print("At half of the best rate above, a fixed rate (hey, evenly spaced):", flush=True)
    for name, port in (("bare_falcon", bare_port), ("post_payments", ingress_port)):
        half_max_rate(stack, env, token, name, port, args, results)
    p99 = results["rate"][-1]["p99_ms"]
    print(
        f"  target: POST /payments p99 under {TARGET_P99_MS} ms at half of its max rate: {p99:.1f} ms, "
        f"{'met' if p99 < TARGET_P99_MS else 'NOT met'}",
        flush=True,
    )
    # GET: a cache hit, then the same with Redis unreachable (every read from Postgres)
    created = requests.post(
        f"http://127.0.0.1:{ingress_port}/payments",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "amount": 100,
            "currency": "USD",
            "payment_method": {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031},
            },
        },
    ).json()
    wenv["BENCH_PATH"] = f"/payments/{created['id']}"
    stats = wrk(f"http://127.0.0.1:{ingress_port}", "bench/get.lua", 32, args.seconds, wenv, stack.sampler())
    results["get"].append({"target": "cache_hit", **stats})
    stack.stop(ingress)
    miss_port = free_port()
    miss = stack.start(
        "ingress",
        "-m",
        "cli",
        "ingress",
        "--port",
        str(miss_port),
        ready=f"http://127.0.0.1:{miss_port}/healthz",
        PAYWAVE_REDIS_URL="redis://127.0.0.1:1/0",
    )
    stats = wrk(f"http://127.0.0.1:{miss_port}", "bench/get.lua", 32, args.seconds, wenv, stack.sampler())
    results["get"].append({"target": "cache_miss", **stats})
    for row in results["get"]:
        print(
            f"  GET {row['target']:10} {row['rps']:>8.1f} req/s  "
            f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms"
        )
        print("    " + describe(row["cpu"]), flush=True)
    stack.stop(miss)
    stack.stop(bare)


def backlog(env, n):
    """Write ``n`` pending payments with their jobs and publish them (no worker running)."""
    code = f"""
import dataclasses
from shared.config import Config
from store.db import open_database
from store import payments
from store.outbox import Relay
from store.vault import Vault
from shared.broker import build_broker, publisher
config = Config.from_env()
open_database(config.database_url)
vault = Vault.from_config(config)
for i in range({n}):
    payments.create("bench", dict(amount=1000 + i % 100, currency="USD", capture="automatic",
                                  route="stripe,paypal", gateway_preference=None, description=None,
                                  metadata={{}}, customer=None),
                    lambda pid: vault.seal_card(pid, "4242424242424242", 12, 2031, "123"), livemode=True)
relay = Relay(publisher(build_broker(config), config.queue_prefix))
relay.drain()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def pending(database_url, ids=None):
    """How many payments (of ``ids``, else all) are not yet in a final status."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        query = "SELECT count(*) FROM payment WHERE status NOT IN ('succeeded', 'failed', 'canceled')"
        cur.execute(
            query + (" AND id = ANY(%s)" if ids is not None else ""),
            (list(ids),) if ids is not None else None,
        )
        return cur.fetchone()[0]


def cancel_leftovers(env):
    """Payments the HTTP scenario created are never charged: canceled, their jobs dropped (tens of
    thousands of no-op jobs ahead of the measured payments would be measured instead)."""
    with psycopg2.connect(env["PAYWAVE_DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("UPDATE payment SET status = 'canceled' WHERE status = 'pending'")
    connection = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = connection.channel()
    for pool in ("stripe", "paypal"):
        for suffix in ("", ".DQ"):
            try:
                channel.queue_purge(env["PAYWAVE_QUEUE_PREFIX"] + f"payments.{pool}{suffix}")
            except pika.exceptions.ChannelClosedByBroker:  # never declared: nothing to drop
                channel = connection.channel()
    connection.close()


def scenario_drain(stack, env, args, results):
    r = redis.Redis.from_url(REDIS)
    threads = env["PAYWAVE_WORKER_THREADS"]
    for processes in args.processes:
        # baseline: the no-op actor, same broker, processes and threads
        queue = env["PAYWAVE_QUEUE_PREFIX"] + f"bench.noop{processes}"
        nenv = {**env, "BENCH_QUEUE": queue}
        subprocess.run(
            [sys.executable, "-c", f"import bench.noop as n\nfor i in range({args.backlog}): n.noop.send(i)"],
            cwd=ROOT,
            env=nenv,
            check=True,
        )
        r.delete(queue + ":done")
        with stack.sampler() as noop_cpu:
            started = time.monotonic()
            worker = stack.start(
                "worker",
                "-m",
                "dramatiq",
                "bench.noop",
                "--processes",
                str(processes),
                "--threads",
                threads,
                "--queues",
                queue,
                **{"BENCH_QUEUE": queue, "dramatiq_queue_prefetch": threads},
            )
            while int(r.get(queue + ":done") or 0) < args.backlog:
                time.sleep(0.05)
            noop_s = time.monotonic() - started
        stack.stop(worker)
        # the real thing: payments charged end to end at the Stripe sandbox
        backlog(env, args.backlog)
        with stack.sampler() as paid_cpu:
            started = time.monotonic()
            worker = stack.start(
                "worker",
                "-m",
                "cli",
                "worker",
                "--pool",
                "stripe",
                "--processes",
                str(processes),
                dramatiq_prom_port="0",
            )
            while pending(env["PAYWAVE_DATABASE_URL"]):
                time.sleep(0.2)
            paid_s = time.monotonic() - started
        stack.stop(worker)
        row = {
            "processes": processes,
            "threads": int(threads),
            "backlog": args.backlog,
            "noop_seconds": round(noop_s, 2),
            "noop_per_s": round(args.backlog / noop_s, 1),
            "payments_seconds": round(paid_s, 2),
            "payments_per_s": round(args.backlog / paid_s, 1),
            "cpu": {"noop": noop_cpu.result(), "payments": paid_cpu.result()},
        }
        row["ratio"] = round(row["payments_per_s"] / row["noop_per_s"], 3)
        results["drain"].append(row)
        print(
            f"  drain {args.backlog} with {processes} process(es): payments {row['payments_per_s']}/s "
            f"({paid_s:.1f} s), no-op {row['noop_per_s']}/s ({noop_s:.1f} s), ratio {row['ratio']}",
            flush=True,
        )
        print("    payments " + describe(row["cpu"]["payments"]), flush=True)
        print("    no-op    " + describe(row["cpu"]["noop"]), flush=True)


def scenario_e2e(stack, env, token, args, results, sandbox_url):
    """POST to terminal status through the whole stack: ingress, relay, stripe pool, sandbox."""
    import concurrent.futures

    cancel_leftovers(env)
    port = free_port()
    ingress = stack.start(
        "ingress", "-m", "cli", "ingress", "--port", str(port), ready=f"http://127.0.0.1:{port}/healthz"
    )
    worker = stack.start(
        "worker", "-m", "cli", "worker", "--pool", "stripe", "--processes", "1", dramatiq_prom_port="0"
    )
    for latency in (0, args.gateway_latency_ms):
        requests.post(sandbox_url + "/_sandbox/faults", json={"latency_ms": latency}, timeout=5)
        session = requests.Session()

        def post(_, session=session):
            return session.post(
                f"http://127.0.0.1:{port}/payments",
                json=PAYMENT,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )

        with stack.sampler(own="load_generator") as cpu:  # the bench itself posts the payments
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(post, range(args.e2e)))
            posted = time.monotonic() - started
            codes = [a.status_code for a in answers]
            ids = [a.json()["id"] for a in answers if a.status_code == 202]
            while pending(env["PAYWAVE_DATABASE_URL"], ids):
                time.sleep(0.2)
            total = time.monotonic() - started
        row = {
            "gateway_latency_ms": latency,
            "payments": args.e2e,
            "accepted": codes.count(202),
            "post_seconds": round(posted, 2),
            "post_per_s": round(args.e2e / posted, 1),
            "terminal_seconds": round(total, 2),
            "payments_per_s": round(args.e2e / total, 1),
            "cpu": cpu.result(),
        }
        results["e2e"].append(row)
        print(
            f"  e2e {args.e2e} payments, gateway latency {latency} ms: accepted {row['post_per_s']}/s, "
            f"terminal {row['payments_per_s']}/s ({total:.1f} s)",
            flush=True,
        )
        print("    " + describe(row["cpu"]), flush=True)
    requests.delete(sandbox_url + "/_sandbox/faults", timeout=5)
    stack.stop(worker)
    stack.stop(ingress)
    scenario_radar(env, args, results)


def scenario_radar(env, args, results):
    """The fraud decision's cost per payment (bench/radar.py), beside the worker's whole CPU per payment of
    the end-to-end run at zero gateway latency."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.radar", "--payments", str(args.radar)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    row = json.loads(out.stdout.splitlines()[-1])
    e2e = next(r for r in results["e2e"] if r["gateway_latency_ms"] == 0)
    worker_s = e2e["cpu"]["cores"].get("worker", 0.0) * e2e["cpu"]["seconds"]
    row["worker_cpu_ms_per_payment"] = round(worker_s * 1000 / e2e["payments"], 3)
    row["share_of_worker_cpu"] = round(row["cpu_ms_per_payment"] / row["worker_cpu_ms_per_payment"], 3)
    results["radar"].append(row)
    print(
        f"  radar.screen {row['payments']} payments: {row['cpu_ms_per_payment']} ms CPU and "
        f"{row['redis_round_trips_per_payment']} Redis round trips per payment; the worker's whole CPU per "
        f"payment in e2e {row['worker_cpu_ms_per_payment']} ms (share {row['share_of_worker_cpu']})",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--seconds", type=int, default=10, help="per measured load level")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--e2e", type=int, default=2000, help="payments posted in the end-to-end scenario")
    parser.add_argument("--radar", type=int, default=2000, help="payments screened by the fraud decision")
    parser.add_argument("--gateway-latency-ms", type=int, default=300)
    parser.add_argument("--only", choices=["http", "e2e", "drain"], default=None)
    parser.add_argument(
        "--out", default=os.path.join(ROOT, "bench", "results"), help="directory for the JSON and PNG"
    )
    args = parser.parse_args()

    run = secrets.token_hex(3)
    database_url, drop_database = scratch_database(run)
    stack = Stack({}, database=database_url.rsplit("/", 1)[1])
    results = {"post": [], "rate": [], "get": [], "e2e": [], "radar": [], "drain": []}
    try:
        sandbox_port = free_port()
        env = {
            **os.environ,
            "PAYWAVE_DATABASE_URL": database_url,
            "PAYWAVE_REDIS_URL": REDIS,
            "PAYWAVE_BROKER_URL": AMQP,
            "PAYWAVE_QUEUE_PREFIX": f"bench{run}.",
            "PAYWAVE_CACHE_PREFIX": f"bench{run}:",
            "PAYWAVE_STRIPE_API_BASE": f"http://127.0.0.1:{sandbox_port}",
            "PAYWAVE_LOG_LEVEL": "warning",
            "PAYWAVE_WEB_WORKERS": os.environ.get("PAYWAVE_WEB_WORKERS", "2"),
            "PAYWAVE_WEB_THREADS": os.environ.get("PAYWAVE_WEB_THREADS", "8"),
            "PAYWAVE_WORKER_THREADS": os.environ.get("PAYWAVE_WORKER_THREADS", "8"),
            "PAYWAVE_STUCK_AFTER_SECONDS": "3600",
        }
        stack.env = env
        subprocess.run(
            [sys.executable, "-m", "cli", "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        token = subprocess.run(
            [sys.executable, "-m", "cli", "token", "--merchant", "bench", "--ttl", "7200"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        stack.start(
            "sandbox",
            "-m",
            "cli",
            "sandbox",
            "stripe",
            "--port",
            str(sandbox_port),
            ready=f"http://127.0.0.1:{sandbox_port}/_sandbox/faults",
        )
        if args.only in (None, "http"):
            print("HTTP (wrk, same gunicorn settings for both):", flush=True)
            scenario_http(stack, env, token, args, results)
        if args.only in (None, "e2e"):
            print(
                "End to end (POST to terminal status, stripe pool with 1 process), the fraud decision:",
                flush=True,
            )
            scenario_e2e(stack, env, token, args, results, f"http://127.0.0.1:{sandbox_port}")
        if args.only in (None, "drain"):
            print("Backlog drain (stripe pool vs no-op actor, same processes and threads):", flush=True)
            scenario_drain(stack, env, args, results)
    finally:
        stack.close()
        drop_database()
        delete_queues(f"bench{run}.", args.processes)
        redis.Redis.from_url(REDIS).delete(*(redis.Redis.from_url(REDIS).keys(f"bench{run}*") or ["-"]))
    summary = {}
    for c in args.connections:
        rows = {r["target"]: r for r in results["post"] if r["connections"] == c}
        if len(rows) == 2:
            summary[f"post_over_bare_c{c}"] = round(
                rows["post_payments"]["rps"] / rows["bare_falcon"]["rps"], 3
            )
    rate = {r["target"]: r for r in results["rate"]}
    if len(rate) == 2:
        post_p99 = rate["post_payments"]["p99_ms"]
        summary["post_p99_ms_at_half_max"] = post_p99
        summary["post_over_bare_p99_at_half_max"] = round(post_p99 / rate["bare_falcon"]["p99_ms"], 2)
        summary[f"post_p99_under_{TARGET_P99_MS}ms_at_half_max"] = post_p99 < TARGET_P99_MS
    for row in results["radar"]:
        summary["radar_cpu_ms_per_payment"] = row["cpu_ms_per_payment"]
        summary["radar_share_of_worker_cpu"] = row["share_of_worker_cpu"]
        summary["radar_redis_round_trips_per_payment"] = row["redis_round_trips_per_payment"]
        summary["radar_within_1ms_and_1_round_trip"] = (
            row["cpu_ms_per_payment"] <= 1 and row["redis_round_trips_per_payment"] <= 1
        )
    for row in results["drain"]:
        summary[f"drain_over_noop_p{row['processes']}"] = row["ratio"]
    print("Summary:", json.dumps(summary, indent=1))
    report = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "args": vars(args),
        "settings": {k: v for k, v in stack.env.items() if k.startswith("PAYWAVE_") and "URL" not in k},
        "summary": summary,
        "results": results,
    }
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(
        args.out,
        f"{datetime.date.today().isoformat()}-{platform.node() or 'host'}"
        f"{'-' + args.only if args.only else ''}.json",
    )
    with open(path, "w") as f:
        json.dump(report, f, indent=1)
    from bench.plot import plot

    print(f"written {path} and {plot(path)}")


if __name__ == "__main__":
    main()
