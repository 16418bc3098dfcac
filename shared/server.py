"""Run a WSGI app under gunicorn from our own CLI (no gunicorn config files)."""

from collections.abc import Callable
from typing import Any
from wsgiref.types import WSGIApplication

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker
from prometheus_client import multiprocess

from shared import metrics


class _Embedded(BaseApplication):
    def __init__(self, load_app: Callable[[], WSGIApplication], options: dict[str, Any]) -> None:
        self._load_app = load_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        return self._load_app()


def _worker_exited(server: Arbiter, worker: Worker) -> None:
    multiprocess.mark_process_dead(worker.pid)  # its live gauges no longer count


def serve(
    load_app: Callable[[], WSGIApplication],
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    threads: int = 8,
    metrics_port: int | None = None,
    **options: Any,
) -> None:
    """Serve ``load_app()`` (called once per gunicorn worker, after fork).

    Parameters:
      load_app: Zero-argument callable returning the WSGI app.
      workers: Gunicorn worker processes.
      threads: Threads per worker (``gthread`` worker class when above 1).
      metrics_port: Serve the Prometheus exposition on ``host:metrics_port``, never on ``port``: once,
        from the master, aggregating every worker's series (``PROMETHEUS_MULTIPROC_DIR`` must be set).
      options: Any other gunicorn setting, e.g. ``post_worker_init``.
    """
    if metrics_port is not None:
        options = {
            "when_ready": lambda arbiter: metrics.serve(metrics_port, host),
            "child_exit": _worker_exited,
            **options,
        }
    settings = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "accesslog": None,
        "keepalive": 30,
        "graceful_timeout": 30,
        "timeout": 60,
        **options,
    }
    _Embedded(load_app, settings).run()
