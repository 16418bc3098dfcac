"""`paywave dev` (what `make run` starts): one command serves the API, and the printed curl creates
a payment that the in-process workers charge."""

import contextlib
import email.policy
import json
import mailbox
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from cli.dev import busy_ports
from shared.net import free_port, wait_http
from shared.queues import POOLS
from tests.support.processes import ROOT


def dev_env(sandboxes, **settings):
    """The environment of a `paywave dev` child: no PAYWAVE_* of ours but ``settings``, the run's
    sandboxes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYWAVE_")}
    env.update(
        PAYWAVE_STRIPE_API_BASE=sandboxes["stripe"],
        PAYWAVE_PAYPAL_API_BASE=sandboxes["paypal"],
        PYTHONPATH=ROOT,
        **settings,
    )
    return env


def run_dev(tmp_path, env, port):
    """`paywave dev` expected to stop at once: its exit code and its output's lines."""
    out = subprocess.run(
        [sys.executable, "-m", "cli", "dev", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )
    return out.returncode, out.stdout.splitlines()


def test_dev_serves_the_api_and_its_printed_example_is_charged(tmp_path, sandboxes):
    port = free_port()
    env = dev_env(sandboxes)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "dev", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        banner = ""
        deadline = time.monotonic() + 60
        while "/_dev/mail\n" not in banner and time.monotonic() < deadline:
            banner += proc.stdout.readline()
        token = re.search(r"export TOKEN=(\S+)", banner).group(1)
        example = json.loads(re.search(r"-d '(\{.*\})'", banner).group(1))
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a busy machine
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(base + "/payments", json=example, headers=headers, timeout=5)
        assert created.status_code == 202
        status = None
        while time.monotonic() < deadline and status != "succeeded":
            status = requests.get(base + created.headers["Location"], headers=headers, timeout=5).json()[
                "status"
            ]
            time.sleep(0.1)
        assert status == "succeeded"
        assert (tmp_path / "paywave.db").exists()  # SQLite, in the working directory
        login = json.loads(re.search(r"--data '(\{.*\})'", banner).group(1))
        assert login["email"] == "owner@example.test"
        tokens = requests.post(base + "/auth/login", json=login, timeout=5).json()
        me = requests.get(
            base + "/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
        )
        assert me.json()["role"] == "owner"  # the demo owner of the dev merchant
        assert f"{base}/dashboard" in banner
        sign_in = requests.get(base + "/dashboard/login", timeout=5)  # the dashboard, on the API's port
        assert sign_in.status_code == 200 and "Sign in to PayWave" in sign_in.text
        shop_pays_with_a_token(re.search(r"(http://\S+/checkout/demo)\n", banner).group(1), base)
        assert f"{base}/_dev/mail\n" in banner
        receipts_are_caught(base, deadline, tmp_path / "paywave-mail")
    finally:
        proc.terminate()
        proc.wait(30)


def receipts_are_caught(base, deadline, maildir):
    """Both payments' receipts (the printed example's and the demo shop's) at ``/_dev/mail``, sent by the
    notifications pool to the in-process catcher; the demo shop's printed as caught (the README shows it:
    ``pytest -s``)."""
    listed = ""
    while time.monotonic() < deadline and listed.count("Your receipt from") < 2:
        time.sleep(0.1)
        listed = requests.get(base + "/_dev/mail", timeout=5).text
    subjects = re.findall(r'<a href="(/_dev/mail/[^"]+)">([^<]+)</a>', listed)
    assert sorted(subject for _, subject in subjects) == [
        "Your receipt from acme: $10.50",
        "Your receipt from acme: $49.00",
    ]
    assert "customer@example.test" in listed
    page = requests.get(base + subjects[0][0], timeout=5)
    assert page.headers["content-security-policy"] == "sandbox"
    assert "Visa ending in 4242" in page.text and "4242424242424242" not in page.text
    [receipt] = [m for m in mailbox.Maildir(maildir, create=False) if m["Subject"].endswith("$49.00")]
    print(receipt.as_string(policy=email.policy.default.clone(max_line_length=200)))


def shop_pays_with_a_token(shop, base):
    """The demo checkout printed by the banner, driven without a browser: its page's publishable key makes a
    token, and its server side pays with it."""
    assert shop == base.replace("127.0.0.1", "localhost") + "/checkout/demo"  # another origin than the API's
    page = requests.get(shop, timeout=5)
    assert page.status_code == 200 and f'src="{base}/v1/paywave.js"' in page.text
    key = re.search(r'data-key="(pk_test_\w+)"', page.text).group(1)
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    headers = {"Authorization": f"Bearer {key}"}
    token = requests.post(base + "/tokens", json={"card": card}, headers=headers, timeout=5)
    origin = {"Origin": shop.removesuffix("/checkout/demo")}
    payment = requests.post(
        shop + "/pay", json={"token": token.json()["id"]}, headers=origin, timeout=10
    ).json()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and payment["status"] != "succeeded":
        time.sleep(0.1)
        payment = requests.get(f"{shop}/payments/{payment['id']}", headers=origin, timeout=5).json()
    assert payment["status"] == "succeeded" and payment["amount"] == 4900


def test_a_busy_port_is_one_line_before_anything_starts(tmp_path, sandboxes):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, lines = run_dev(tmp_path, dev_env(sandboxes), port)
    assert code != 0 and len(lines) == 1, lines
    assert str(port) in lines[0] and "in use" in lines[0]
    assert not (tmp_path / "paywave.db").exists()  # nothing started


@pytest.mark.parametrize("kind", ["no-such-database", "nothing-listens", "no-such-directory"])
def test_a_database_that_cannot_be_opened_is_one_line(tmp_path, sandboxes, service_urls, kind):
    postgres = service_urls["postgres"].rsplit("/", 1)[0]
    url = {
        "no-such-database": f"{postgres}/paywave_missing_{secrets.token_hex(4)}",
        "nothing-listens": f"postgresql://paywave:hunter2-password@127.0.0.1:{free_port()}/paywave",
        "no-such-directory": f"sqlite:///{tmp_path}/missing/paywave.db",
    }[kind]
    code, lines = run_dev(tmp_path, dev_env(sandboxes, PAYWAVE_DATABASE_URL=url), free_port())
    assert code != 0 and len(lines) == 1, lines
    assert "database" in lines[0] and "Traceback" not in lines[0] and "hunter2" not in lines[0]


def free_block(count) -> int:
    """The first of ``count`` consecutive free ports, below the ephemeral range (where client sockets
    take ports from under a block picked there)."""
    while True:
        first = 20_000 + secrets.randbelow(10_000)
        if not busy_ports("127.0.0.1", range(first, first + count)):
            return first


def test_with_real_services_each_pool_serves_metrics_on_its_own_port_and_sigterm_stops_every_child(
    tmp_path, sandboxes, config
):
    port, metrics = free_port(), free_block(len(POOLS))
    env = dev_env(sandboxes, **{k: v for k, v in config.as_environ().items() if not k.endswith("_API_BASE")})
    env.update(
        PAYWAVE_METRICS_PORT=str(metrics),
        PAYWAVE_INGRESS_METRICS_PORT=str(free_port()),
        PAYWAVE_WEB_WORKERS="1",
        PAYWAVE_WORKER_THREADS="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "dev", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    children = []
    try:
        banner, deadline = "", time.monotonic() + 90
        while "PayWave is running" not in banner and time.monotonic() < deadline and proc.poll() is None:
            banner += proc.stdout.readline()
        assert "PayWave is running" in banner
        ports = {}
        for pid in os.listdir("/proc"):
            try:
                with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/environ", "rb") as environ:
                    parent, variables = (
                        int(stat.read().rsplit(")", 1)[1].split()[1]),
                        environ.read().split(b"\0"),
                    )
            except (OSError, ValueError):
                continue
            if parent != proc.pid:
                continue
            children.append(int(pid))
            pool = [v for v in variables if v.startswith(b"PAYWAVE_POOL=")]
            if pool:
                ports[pool[0].split(b"=")[1]] = int(
                    next(v for v in variables if v.startswith(b"dramatiq_prom_port=")).split(b"=")[1]
                )
        assert len(ports) == len(POOLS) and len(set(ports.values())) == len(POOLS), ports
        for metrics_port in ports.values():
            wait_http(f"http://127.0.0.1:{metrics_port}/metrics", proc, timeout=30)
        proc.terminate()  # as `kill` or an orchestrator stops it: the children must not outlive it
        proc.wait(60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and [p for p in children if os.path.exists(f"/proc/{p}")]:
            time.sleep(0.2)
        assert not [p for p in children if os.path.exists(f"/proc/{p}")], "children outlived paywave dev"
    finally:
        proc.kill()
        proc.wait(60)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
