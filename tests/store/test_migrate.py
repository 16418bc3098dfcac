"""Versioned migrations: idempotent, on Postgres and SQLite, and the models match the tables."""

import peewee

from store.db import database, open_database
from store.migrate import available, migrate
from store.models import MODELS
from tests.support import services


def columns(db, table):
    return {c.name for c in db.get_columns(table)}


def check_models_match(db):
    for model in MODELS:
        table = model._meta.table_name
        assert {f.column_name for f in model._meta.sorted_fields} <= columns(db, table), table


def test_sqlite_migrates_once_and_matches_the_models(tmp_path, database_url):
    db = open_database(f"sqlite:///{tmp_path}/paywave.db")
    try:
        assert migrate() == [v for v, _ in available()]
        assert migrate() == []
        check_models_match(db)
    finally:
        db.close()
        open_database(database_url)


def test_postgres_migrates_once_and_matches_the_models(service_urls, database_url):
    try:
        with services.test_database(service_urls["postgres"]) as url:
            db = open_database(url)
            try:
                assert migrate() == [v for v, _ in available()]
                assert migrate() == []
                with db.connection_context():
                    check_models_match(db)
                    assert isinstance(db, peewee.PostgresqlDatabase)
            finally:
                db.close_all()
    finally:
        open_database(database_url)
    assert database.obj.database == database_url.rsplit("/", 1)[1]


def test_keys_stored_before_the_digest_migration_still_replay(service_urls, database_url):
    """A record kept with its raw key before 0010 is found by the same key after it: a client retrying
    across the upgrade gets its first answer, not a second payment."""
    from store import idempotency

    try:
        with services.test_database(service_urls["postgres"]) as url:
            db = open_database(url)
            try:
                migrate()
                with db.connection_context():
                    # As before the upgrade.
                    db.execute_sql("DELETE FROM schema_migration WHERE version = '0010'")
                    db.execute_sql(
                        "INSERT INTO idempotency_record (merchant_id, key, request_hash, state,"
                        " response_status, response_body, created_at, expires_at)"
                        " VALUES ('m', 'order-1', 'h', 'done', 202, '{}', now(), now() + interval '1 day')"
                    )
                assert migrate() == ["0010"]
                with db.connection_context():
                    saved = idempotency.claim("m", "order-1", "h")
                assert isinstance(saved, idempotency.Saved) and saved.status == 202
            finally:
                db.close_all()
    finally:
        open_database(database_url)
