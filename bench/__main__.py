"""``make bench``: every figure beside its floor, from one run on this machine (issue 17).

Floors, each doing the work PayWave cannot avoid, measured in the same run:
  accept floor  bench/accept_floor.py: Falcon, the JSON parsed, one INSERT of a payment-shaped row committed,
                on gunicorn in the setup (of FLOOR_SETUPS) that serves it best at c=32.
  charge floor  bench/charge_floor.py: a Dramatiq actor on the same RabbitMQ, same processes and threads as
                the stripe pool, per message the Stripe SDK call PayWave makes to the same sandbox and one
                UPDATE committed, drained from a backlog of --e2e messages.
  bare Falcon   bench/bare.py: the framework's ceiling, POST and GET (the ceiling of a cache hit).
Scenarios:
  post    POST /payments vs the accept floor and bare Falcon, wrk at several concurrencies.
  rate    PayWave and the accept floor at half of PayWave's best rate (hey, fixed rate): latency percentiles.
  get     GET /payments/{id} with a cache hit vs bare Falcon's GET, and with the cache away (from Postgres).
  e2e     payments from POST to terminal status through ingress, relay, stripe pool and sandbox, with the
          sandbox at zero latency and at --gateway-latency-ms; then the charge floor on as many.
  final   time to final status (bench/final.py) at a steady 20/s and at half the e2e rate: p50/p99/max, and
          each stage (to the job's publication, to the worker's claim, to the end).
  trips   SQL and Redis round trips per POST and per charge, counted on the wire (bench/roundtrips.py), for
          PayWave and for the floors.
  radar   the fraud decision alone (bench/radar.py): its CPU and Redis round trips per payment.
  drain   a backlog of queued payments charged by the stripe pool with 1, 2 and 4 processes, vs a no-op
          actor draining as many messages with the same processes and threads.
Every measured run also samples the CPU use of each role of process (postgres, ingress, worker, load
generator...), to name the one that saturates the cores, and prints it per request or per payment.
Results: <--out>/<date>-<host>[-<only>].json (settings, versions, raw samples, summary with the goals) and
a table on stdout.
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
import threading
import time

import pika
import psycopg2
import redis
import requests

from bench import final
from bench.cpu import CpuSampler, describe, measure
from bench.goals import goals, summarize, verdicts
from bench.rate import fixed_rate
from bench.roundtrips import Counter
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


def floor_tables(cursor):
    """The floors' tables, like ``payment``: ``floor_payment`` (the accept floor's rows) and ``floor_charge``
    (the charge floor's)."""
    for table in ("floor_payment", "floor_charge"):
        cursor.execute(f"CREATE TABLE {table} (LIKE payment INCLUDING DEFAULTS INCLUDING INDEXES)")


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


def best_rate(results, name):
    """The best rate wrk measured for ``name`` (of the runs without errors, if any)."""
    runs = [r for r in results["post"] if r["target"] == name]
    return max([r for r in runs if not r["errors"] + r["non2xx"]] or runs, key=lambda r: r["rps"])["rps"]


def half_max_rate(stack, env, token, name, port, rate, args, results):
    """``name`` at ``rate`` requests/s (half of PayWave's best), at a fixed rate."""
    relayed(env["PAYWAVE_DATABASE_URL"])
    row = {
        "target": name,
        **fixed_rate(
            f"http://127.0.0.1:{port}/payments",
            rate,
            args.seconds,
            {"Authorization": f"Bearer {token}"},
            json.dumps(PAYMENT),
            stack.sampler(),
        ),
    }
    results["rate"].append(row)
    print(
        f"  {name:14} {row['achieved_rps']:>7.1f} req/s of {row['offered_rps']} offered "
        f"(hey {row['workers']} x {row['per_worker_qps']}/s)  "
        f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms  "
        f"p99.9 {row['p999_ms']:.1f} ms  non2xx {row['non2xx']}",
        flush=True,
    )
    print("    " + describe(row["cpu"]), flush=True)


#: gunicorn setups (workers, threads) tried for the durable accept floor; the best at c=32 is its figure.
FLOOR_SETUPS = ((5, 1), (2, 8), (4, 4))


def per_unit(cpu, count):
    """``{role: CPU ms per unit}`` over ``count`` units (requests, payments) of a sampled scenario."""
    return {role: round(c * cpu["seconds"] * 1000 / count, 2) for role, c in cpu["cores"].items() if count}


def describe_per_unit(cpu, count, unit):
    roles = per_unit(cpu, count)
    return f"CPU ms per {unit}: " + ", ".join(f"{role} {ms:.2f}" for role, ms in roles.items())


def best_floor_setup(stack, args, wenv):
    """The gunicorn setup that serves the durable accept floor best: each of ``FLOOR_SETUPS`` under wrk c=32
    for a few seconds. Returns ``(workers, threads)``."""
    rates = {}
    for workers, threads in FLOOR_SETUPS:
        port = free_port()
        floor = stack.start(
            "accept_floor",
            "-m",
            "bench.accept_floor",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            ready=f"http://127.0.0.1:{port}/payments",
        )
        url = f"http://127.0.0.1:{port}/payments"
        wrk(url, "bench/post.lua", 32, 1, wenv, stack.sampler())
        rates[(workers, threads)] = wrk(url, "bench/post.lua", 32, 3, wenv, stack.sampler())["rps"]
        stack.stop(floor)
    print(
        "  accept floor setups at c=32: "
        + ", ".join(f"{w} x {t}: {r:.0f} req/s" for (w, t), r in rates.items()),
        flush=True,
    )
    return max(rates, key=rates.get)


def distinct_free_ports(count):
    """``count`` different free ports. Taken one after another, ``free_port`` can give the same port
    twice (nothing listens on it yet): the accept floor's gunicorn then failed to bind, and bare Falcon,
    answering on that port, was measured as the floor."""
    ports = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)


def scenario_http(stack, env, token, args, results):
    workers, threads = env["PAYWAVE_WEB_WORKERS"], env["PAYWAVE_WEB_THREADS"]
    wenv = {"BENCH_TOKEN": token}
    floor_workers, floor_threads = best_floor_setup(stack, args, wenv)
    results["floor_setup"] = {"workers": floor_workers, "threads": floor_threads}
    bare_port, floor_port, ingress_port = distinct_free_ports(3)
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
    floor = stack.start(
        "accept_floor",
        "-m",
        "bench.accept_floor",
        "--port",
        str(floor_port),
        "--workers",
        str(floor_workers),
        "--threads",
        str(floor_threads),
        ready=f"http://127.0.0.1:{floor_port}/payments",
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
    targets = (("bare_falcon", bare_port), ("accept_floor", floor_port), ("post_payments", ingress_port))
    for c in args.connections:
        for name, port in targets:
            wrk(f"http://127.0.0.1:{port}/payments", "bench/post.lua", c, 2, wenv, stack.sampler())  # warm up
            stats = wrk(
                f"http://127.0.0.1:{port}/payments", "bench/post.lua", c, args.seconds, wenv, stack.sampler()
            )
            stats["cpu_ms_per_request"] = per_unit(stats["cpu"], stats["requests"])
            results["post"].append({"target": name, **stats})
            print(
                f"  {name:14} c={c:<4} {stats['rps']:>8.1f} req/s  p50 {stats['p50_ms']:.1f} ms  "
                f"p99 {stats['p99_ms']:.1f} ms  p99.9 {stats['p999_ms']:.1f} ms  non2xx {stats['non2xx']}",
                flush=True,
            )
            print("    " + describe(stats["cpu"]), flush=True)
            print("    " + describe_per_unit(stats["cpu"], stats["requests"], "request"), flush=True)
    print("At half of PayWave's best rate above, a fixed rate (hey, evenly spaced), each target:", flush=True)
    post_best = best_rate(results, "post_payments")
    for name, port in (("accept_floor", floor_port), ("post_payments", ingress_port)):
        half_max_rate(stack, env, token, name, port, post_best / 2, args, results)
    stack.stop(floor)
    # GET: the bare endpoint's, a cache hit, then with Redis unreachable (every read from Postgres)
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
    for name, port in (("bare_falcon", bare_port), ("cache_hit", ingress_port)):
        stats = wrk(f"http://127.0.0.1:{port}", "bench/get.lua", 32, args.seconds, wenv, stack.sampler())
        results["get"].append({"target": name, **stats})
    stack.stop(ingress)
    stack.stop(bare)
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
        row["cpu_ms_per_request"] = per_unit(row["cpu"], row["requests"])
        print(
            f"  GET {row['target']:11} {row['rps']:>8.1f} req/s  "
            f"p50 {row['p50_ms']:.1f} ms  p99 {row['p99_ms']:.1f} ms"
        )
        print("    " + describe(row["cpu"]), flush=True)
        print("    " + describe_per_unit(row["cpu"], row["requests"], "request"), flush=True)
    stack.stop(miss)


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
            "processes": 1,
            "threads": int(env["PAYWAVE_WORKER_THREADS"]),
            "payments": args.e2e,
            "accepted": codes.count(202),
            "post_seconds": round(posted, 2),
            "post_per_s": round(args.e2e / posted, 1),
            "terminal_seconds": round(total, 2),
            "payments_per_s": round(args.e2e / total, 1),
            "cpu": cpu.result(),
        }
        row["cpu_ms_per_payment"] = per_unit(row["cpu"], args.e2e)
        results["e2e"].append(row)
        print(
            f"  e2e {args.e2e} payments, gateway latency {latency} ms: accepted {row['post_per_s']}/s, "
            f"terminal {row['payments_per_s']}/s ({total:.1f} s)",
            flush=True,
        )
        print("    " + describe(row["cpu"]), flush=True)
        print("    " + describe_per_unit(row["cpu"], args.e2e, "payment"), flush=True)
    requests.delete(sandbox_url + "/_sandbox/faults", timeout=5)
    stack.stop(worker)
    stack.stop(ingress)
    floor = charge_floor(stack, env, args.e2e, 1)
    results["charge_floor"].append(floor)
    print(
        f"  charge floor, a backlog of {args.e2e} with 1 process x {floor['threads']} threads: "
        f"{floor['payments_per_s']} payments/s ({floor['seconds']} s)",
        flush=True,
    )
    print("    " + describe(floor["cpu"]), flush=True)
    print("    " + describe_per_unit(floor["cpu"], args.e2e, "payment"), flush=True)
    best = next(r for r in results["e2e"] if r["gateway_latency_ms"] == 0)["payments_per_s"]
    scenario_final(stack, env, token, args, results, sandbox_url, [("steady", 20.0), ("half_max", best / 2)])
    scenario_radar(env, args, results)


def charge_floor(stack, env, n, processes, extra=None):
    """Drain a backlog of ``n`` charges by the charge floor (bench/charge_floor.py) with ``processes`` and the
    pool's threads. Returns a row: payments/s, seconds, CPU.

    Parameters:
      extra: Environment for the floor's processes (the round-trip counters' addresses).
    """
    threads = env["PAYWAVE_WORKER_THREADS"]
    queue = env["PAYWAVE_QUEUE_PREFIX"] + "bench.charge_floor"
    with psycopg2.connect(env["PAYWAVE_DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO floor_charge (id, merchant_id, status, amount, currency, capture, route, metadata,"
            " created_at, updated_at) SELECT 'pay_floor' || i, 'floor', 'processing', 1000 + i %% 100, 'USD',"
            " 'automatic', 'stripe', '{}', now(), now() FROM generate_series(1, %s) AS i",
            (n,),
        )
    code = (
        "import bench.charge_floor as f\n"
        f"for i in range(1, {n} + 1): f.charge.send('pay_floor' + str(i), 1000 + i % 100)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**env, "BENCH_QUEUE": queue}, check=True)
    with stack.sampler() as cpu:
        worker = stack.start(
            "worker",
            "-m",
            "dramatiq",
            "bench.charge_floor",
            "--processes",
            str(processes),
            "--threads",
            threads,
            "--queues",
            queue,
            BENCH_QUEUE=queue,
            dramatiq_queue_prefetch=threads,
            **(extra or {}),
        )
        with psycopg2.connect(env["PAYWAVE_DATABASE_URL"]) as conn, conn.cursor() as cur:
            while True:
                cur.execute("SELECT count(*) FROM floor_charge WHERE status = 'processing'")
                if not cur.fetchone()[0]:
                    break
                time.sleep(0.1)
    stack.stop(worker)
    with psycopg2.connect(env["PAYWAVE_DATABASE_URL"]) as conn, conn.cursor() as cur:
        # from the first charge to the last: the worker's start-up is not the floor's
        cur.execute("SELECT extract(epoch FROM max(updated_at) - min(updated_at)) FROM floor_charge")
        seconds = float(cur.fetchone()[0])
        cur.execute("DELETE FROM floor_charge")
    return {
        "backlog": n,
        "processes": processes,
        "threads": int(threads),
        "seconds": round(seconds, 2),
        "payments_per_s": round((n - 1) / seconds, 1),
        "cpu": cpu.result(),
    }


def scenario_final(stack, env, token, args, results, sandbox_url, rates):
    """Time to final status (bench/final.py) at each of ``rates`` payments/s, sandbox at zero latency:
    ingress, relay, stripe pool (1 process) and sandbox as in e2e."""
    cancel_leftovers(env)
    requests.post(sandbox_url + "/_sandbox/faults", json={"latency_ms": 0}, timeout=5)
    port = free_port()
    ingress = stack.start(
        "ingress", "-m", "cli", "ingress", "--port", str(port), ready=f"http://127.0.0.1:{port}/healthz"
    )
    worker = stack.start(
        "worker", "-m", "cli", "worker", "--pool", "stripe", "--processes", "1", dramatiq_prom_port="0"
    )
    local = threading.local()

    def post():
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session.post(
            f"http://127.0.0.1:{port}/payments",
            json=PAYMENT,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    final.measure(post, env["PAYWAVE_DATABASE_URL"], 10, 2)  # warm up: connections, worker threads
    for label, rate in rates:
        with stack.sampler(own="load_generator") as cpu:
            row = final.measure(post, env["PAYWAVE_DATABASE_URL"], rate, args.seconds)
        row.update(label=label, cpu=cpu.result())
        results["final"].append(row)
        print(f"  time to final status at {rate:g}/s ({label}): {final.describe(row)}", flush=True)
        print("    " + describe(row["cpu"]), flush=True)
    stack.stop(worker)
    stack.stop(ingress)


def scenario_trips(stack, env, token, args, results, n=300):
    """SQL and Redis round trips, counted on the wire (bench/roundtrips.py): per POST (the ingress, its relay
    included, and the accept floor) over ``n`` POSTs, and per charge (the stripe pool and the charge floor)
    over a backlog of ``n``."""
    import concurrent.futures

    pg, rd = Counter.for_url(PG), Counter.for_url(REDIS)
    counted = {
        "PAYWAVE_DATABASE_URL": pg.url(env["PAYWAVE_DATABASE_URL"]),
        "PAYWAVE_REDIS_URL": rd.url(REDIS),
    }

    def posts(port):
        session = requests.Session()

        def post(_):
            return session.post(
                f"http://127.0.0.1:{port}/payments",
                json=PAYMENT,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ).status_code

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            assert set(pool.map(post, range(n))) == {202}

    def count(kind, target):
        row = {"kind": kind, "target": target, "units": n, "sql": pg.reset() / n, "redis": rd.reset() / n}
        row["sql"], row["redis"] = round(row["sql"], 2), round(row["redis"], 2)
        results["round_trips"].append(row)
        print(f"  {target:14} per {kind}: {row['sql']} SQL, {row['redis']} Redis round trips", flush=True)

    try:
        cancel_leftovers(env)
        for target, argv in (
            ("post_payments", ("-m", "cli", "ingress")),
            ("accept_floor", ("-m", "bench.accept_floor", "--workers", "1", "--threads", "4")),
        ):
            port = free_port()
            proc = stack.start(
                target, *argv, "--port", str(port), ready=f"http://127.0.0.1:{port}/payments", **counted
            )
            pg.reset(), rd.reset()  # what starting up sent is not a POST's
            posts(port)
            relayed(env["PAYWAVE_DATABASE_URL"])
            stack.stop(proc)
            count("POST", target)
        cancel_leftovers(env)
        backlog(env, n)
        pg.reset(), rd.reset()
        worker = stack.start(
            "worker",
            "-m",
            "cli",
            "worker",
            "--pool",
            "stripe",
            "--processes",
            "1",
            dramatiq_prom_port="0",
            **counted,
        )
        while pending(env["PAYWAVE_DATABASE_URL"]):
            time.sleep(0.2)
        stack.stop(worker)
        count("charge", "stripe_pool")
        charge_floor(stack, env, n, 1, counted)
        count("charge", "charge_floor")
    finally:
        pg.close()
        rd.close()


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
    parser.add_argument("--only", choices=["http", "e2e", "drain", "final", "trips"], default=None)
    parser.add_argument(
        "--out", default=os.path.join(ROOT, "bench", "results"), help="directory for the JSON and PNG"
    )
    args = parser.parse_args()

    run = secrets.token_hex(3)
    database_url, drop_database = scratch_database(run)
    stack = Stack({}, database=database_url.rsplit("/", 1)[1])
    results = {
        "post": [],
        "rate": [],
        "get": [],
        "e2e": [],
        "charge_floor": [],
        "final": [],
        "round_trips": [],
        "radar": [],
        "drain": [],
    }
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
            # the bench's ingresses run one at a time; another ingress on this machine holds the default port
            "PAYWAVE_INGRESS_METRICS_PORT": str(free_port()),
            # the limiter runs (its cost is measured) with a budget no load here reaches
            "PAYWAVE_RATE_LIMIT_OVERRIDES": "bench:1000000:1000000",
        }
        stack.env = env
        subprocess.run(
            [sys.executable, "-m", "cli", "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
            floor_tables(cur)
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
        if args.only == "final":
            print("Time to final status (created -> succeeded, sandbox at 0 ms):", flush=True)
            scenario_final(
                stack, env, token, args, results, f"http://127.0.0.1:{sandbox_port}", [("steady", 20.0)]
            )
        if args.only in (None, "trips"):
            print("Round trips, counted on the wire:", flush=True)
            scenario_trips(stack, env, token, args, results)
        if args.only in (None, "drain"):
            print("Backlog drain (stripe pool vs no-op actor, same processes and threads):", flush=True)
            scenario_drain(stack, env, args, results)
    finally:
        stack.close()
        drop_database()
        delete_queues(f"bench{run}.", args.processes)
        redis.Redis.from_url(REDIS).delete(*(redis.Redis.from_url(REDIS).keys(f"bench{run}*") or ["-"]))
    summary = summarize(results, args.connections)
    summary["goals"] = goals(summary)
    print("Summary:", json.dumps(summary, indent=1))
    print("Issue 17's goals:")
    for line in verdicts(summary):
        print("  " + line)
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
