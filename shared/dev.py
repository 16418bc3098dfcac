"""``paywave dev`` (and ``make run``): the whole service from one command.

With no ``PAYWAVE_BROKER_URL`` everything runs in one process: SQLite, an
in-process broker and workers, an in-process cache.  With real services
configured, each role runs as its own child process in this process group.
Gateway sandboxes start as children unless their API base is configured.
"""
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time

import requests

from ingress.auth import Authenticator
from shared.config import Config
from shared.server import serve
from workers.pools import POOLS

SANDBOX_PORTS = {"stripe": 12111, "paypal": 12112}
EXAMPLE = json.dumps({"amount": 1050, "currency": "USD", "payment_method": {
    "type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}}})


def _child(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "shared.cli", *args], env={**os.environ, **(env or {})})


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS's choice, released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, proc=None, timeout=20.0):
    """Wait until ``url`` answers, failing early when ``proc`` (the process serving it) exits.

    Raises:
      RuntimeError: the process exited, or ``url`` did not answer within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # gunicorn accepts before its workers boot
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


def start_sandboxes(config):
    """Start a sandbox for each gateway without a configured API base; returns (config, children)."""
    children, bases = [], {}
    for name, port in SANDBOX_PORTS.items():
        if getattr(config, f"{name}_api_base"):
            continue
        proc = _child("sandbox", name, "--port", str(port))
        wait_http(f"http://127.0.0.1:{port}/_sandbox/faults", proc)
        children.append(proc)
        bases[f"{name}_api_base"] = f"http://127.0.0.1:{port}"
    return dataclasses.replace(config, **bases), children


def banner(config, port):
    token = Authenticator(config).mint("acme", ttl_seconds=30 * 86400)
    base = f"http://127.0.0.1:{port}"
    print(f"""
PayWave is running at {base}
  dev token (merchant acme, 30 days):
    export TOKEN={token}
  create a payment:
    curl -s -X POST {base}/payments -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      -H "Idempotency-Key: $(date +%s%N)" \\
      -d '{EXAMPLE}'
  then poll it:
    curl -s {base}/payments/<id> -H "Authorization: Bearer $TOKEN"
""", flush=True)


def _embedded_app(config):
    import dramatiq

    from ingress.app import create_app
    from shared.logging import configure
    from store.db import open_database
    from store.migrate import migrate
    from store.vault import Vault
    from workers import runtime
    from workers.broker import reachable

    configure(config.log_level)
    open_database(config.database_url)
    migrate()
    rt = runtime.build(config, sweeper=True, heartbeat=False)
    worker = dramatiq.Worker(rt.broker, worker_threads=config.worker_threads)
    worker.start()
    return create_app(config, vault=Vault.from_config(config), cache=rt.context.cache, relay=rt.relay,
                      broker_check=lambda: reachable(rt.broker))


def run(port, host="127.0.0.1"):
    config = Config.from_env()
    config.warn_dev_defaults()
    config, children = start_sandboxes(config)
    env = {"PAYWAVE_STRIPE_API_BASE": config.stripe_api_base, "PAYWAVE_PAYPAL_API_BASE": config.paypal_api_base}
    os.environ.update(env)
    try:
        if not config.broker_url:
            banner(config, port)
            serve(lambda: _embedded_app(config), host=host, port=port, workers=1, threads=config.web_threads)
            return
        subprocess.run([sys.executable, "-m", "shared.cli", "migrate"], check=True)
        children.append(_child("ingress", "--host", host, "--port", str(port)))
        children += [_child("worker", "--pool", pool) for pool in POOLS]
        wait_http(f"http://{host}:{port}/healthz", children[-len(POOLS) - 1])
        banner(config, port)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(30)
