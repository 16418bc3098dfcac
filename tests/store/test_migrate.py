"""Versioned migrations: idempotent, on Postgres and SQLite, and the models match the tables."""

import contextlib
import re

import orjson
import peewee
import pytest

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
                    saved = idempotency.claim("m", "order-1", "h", livemode=True)
                assert isinstance(saved, idempotency.Saved) and saved.status == 202
            finally:
                db.close_all()
    finally:
        open_database(database_url)


def test_merchants_known_before_0011_keep_working_with_the_defaults(service_urls, database_url, monkeypatch):
    """A merchant row and its payment from before 0011: afterwards its id is its name, the other settings
    are the defaults, its payments still list; a row the previous version inserts during the rollout
    shows its id as name."""
    from store import merchants, payments
    from store import migrate as migrations
    from store.models import Merchant

    before = [(v, m) for v, m in available() if v < "0011"]
    try:
        with services.test_database(service_urls["postgres"]) as url:
            db = open_database(url)
            try:
                monkeypatch.setattr(migrations, "available", lambda: before)
                migrate()
                monkeypatch.undo()
                with db.connection_context():
                    db.execute_sql("INSERT INTO merchant (id, created_at) VALUES ('acme', now())")
                    db.execute_sql(
                        "INSERT INTO payment (id, merchant_id, status, amount, currency, capture, route,"
                        " metadata, card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint,"
                        " card_key_id, card_ciphertext, created_at, updated_at) VALUES ('pay_old', 'acme',"
                        " 'succeeded', 1050, 'USD', 'automatic', 'stripe,paypal', '{}', 'visa', '4242', 12,"
                        " 2031, 'f', 'k', 'c', now(), now())"
                    )
                assert "0011" in migrate()
                with db.connection_context():
                    db.execute_sql(
                        "INSERT INTO merchant (id, created_at) VALUES ('rollout', now())"
                    )  # old code
                    acme = orjson.loads(merchants.get("acme"))
                    assert (acme["display_name"], acme["default_currency"], acme["settings"]) == (
                        "acme",
                        "USD",
                        {},
                    )
                    assert (acme["accepted_currencies"], acme["route"], acme["statement_descriptor"]) == (
                        None,
                    ) * 3
                    assert [p["id"] for p in payments.list_("acme", livemode=True, limit=10)[0]] == [
                        "pay_old"
                    ]
                    assert orjson.loads(merchants.get("rollout"))["display_name"] == "rollout"
                    assert Merchant.get_by_id("rollout").display_name == ""
            finally:
                db.close_all()
    finally:
        open_database(database_url)


@pytest.mark.parametrize("dialect", ["postgres", "sqlite"])
def test_free_text_customers_before_0016_become_customers(
    service_urls, database_url, monkeypatch, tmp_path, dialect
):
    """Each distinct (merchant, text) named by payments before 0016 becomes one customer keeping the text as
    ``metadata.reference``, and those payments name it; payments without a customer stay without one."""
    from store import migrate as migrations
    from store.models import Customer, Payment

    payment = (
        "INSERT INTO payment (id, merchant_id, status, amount, currency, capture, route, metadata,"
        " card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, card_key_id,"
        " card_ciphertext, created_at, updated_at, customer) VALUES ('{id}', '{merchant}', 'succeeded', 1050,"
        " 'USD', 'automatic', 'stripe', '{{}}', 'visa', '4242', 12, 2031, 'f', 'k', 'c', CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP, {customer})"
    )
    rows = [("p1", "acme", "'c-77'"), ("p2", "acme", "'c-77'"), ("p3", "acme", "'x'"),
            ("p4", "beta", "'c-77'"), ("p5", "acme", "NULL")]  # fmt: skip
    with contextlib.ExitStack() as stack:
        if dialect == "postgres":
            db = open_database(stack.enter_context(services.test_database(service_urls["postgres"])))
            stack.callback(db.close_all)
        else:
            db = open_database(f"sqlite:///{tmp_path}/paywave.db")
            stack.callback(db.close)
        stack.callback(open_database, database_url)
        monkeypatch.setattr(migrations, "available", lambda: [(v, m) for v, m in available() if v < "0016"])
        migrate()
        monkeypatch.undo()
        with db.connection_context():
            for id_, merchant, customer in rows:
                db.execute_sql(payment.format(id=id_, merchant=merchant, customer=customer))
        assert "0016" in migrate()
        with db.connection_context():
            named = {p.id: p.customer for p in Payment.select()}
            customers = {c.id: c for c in Customer.select()}
            assert named["p5"] is None and named["p1"] == named["p2"] != named["p4"]
            assert len(customers) == 3 and set(customers) == {named[p] for p in ("p1", "p3", "p4")}
            for pid, merchant, text in [("p1", "acme", "c-77"), ("p3", "acme", "x"), ("p4", "beta", "c-77")]:
                made = customers[named[pid]]
                assert (made.merchant_id, made.metadata, made.email, made.livemode) == (
                    merchant, {"reference": text}, None, True
                )  # fmt: skip
                assert re.fullmatch(r"cus_[A-Za-z0-9]{24}", made.id)
            assert not db.table_exists("customer_from_reference")
