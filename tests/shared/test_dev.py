"""`paywave dev` (what `make run` starts): one command serves the API, and the printed curl creates
a payment that the in-process workers charge."""
import json
import os
import re
import subprocess
import sys
import time

import requests

from shared.dev import free_port
from tests.conftest import ROOT


def test_dev_serves_the_api_and_its_printed_example_is_charged(tmp_path, sandboxes):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYWAVE_")}
    env.update(PAYWAVE_STRIPE_API_BASE=sandboxes["stripe"], PAYWAVE_PAYPAL_API_BASE=sandboxes["paypal"],
               PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, "-m", "shared.cli", "dev", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = ""
        deadline = time.monotonic() + 60
        while "then poll it" not in banner and time.monotonic() < deadline:
            banner += proc.stdout.readline()
        token = re.search(r"export TOKEN=(\S+)", banner).group(1)
        example = json.loads(re.search(r"-d '(\{.*\})'", banner).group(1))
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {token}"}
        created = requests.post(base + "/payments", json=example, headers=headers, timeout=5)
        assert created.status_code == 202
        status = None
        while time.monotonic() < deadline and status != "succeeded":
            status = requests.get(base + created.headers["Location"], headers=headers, timeout=5).json()["status"]
            time.sleep(0.1)
        assert status == "succeeded"
        assert (tmp_path / "paywave.db").exists()  # SQLite, in the working directory
    finally:
        proc.terminate()
        proc.wait(30)
