"""``/dashboard/radar/rules``: a rule is enabled only after its backtest was shown."""

from store.models import AuditEvent, RadarRule
from store.models import Payment as PaymentRow
from tests.dashboard.conftest import payment

RULE = {"action": "review", "predicate": ":amount: > 100000", "description": "big ones"}


def decided(merchant, amount, status="succeeded"):
    paid = payment(merchant, amount=amount, status=status)
    risk = {
        "score": 10,
        "level": "normal",
        "rule": None,
        "reasons": [],
        "missing": [],
        "signals": {"amount": amount},
    }
    PaymentRow.update(risk=risk).where(PaymentRow.id == paid.id).execute()


def test_a_new_rule_is_backtested_before_it_is_created(signed_in, merchant):
    admin, user_id = signed_in("admin")
    decided(merchant, 250_000)
    decided(merchant, 500)
    shown = admin.submit("/dashboard/radar/rules", "/dashboard/radar/backtest", RULE)
    assert shown.status_code == 200
    assert "On the 2 payments decided so far" in shown.text and "2,500.00 USD" in shown.text
    assert not RadarRule.select().where(RadarRule.merchant_id == merchant).exists()  # nothing yet
    admin.submit("/dashboard/radar/rules", "/dashboard/radar/rules", {**RULE, "enabled": "true"})
    rule = RadarRule.get(RadarRule.merchant_id == merchant)
    assert (rule.predicate, rule.enabled, rule.livemode) == (":amount: > 100000", True, True)
    audited = AuditEvent.get((AuditEvent.object_id == rule.id) & (AuditEvent.action == "radar_rule.created"))
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)


def test_a_condition_that_does_not_compile_says_where(signed_in, merchant):
    admin, _ = signed_in("admin")
    resp = admin.submit(
        "/dashboard/radar/rules", "/dashboard/radar/backtest", {**RULE, "predicate": ":nope: > 1"}
    )
    assert resp.status_code == 422 and "does not compile" in resp.text


def test_enabling_a_disabled_rule_shows_its_backtest_first(signed_in, merchant):
    admin, _ = signed_in("admin")
    admin.submit("/dashboard/radar/rules", "/dashboard/radar/rules", {**RULE, "enabled": "false"})
    rule = RadarRule.get(RadarRule.merchant_id == merchant)
    page = admin.get(f"/dashboard/radar/rules/{rule.id}/enable")
    assert "payments decided so far" in page.text and f"/radar/rules/{rule.id}/enable" in page.text
    admin.submit(f"/dashboard/radar/rules/{rule.id}/enable", f"/dashboard/radar/rules/{rule.id}/enable")
    assert RadarRule.get_by_id(rule.id).enabled
    admin.submit("/dashboard/radar/rules", f"/dashboard/radar/rules/{rule.id}/disable")
    assert not RadarRule.get_by_id(rule.id).enabled


def test_an_analyst_reads_and_backtests_but_never_changes(signed_in, merchant):
    analyst, _ = signed_in("analyst")
    page = analyst.get("/dashboard/radar/rules").text
    assert "rule_default_" in page and "/disable" not in page
    assert analyst.submit("/dashboard/radar/rules", "/dashboard/radar/backtest", RULE).status_code == 200
    assert analyst.submit("/dashboard/radar/rules", "/dashboard/radar/rules", RULE).status_code == 403
