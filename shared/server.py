"""Run a WSGI app under gunicorn from our own CLI (no gunicorn config files)."""
from gunicorn.app.base import BaseApplication
from prometheus_client import multiprocess

from shared import metrics


class _Embedded(BaseApplication):
    def __init__(self, load_app, options):
        self._load_app = load_app
        self._options = options
        super().__init__()

    def load_config(self):
        for key, value in self._options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        return self._load_app()


def _worker_exited(server, worker):
    multiprocess.mark_process_dead(worker.pid)  # its live gauges no longer count


def serve(load_app, *, host="127.0.0.1", port=8000, workers=1, threads=8, metrics_port=None, **options):
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
        options = {"when_ready": lambda arbiter: metrics.serve(metrics_port, host), "child_exit": _worker_exited,
                   **options}
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
