"""Local TCP helpers for starting servers and waiting for them: the dev runner, the tests and the
benchmarks."""

import socket
import subprocess
import time

import requests


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS's choice, released at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None = None, timeout: float = 20.0) -> None:
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
