"""PayWave's own processes started from a test: ``paywave`` subcommands, worker pools, an ingress."""

import os
import signal
import subprocess
import sys

from shared.net import free_port, wait_http
from tests.support import leakscan

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Process:
    """A ``paywave`` subcommand in a child process, stopped at teardown."""

    def __init__(self, args, env=None):
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "cli", *self.args], cwd=ROOT, env=self.env)
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


class WorkerProcess:
    """``paywave worker --pool NAME`` in its own process group (so SIGKILL reaches all its processes)."""

    def __init__(self, cfg, pool, threads=2):
        self.metrics_port = free_port()
        with leakscan.log_file(f"worker-{pool}") as log:  # its logs, scanned for card data at the end
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cli",
                    "worker",
                    "--pool",
                    pool,
                    "--processes",
                    "1",
                    "--threads",
                    str(threads),
                ],
                cwd=ROOT,
                env={**os.environ, **cfg.as_environ(), "PAYWAVE_METRICS_PORT": str(self.metrics_port)},
                start_new_session=True,
                stderr=log,
            )

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def start_ingress(cfg, port=None, log_name="ingress-killed"):
    """``paywave ingress`` configured by ``cfg``, in its own process group, its log (JSON lines and errors)
    in the leak scan's file ``log_name`` (``leakscan.log_file(log_name, "rb")`` reads it).

    Parameters:
      port: Where it listens (e.g. the one ``cfg.public_url`` names); None: a free one.

    Returns:
      ``(process, base URL)`` once ``/healthz`` answers.
    """
    port = port or free_port()
    with leakscan.log_file(log_name) as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "ingress", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **cfg.as_environ(), "PAYWAVE_INGRESS_METRICS_PORT": str(free_port())},
            start_new_session=True,
            stdout=log,
            stderr=log,
        )
    wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout=30)
    return proc, f"http://127.0.0.1:{port}"
