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


#: A payment row as any version since 0008 stored it (``{{}}``: its empty metadata).
OLD_PAYMENT = (
    "INSERT INTO payment (id, merchant_id, status, amount, currency, capture, route, metadata,"
    " card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, card_key_id,"
    " card_ciphertext, created_at, updated_at, customer) VALUES ('{id}', '{merchant}', 'succeeded', 1050,"
    " 'USD', 'automatic', 'stripe', '{{}}', 'visa', '4242', 12, 2031, 'f', 'k', 'c', CURRENT_TIMESTAMP,"
    " CURRENT_TIMESTAMP, {customer})"
)


@pytest.fixture(params=["postgres", "sqlite"])
def scratch(request, service_urls, database_url, tmp_path):
    """A scratch database of each dialect, bound to the store while the test runs."""
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            url = stack.enter_context(services.test_database(service_urls["postgres"]))
        else:
            url = f"sqlite:///{tmp_path}/paywave.db"
        db = open_database(url)
        try:
            yield db
        finally:
            db.close_all() if request.param == "postgres" else db.close()
            open_database(database_url)


def test_operator_settlements_from_audit_log_become_audit_events(scratch, monkeypatch):
    """m0017 copies each ``audit_log`` row (m0008) into ``audit_event`` as ``payment.settled`` by the
    operator, with the payment's merchant, and drops ``audit_log``."""
    from store import migrate as migrations
    from store.models import AuditEvent

    monkeypatch.setattr(migrations, "available", lambda: [(v, m) for v, m in available() if v < "0017"])
    migrate()
    monkeypatch.undo()
    with scratch.connection_context():
        scratch.execute_sql(OLD_PAYMENT.format(id="pay_old", merchant="acme", customer="NULL"))
        scratch.execute_sql(
            "INSERT INTO audit_log (actor, action, payment_id, status_before, status_after, reference,"
            " reason, created_at) VALUES ('cli:ops-bob', 'resolve', 'pay_old', 'requires_review',"
            " 'succeeded', 'ch_1', NULL, '2026-01-02 03:04:05'), ('api:ops-alice', 'resolve', 'pay_gone',"
            " 'requires_review', 'failed', 'T-9', 'never charged', '2026-01-03 00:00:00')"
        )
    assert migrate()[0] == "0017"
    with scratch.connection_context():
        assert "audit_log" not in scratch.get_tables()
        rows = [
            (e.merchant_id, e.actor_type, e.actor_id, e.action, e.object_id, e.summary, str(e.created_at))
            for e in AuditEvent.select().order_by(AuditEvent.id)
        ]
    assert rows == [
        (
            "acme",
            "operator",
            "cli:ops-bob",
            "payment.settled",
            "pay_old",
            {
                "before": {"status": "requires_review"},
                "after": {"status": "succeeded", "reference": "ch_1", "reason": None},
            },
            "2026-01-02 03:04:05",
        ),
        (
            None,  # its payment is gone: the event stays, under no merchant
            "operator",
            "api:ops-alice",
            "payment.settled",
            "pay_gone",
            {
                "before": {"status": "requires_review"},
                "after": {"status": "failed", "reference": "T-9", "reason": "never charged"},
            },
            "2026-01-03 00:00:00",
        ),
    ]


def test_free_text_customers_before_0016_become_customers(scratch, monkeypatch):
    """Each distinct (merchant, text) named by payments before 0016 becomes one customer keeping the text as
    ``metadata.reference``, and those payments name it; payments without a customer stay without one."""
    from store import migrate as migrations
    from store.models import Customer, Payment

    rows = [("p1", "acme", "'c-77'"), ("p2", "acme", "'c-77'"), ("p3", "acme", "'x'"),
            ("p4", "beta", "'c-77'"), ("p5", "acme", "NULL")]  # fmt: skip
    monkeypatch.setattr(migrations, "available", lambda: [(v, m) for v, m in available() if v < "0016"])
    migrate()
    monkeypatch.undo()
    with scratch.connection_context():
        for id_, merchant, customer in rows:
            scratch.execute_sql(OLD_PAYMENT.format(id=id_, merchant=merchant, customer=customer))
    assert "0016" in migrate()
    with scratch.connection_context():
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
        assert not scratch.table_exists("customer_from_reference")


def test_the_rollups_are_filled_from_the_history_present_at_the_upgrade(service_urls, database_url, merchant):
    """A database upgraded to 0031 shows its payments' figures at once, the same as the live aggregates."""
    import datetime

    from store import stats
    from tests.support.history import seed, seed_attempts
    from tests.support.live_stats import FIGURES

    undo = [
        "DROP FUNCTION payment_rollup_write() CASCADE",
        "DROP FUNCTION attempt_rollup_write() CASCADE",
        "DROP TABLE payment_rollup, payment_rollup_delta, attempt_rollup, attempt_rollup_delta",
        "DELETE FROM schema_migration WHERE version = '0031'",
    ]
    newest = datetime.datetime(2026, 1, 1)
    periods = [stats.Period.last(days, newest) for days in (1, 2, 7)]
    periods.append(stats.Period(newest - datetime.timedelta(hours=30), newest - datetime.timedelta(hours=3)))
    try:
        with services.test_database(service_urls["postgres"]) as url:
            db = open_database(url)
            try:
                migrate()
                with db.connection_context(), db.atomic():
                    for statement in undo:  # as before the upgrade
                        db.execute_sql(statement)
                    cursor = db.cursor()
                    seed(cursor, merchant, 3_000)  # one second apart: spread them over two days
                    cursor.execute(
                        "UPDATE payment SET created_at = created_at - (amount % 50) * INTERVAL '1 hour',"
                        " amount_captured = CASE WHEN status = 'succeeded' THEN amount ELSE 0 END"
                    )
                    cursor.execute(
                        "UPDATE payment SET amount_refunded = amount_captured / 3 WHERE amount % 3 = 0"
                    )
                    seed_attempts(cursor, merchant)
                assert migrate() == ["0031"]
                with db.connection_context():
                    for read, oracle in FIGURES:
                        for period in periods:
                            assert read(merchant, True, period) == oracle(merchant, True, period), read
                    assert stats.fallbacks(merchant, True, periods[-1]) > 0
                    assert stats.volume(merchant, True, periods[-1])["currencies"]["USD"]["refunded"] > 0
            finally:
                db.close_all()
    finally:
        open_database(database_url)
