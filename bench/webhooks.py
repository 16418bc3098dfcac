"""``python -m bench.webhooks``: webhook deliveries per second to a local receiver.

``--events`` events (default 2,000) for one merchant with one endpoint, written the
real way (``payment.updated`` through ``store.payments.record``: event, fan-out,
delivery and outbox job in one transaction); then ``paywave worker --pool webhooks``
(Dramatiq on RabbitMQ, ``--processes`` × ``--threads``) publishes them from the
outbox and delivers them, signed, to a receiver in its own process answering ``204``.
The rate is taken between the first and the last attempt recorded (worker start-up
excluded).  The ceiling beside it: the same receiver driven by the bare sender, same
threads, no broker or database.
"""

import argparse
import concurrent.futures
import http.server
import multiprocessing
import os
import secrets
import shutil
import tempfile
import time

import psycopg2
import redis

from bench.__main__ import AMQP, REDIS, Stack, delete_queues, free_port, scratch_database


class _Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint would

    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _serve(port):
    http.server.ThreadingHTTPServer(("127.0.0.1", port), _Receiver).serve_forever()


def write_events(n, merchant, url):
    """An endpoint for ``merchant`` and ``n`` events with their deliveries and jobs (not yet published)."""
    from shared.config import Config
    from store import attempts, deliveries, payments
    from store.db import database
    from store.vault import Vault

    config = Config.from_env()
    vault = Vault.from_config(config)
    deliveries.create_endpoint(merchant, url, ["payment.updated"], "bench", vault, livemode=True)
    payment, _ = payments.create(
        merchant,
        dict(
            amount=1000,
            currency="USD",
            capture="automatic",
            route="stripe",
            gateway_preference=None,
            description=None,
            metadata={},
            customer=None,
        ),
        lambda pid: vault.seal_card(pid, "4242424242424242", 12, 2031, None),
        livemode=True,
    )  # its job is published, never consumed here
    for start in range(0, n, 100):
        with database.atomic():
            locked = attempts.lock(payment.id)
            for _ in range(min(100, n - start)):
                payments.record(locked, event="payment.updated")


def progress(database_url, merchant):
    """``(deliveries succeeded, seconds from the first attempt to the last)`` of ``merchant``."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE d.status = 'succeeded'), "
            "EXTRACT(EPOCH FROM max(a.created_at) - min(a.created_at)) "
            "FROM webhook_delivery d JOIN event e ON e.id = d.event_id "
            "LEFT JOIN webhook_attempt a ON a.delivery_id = d.id WHERE e.merchant_id = %s",
            (merchant,),
        )
        done, seconds = cur.fetchone()
        return done, float(seconds or 0)


def ceiling(url, n, threads):
    """Bare sender posts per second: the HTTP side alone."""
    from shared.ssrf import Policy
    from workers.delivery_http import Sender

    sender = Sender(Policy(allow_http=True, allowed_hosts=("127.0.0.1/32",)), 3.0, 10.0, threads)
    body = b'{"id": "evt_bench", "object": "event"}' * 20
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        assert all(
            o.ok
            for o in pool.map(
                lambda _: sender.post(url, body, {"content-type": "application/json"}), range(n)
            )
        )
    return n / (time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[8])
    args = parser.parse_args()

    run = secrets.token_hex(3)
    database_url, drop_database = scratch_database(run)
    port = free_port()
    receiver = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port}/hooks"
    heartbeat = os.path.join(tempfile.mkdtemp(prefix="bench-webhooks-"), "heartbeat")
    env = {
        **os.environ,
        "PAYWAVE_DATABASE_URL": database_url,
        "PAYWAVE_REDIS_URL": REDIS,
        "PAYWAVE_BROKER_URL": AMQP,
        "PAYWAVE_QUEUE_PREFIX": f"bench{run}.",
        "PAYWAVE_CACHE_PREFIX": f"bench{run}:",
        "PAYWAVE_LOG_LEVEL": "warning",
        "PAYWAVE_WEBHOOK_ALLOW_HTTP": "true",
        "PAYWAVE_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1/32",
        "PAYWAVE_STUCK_AFTER_SECONDS": "3600",
        "PAYWAVE_HEARTBEAT_FILE": heartbeat,
    }
    os.environ.update(env)  # for write_events, in this process
    stack = Stack(env)
    try:
        from store.db import open_database
        from store.migrate import migrate

        open_database(database_url)
        migrate()
        time.sleep(0.3)  # the receiver's socket
        for threads in args.threads:
            merchant = f"bench_t{threads}"
            write_events(args.events, merchant, url)
            started = time.monotonic()
            worker = stack.start(
                "-m",
                "cli",
                "worker",
                "--pool",
                "webhooks",
                "--processes",
                str(args.processes),
                "--threads",
                str(threads),
                dramatiq_prom_port="0",
            )
            while (done := progress(database_url, merchant))[0] < args.events:
                if worker.poll() is not None:
                    raise SystemExit("the webhooks worker exited")
                time.sleep(0.1)
            wall = time.monotonic() - started
            stack.stop(worker)
            rate, bare = (args.events - 1) / done[1], ceiling(url, args.events, threads)
            print(
                f"webhooks: {args.events} deliveries, {args.processes} process(es) x {threads} threads: "
                f"{rate:.0f} deliveries/s over {done[1]:.2f} s ({wall:.1f} s with the worker's start); "
                f"bare sender {bare:.0f} posts/s; ratio {rate / bare:.2f}",
                flush=True,
            )
    finally:
        stack.close()
        receiver.terminate()
        shutil.rmtree(os.path.dirname(heartbeat), ignore_errors=True)
        drop_database()
        delete_queues(f"bench{run}.", [])
        r = redis.Redis.from_url(REDIS)
        r.delete(*(r.keys(f"bench{run}*") or ["-"]))


if __name__ == "__main__":
    main()
