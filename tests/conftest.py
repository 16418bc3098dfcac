"""Fixtures shared by the whole suite: processes, ports, the real services."""
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=20.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


class Process:
    """A ``paywave`` subcommand in a child process, stopped at teardown."""

    def __init__(self, args, env=None):
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "shared.cli", *self.args],
                                     cwd=ROOT, env=self.env)
        return self

    def stop(self, sig=None):
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def start_sandbox():
    """Factory: ``start_sandbox("stripe", "--latency-ms", "5") -> base URL``.

    Every sandbox started is stopped at the end of the session.
    """
    started = []

    def start(name, *flags):
        port = free_port()
        proc = Process(["sandbox", name, "--port", str(port), *flags]).start()
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/_sandbox/faults", proc=proc.proc)
        return url

    yield start
    for proc in started:
        proc.stop()
