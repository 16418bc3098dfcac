"""``/healthz`` (process up), ``/readyz`` (dependencies reachable); metrics have their own port
(``shared.metrics``)."""

from store.db import database


class Health:
    public = True

    def on_get(self, req, resp):
        resp.media = {"status": "ok"}


class Ready:
    """503 with the failing checks when the database, the broker or the cache is unreachable."""

    public = True

    def __init__(self, cache, broker_check):
        self.cache = cache
        self.broker_check = broker_check

    def on_get(self, req, resp):
        checks = {
            "database": _database_ok(),
            "broker": _safe(self.broker_check),
            "cache": _safe(self.cache.ping),
        }
        ready = all(checks.values())
        resp.status = 200 if ready else 503
        resp.media = {
            "status": "ready" if ready else "unavailable",
            "checks": {name: "ok" if ok else "failing" for name, ok in checks.items()},
        }


def _safe(check):
    try:
        return bool(check())
    except Exception:
        return False


def _database_ok():
    try:
        with database.connection_context():
            database.execute_sql("SELECT 1")
        return True
    except Exception:
        return False
