"""The database handle: one peewee proxy, bound at start from the configured URL."""
import urllib.parse

import peewee
from playhouse.pool import PooledPostgresqlDatabase

database = peewee.DatabaseProxy()


class DatabaseUnavailable(Exception):
    """Postgres (or SQLite) cannot be reached; callers answer 503 and write nothing."""


def open_database(url: str, max_connections: int = 32) -> peewee.Database:
    """Open (lazily) the database at ``url`` and bind the models' proxy to it.

    Parameters:
      url: ``postgresql://user:pass@host:port/name`` or ``sqlite:///path`` (``sqlite:///:memory:``).
      max_connections: Pool size per process for Postgres; connections are reused, never
        opened per request.

    Returns:
      The peewee database, also bound to ``store.db.database``.
    """
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("postgres", "postgresql"):
        params = dict(urllib.parse.parse_qsl(parsed.query))
        db = PooledPostgresqlDatabase(
            parsed.path.lstrip("/"),
            host=parsed.hostname, port=parsed.port or 5432,
            user=urllib.parse.unquote(parsed.username or "") or None,
            password=urllib.parse.unquote(parsed.password or "") or None,
            max_connections=max_connections, stale_timeout=300, timeout=10,
            connect_timeout=int(params.pop("connect_timeout", 3)),
            **params,
        )
    elif parsed.scheme == "sqlite":
        path = url[len("sqlite:///"):] or ":memory:"
        # WAL + busy timeout: the dev server's threads write concurrently.
        db = peewee.SqliteDatabase(path, check_same_thread=False, lock_type="IMMEDIATE",
                                   pragmas={"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1})
    else:
        raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")
    database.initialize(db)
    return db


def is_postgres(db=None) -> bool:
    db = db or database.obj
    return isinstance(db, peewee.PostgresqlDatabase)


def locked(query, skip_locked=False):
    """``SELECT ... FOR UPDATE`` on Postgres; SQLite serializes writers by itself."""
    return query.for_update(skip_locked=skip_locked or None) if is_postgres() else query


def try_lock(key: int) -> bool:
    """A transaction-scoped advisory lock on Postgres (True when taken); SQLite: always True."""
    if not is_postgres():
        return True
    return database.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (key,)).fetchone()[0]
