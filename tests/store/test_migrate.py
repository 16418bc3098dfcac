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
