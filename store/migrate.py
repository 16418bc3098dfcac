"""Versioned migrations: ``store/migrations/mNNNN_name.py`` files, applied once each, in order.

Each migration is a list of SQL statements written once for both Postgres and
SQLite, with a few per-dialect placeholders; what the two write differently (triggers) a migration
lists in ``BY_DIALECT``, run after its ``STATEMENTS``.  ``migrate()`` is idempotent and
safe to run from several processes at once (an advisory lock on Postgres).
"""

import importlib
import pkgutil
from types import ModuleType

import peewee

from store import migrations
from store.db import database, is_postgres
from store.models import utcnow

DIALECTS = {
    "postgres": {
        "id": "BIGSERIAL PRIMARY KEY",
        "bigint": "BIGINT",
        "bool": "BOOLEAN",
        "false": "FALSE",
        "true": "TRUE",
        "key_digest": "UPDATE idempotency_record SET key = encode(sha256(convert_to(key, 'UTF8')), 'hex')",
    },
    # SQLite (development only: production refuses it) has no sha256: its few-hour-old records are dropped.
    "sqlite": {
        "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "bigint": "INTEGER",
        "bool": "INTEGER",
        "false": "0",
        "true": "1",
        "key_digest": "DELETE FROM idempotency_record",
    },
}
_LOCK_ID = 0x70617977  # "payw"


def available() -> list[tuple[str, ModuleType]]:
    """``[(version, module), ...]`` sorted by version."""
    found = []
    for info in pkgutil.iter_modules(migrations.__path__):
        if info.name.startswith("m") and info.name[1:5].isdigit():
            found.append((info.name[1:5], importlib.import_module(f"store.migrations.{info.name}")))
    return sorted(found, key=lambda item: item[0])


def migrate(db: peewee.Database | None = None) -> list[str]:
    """Apply every migration not yet applied.

    Returns:
      The versions applied by this call (empty when the schema was current).
    """
    db = db or database.obj
    name = "postgres" if is_postgres(db) else "sqlite"
    dialect = DIALECTS[name]
    applied_now = []
    with db.connection_context():
        db.execute_sql(
            "CREATE TABLE IF NOT EXISTS schema_migration"
            " (version TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"
        )
        for version, module in available():
            with db.atomic():
                if is_postgres(db):
                    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
                done = db.execute_sql(
                    "SELECT 1 FROM schema_migration WHERE version = ?".replace("?", db.param), (version,)
                ).fetchone()
                if done:
                    continue
                for statement in module.STATEMENTS:
                    db.execute_sql(statement.format(**dialect))
                for statement in getattr(module, "BY_DIALECT", {}).get(name, ()):  # written as is
                    db.execute_sql(statement)
                db.execute_sql(
                    "INSERT INTO schema_migration (version, applied_at) VALUES (?, ?)".replace("?", db.param),
                    (version, utcnow()),
                )
                applied_now.append(version)
    return applied_now
