"""``POST /radar/rules/test``: a candidate rule evaluated on the merchant's payments' signals as they were,
against a seeded history whose answers SQL knows, and over 100k payments in seconds."""

import time

from store.models import Payment, Refund, Review, utcnow
from tests.support.api import conforms
from tests.support.history import seed, seed_risk

PREDICATE = ":card_count_1h: >= 4 and :currency: = 'USD' and :is_new_card:"
#: The same in SQL over the seeded rows (tests.support.history.SEED_RISK).
WHERE = "merchant_id = %s AND 1 + amount % 5 >= 4 AND currency = 'USD' AND amount % 2 = 0"


def backtest(client, auth, **body):
    resp = client.simulate_post("/radar/rules/test", json={"action": "block", **body}, headers=auth)
    assert resp.status_code == 200, resp.text
    conforms(resp.json, "RadarRuleTestResult")
    return resp.json


def sql(db, query, merchant):
    with db.connection().cursor() as cursor:
        cursor.execute(query.replace("%s", "%(m)s").replace("% ", "%% "), {"m": merchant})
        return cursor.fetchone()


def test_the_backtest_gives_the_answers_of_the_seeded_history(client, auth, merchant, db):
    with db.connection().cursor() as cursor:
        seed(cursor, merchant, 2000)
        seed_risk(cursor, merchant)
    fraud = sql(
        db,
        f"SELECT id FROM payment WHERE {WHERE} AND status = 'succeeded' AND NOT disputed LIMIT 1",
        merchant,
    )[0]
    Refund.create(
        id="re_" + "f" * 24,
        payment_id=fraud,
        merchant_id=merchant,
        amount=1,
        currency="USD",
        status="succeeded",
        reason="fraudulent",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    # A rejected review is fraud (its authorization canceled); an approved one is not.
    first = "SELECT id FROM payment WHERE {} AND status = '{}' AND NOT disputed LIMIT 1"
    canceled = sql(db, first.format(WHERE, "canceled"), merchant)[0]
    approved = sql(db, first.format(WHERE, "requires_capture"), merchant)[0]
    for number, (pid, closed_reason) in enumerate(((canceled, "canceled"), (approved, "approved"))):
        Review.create(
            id=f"rev_{number:024d}",
            payment_id=pid,
            merchant_id=merchant,
            livemode=Payment.get_by_id(pid).livemode,
            reason="rule_default_new_card_review",
            open=False,
            closed_reason=closed_reason,
            created_at=utcnow(),
            closed_at=utcnow(),
        )
    matched, total = sql(db, f"SELECT count(*), sum(amount) FROM payment WHERE {WHERE}", merchant)
    succeeded, won = sql(
        db, f"SELECT count(*), sum(amount) FROM payment WHERE {WHERE} AND status = 'succeeded'", merchant
    )
    disputed = sql(db, f"SELECT count(*) FROM payment WHERE {WHERE} AND disputed", merchant)[0]
    result = backtest(client, auth, predicate=PREDICATE)
    assert result["evaluated"] == 2000 and 0 < matched < 2000
    assert (result["matched"], result["matched_succeeded"]) == (matched, succeeded)
    assert result["matched_disputed_or_fraud_refunded"] == disputed + 2  # the fraud refund, the rejection
    assert result["amounts"]["matched"] == {"USD": total} and result["amounts"]["matched_succeeded"] == {
        "USD": won
    }
    # risk_score is the stored score; a signal no payment has is reported missing, and matches nothing.
    assert backtest(client, auth, predicate=":risk_score: > 100")["matched"] == 0
    nothing = backtest(client, auth, predicate=":ip_decline_count_10m: >= 1")
    assert nothing["matched"] == 0 and nothing["missing"] == ["ip_decline_count_10m"]
    # since: the seeded payments are one second apart, the newest at 2025-12-31T23:59:59.
    assert backtest(client, auth, predicate=":amount: > 0", since="2025-12-31T23:59:00Z")["evaluated"] == 60


def test_bad_input_is_a_422_naming_the_field(client, auth):
    for body, field in (
        ({"action": "block", "predicate": ":nope: > 1"}, "predicate"),
        ({"action": "nuke", "predicate": ":amount: > 1"}, "action"),
        ({"action": "block", "predicate": ":amount: > 1", "since": "yesterday"}, "since"),
    ):
        resp = client.simulate_post("/radar/rules/test", json=body, headers=auth)
        assert resp.status_code == 422 and [e["field"] for e in resp.json["errors"]] == [field], resp.text


def test_100k_payments_are_backtested_in_seconds(client, auth, merchant, db):
    with db.connection().cursor() as cursor:
        seed(cursor, merchant, 100_000)
        seed_risk(cursor, merchant)
    started = time.perf_counter()
    result = backtest(client, auth, predicate=PREDICATE)
    elapsed = time.perf_counter() - started
    print(f"backtest of 100k payments: {elapsed:.2f} s")
    assert result["evaluated"] == 100_000 and elapsed < 10
