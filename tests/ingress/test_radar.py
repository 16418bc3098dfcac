"""``/radar/rules`` and ``/radar/value_lists``: rules checked when written (422 with the position), built-in
rules listed and disabled, lists and their items normalized, modes apart, every write audited."""

import pytest

from store import radar
from store.models import AuditEvent, RadarRule, RadarValueList
from tests.support.api import conforms

FINGERPRINT = "0123456789abcdef0123456789abcdef"
BUILTIN_IDS = ["rule_default_card_testing", "rule_default_blocked_card", "rule_default_new_card_review"]


def new_rule(client, auth, predicate=":amount_in_usd: > 50000", action="review", **extra):
    resp = client.simulate_post(
        "/radar/rules", json={"action": action, "predicate": predicate, **extra}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    return resp.json


def new_list(client, auth, alias="blocked_emails", item_type="email", **extra):
    resp = client.simulate_post(
        "/radar/value_lists", json={"alias": alias, "item_type": item_type, **extra}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    return resp.json


def test_a_rule_is_created_read_listed_after_the_builtins_and_audited(client, auth, merchant):
    rule = new_rule(client, auth, description="big first payments")
    conforms(rule, "RadarRule")
    assert rule["id"].startswith("rule_") and rule["builtin"] is False and rule["enabled"] is True
    assert client.simulate_get(f"/radar/rules/{rule['id']}", headers=auth).json == rule
    listed = client.simulate_get("/radar/rules", headers=auth).json["data"]
    assert [r["id"] for r in listed] == [*BUILTIN_IDS, rule["id"]]
    assert all(r["builtin"] for r in listed[:3])
    audited = AuditEvent.get(AuditEvent.merchant_id == merchant, AuditEvent.object_id == rule["id"])
    assert (
        audited.action == "radar_rule.created" and audited.summary["after"]["predicate"] == rule["predicate"]
    )


def test_rules_paginate_across_the_builtins(client, auth):
    ids = [new_rule(client, auth)["id"] for _ in range(2)]
    first = client.simulate_get("/radar/rules", params={"limit": 2}, headers=auth).json
    assert [r["id"] for r in first["data"]] == BUILTIN_IDS[:2] and first["has_more"]
    second = client.simulate_get(
        "/radar/rules", params={"limit": 2, "starting_after": BUILTIN_IDS[1]}, headers=auth
    ).json
    assert [r["id"] for r in second["data"]] == [BUILTIN_IDS[2], ids[1]] and second["has_more"]
    last = client.simulate_get(
        "/radar/rules", params={"limit": 2, "starting_after": ids[1]}, headers=auth
    ).json
    assert [r["id"] for r in last["data"]] == [ids[0]] and not last["has_more"]


@pytest.mark.parametrize(
    ("predicate", "line", "column", "reason"),
    [
        (":amount_in_usd: >", 1, 18, "ends too early"),
        (":amount_in_usd: > 10 and\n:nope: = 1", 2, 1, "unknown attribute :nope:"),
        (":card_country: = 5", 1, 18, "cannot compare a string with a number"),
        (":email: < 'a'", 1, 1, "compares numbers only"),
        (":email: in @nowhere", 1, 12, "no value list @nowhere"),
        (":amount: $ 1", 1, 10, "unexpected character '$'"),
        (":amount:", 1, 1, "not a predicate"),
    ],
)
def test_a_bad_predicate_is_a_422_naming_it_with_its_position(
    client, auth, merchant, predicate, line, column, reason
):
    resp = client.simulate_post(
        "/radar/rules", json={"action": "block", "predicate": predicate}, headers=auth
    )
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    problem = resp.json
    conforms(problem, "Problem")
    assert problem["errors"][0]["field"] == "predicate" and reason in problem["errors"][0]["reason"]
    assert problem["position"] == {"line": line, "column": column}
    assert f"line {line}, column {column}" in problem["detail"]
    assert not RadarRule.select().where(RadarRule.merchant_id == merchant).exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["action", "predicate"]),
        ({"action": "deny", "predicate": ":is_new_card:"}, ["action"]),
        ({"action": "block", "predicate": 5}, ["predicate"]),
        ({"action": "block", "predicate": "   "}, ["predicate"]),
        ({"action": "block", "predicate": ":is_new_card:", "enabled": "yes"}, ["enabled"]),
        ({"action": "block", "predicate": ":is_new_card:", "threshold": 3}, ["threshold"]),
        ({"action": "block", "predicate": ":email: = '4242424242424242'"}, ["predicate"]),
    ],
)
def test_bad_rule_fields_are_422_naming_each(client, auth, body, fields):
    resp = client.simulate_post("/radar/rules", json=body, headers=auth)
    assert resp.status_code == 422
    assert sorted(e["field"] for e in resp.json["errors"]) == fields


def test_patch_changes_a_rule_rechecking_its_predicate_and_delete_removes_it(client, auth, merchant):
    rule = new_rule(client, auth)
    path = f"/radar/rules/{rule['id']}"
    changed = client.simulate_patch(
        path, json={"predicate": ":risk_score: >= 75", "action": "block"}, headers=auth
    )
    assert changed.status_code == 200 and changed.json["predicate"] == ":risk_score: >= 75"
    assert changed.json["action"] == "block"
    refused = client.simulate_patch(path, json={"predicate": ":risk_score: >= 'high'"}, headers=auth)
    assert refused.status_code == 422 and refused.json["position"] == {"line": 1, "column": 17}
    assert client.simulate_get(path, headers=auth).json["predicate"] == ":risk_score: >= 75"
    assert client.simulate_patch(path, json={"threshold": 5}, headers=auth).status_code == 422
    assert client.simulate_patch(path, json={}, headers=auth).status_code == 422
    assert client.simulate_delete(path, headers=auth).status_code == 204
    assert client.simulate_get(path, headers=auth).status_code == 404
    actions = [
        e.action
        for e in AuditEvent.select().where(AuditEvent.object_id == rule["id"]).order_by(AuditEvent.id)
    ]
    assert actions == ["radar_rule.created", "radar_rule.updated", "radar_rule.deleted"]


def test_a_builtin_rule_is_disabled_and_its_threshold_set_but_not_edited_or_deleted(client, auth, merchant):
    path = "/radar/rules/rule_default_new_card_review"
    rule = client.simulate_get(path, headers=auth).json
    conforms(rule, "RadarRule")
    assert rule["threshold"] == 50000 and rule["predicate"] == ":is_new_card: and :amount_in_usd: > 50000"
    changed = client.simulate_patch(path, json={"threshold": 20000, "enabled": False}, headers=auth).json
    assert changed["enabled"] is False and changed["predicate"].endswith("> 20000")
    assert client.simulate_patch(path, json={"predicate": ":is_new_card:"}, headers=auth).status_code == 422
    no_threshold = "/radar/rules/rule_default_blocked_card"
    assert client.simulate_patch(no_threshold, json={"threshold": 1}, headers=auth).status_code == 422
    resp = client.simulate_delete(path, headers=auth)
    assert resp.status_code == 409 and resp.json["type"] == "/problems/builtin-rule"
    ids = [rule.id for rule in radar.enabled_rules(merchant, True)]
    assert ids == ["rule_default_card_testing", "rule_default_blocked_card"]
    assert client.simulate_patch(path, json={"enabled": True}, headers=auth).json["threshold"] == 20000
    enabled = {rule.id: rule for rule in radar.enabled_rules(merchant, True)}
    assert enabled["rule_default_new_card_review"].predicate.endswith("> 20000")


def test_value_lists_normalize_their_items_and_rules_name_them(client, auth, merchant):
    emails = new_list(client, auth, name="Known fraudsters")
    conforms(emails, "RadarValueList")
    items = f"/radar/value_lists/{emails['id']}/items"
    item = client.simulate_post(items, json={"value": "Fraud@Example.TEST"}, headers=auth)
    assert item.status_code == 201 and item.json["value"] == "fraud@example.test"
    conforms(item.json, "RadarValueListItem")
    again = client.simulate_post(items, json={"value": "fraud@example.test"}, headers=auth)
    assert again.status_code == 409
    bad = client.simulate_post(items, json={"value": "not an email"}, headers=auth)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "value"
    assert client.simulate_get(f"/radar/value_lists/{emails['id']}", headers=auth).json["item_count"] == 1
    assert [i["value"] for i in client.simulate_get(items, headers=auth).json["data"]] == [
        "fraud@example.test"
    ]
    new_rule(client, auth, ":email: in @blocked_emails", "block")
    assert radar.values(merchant, True, ["blocked_emails"]) == {"blocked_emails": {"fraud@example.test"}}
    wrong_type = client.simulate_post(
        "/radar/rules", json={"action": "block", "predicate": ":ip_address: in @blocked_emails"}, headers=auth
    )
    assert wrong_type.status_code == 422 and "holds email items" in wrong_type.json["errors"][0]["reason"]


@pytest.mark.parametrize(
    ("item_type", "value", "stored"),
    [
        ("ip_address", "2001:0db8:0000::0001", "2001:db8::1"),
        ("ip_address", "203.0.113.7", "203.0.113.7"),
        ("country", "us", "US"),
        ("card_bin", "42424242", "42424242"),
        ("card_fingerprint", FINGERPRINT.upper(), FINGERPRINT),
        ("customer", "cus_" + "A" * 24, "cus_" + "A" * 24),
    ],
)
def test_items_are_stored_as_their_type_compares_them(client, auth, item_type, value, stored):
    value_list = new_list(client, auth, alias=f"l_{item_type}", item_type=item_type)
    resp = client.simulate_post(
        f"/radar/value_lists/{value_list['id']}/items", json={"value": value}, headers=auth
    )
    assert resp.status_code == 201 and resp.json["value"] == stored


@pytest.mark.parametrize(
    ("item_type", "value"),
    [("ip_address", "300.1.1.1"), ("country", "USA"), ("card_bin", "4242"), ("card_fingerprint", "xyz")],
)
def test_items_not_of_the_lists_type_are_422(client, auth, item_type, value):
    value_list = new_list(client, auth, alias="l", item_type=item_type)
    resp = client.simulate_post(
        f"/radar/value_lists/{value_list['id']}/items", json={"value": value}, headers=auth
    )
    assert resp.status_code == 422 and resp.json["errors"][0]["field"] == "value"


def test_a_list_named_by_a_rule_cannot_be_deleted_and_items_are_removed(client, auth):
    value_list = new_list(client, auth, alias="bad_ips", item_type="ip_address")
    path = f"/radar/value_lists/{value_list['id']}"
    item = client.simulate_post(f"{path}/items", json={"value": "198.51.100.1"}, headers=auth).json
    rule = new_rule(client, auth, ":ip_address: not in @bad_ips and :is_new_ip:", "review")
    resp = client.simulate_delete(path, headers=auth)
    assert resp.status_code == 409 and rule["id"] in resp.json["detail"]
    assert client.simulate_delete(f"{path}/items/{item['id']}", headers=auth).status_code == 204
    assert client.simulate_delete(f"{path}/items/{item['id']}", headers=auth).status_code == 404
    assert client.simulate_delete(f"/radar/rules/{rule['id']}", headers=auth).status_code == 204
    assert client.simulate_delete(path, headers=auth).status_code == 204
    assert client.simulate_get(path, headers=auth).status_code == 404


def test_an_alias_is_unique_per_mode_and_the_reserved_one_keeps_its_type(client, auth, mint, merchant, db):
    new_list(client, auth, alias="vip")
    taken = client.simulate_post(
        "/radar/value_lists", json={"alias": "vip", "item_type": "email"}, headers=auth
    )
    assert taken.status_code == 409
    test_mode = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    new_list(client, test_mode, alias="vip")
    reserved = client.simulate_post(
        "/radar/value_lists", json={"alias": "blocked_cards", "item_type": "email"}, headers=auth
    )
    assert reserved.status_code == 422 and reserved.json["errors"][0]["field"] == "item_type"
    new_list(client, auth, alias="blocked_cards", item_type="card_fingerprint")
    assert RadarValueList.select().where(RadarValueList.merchant_id == merchant).count() == 3


def test_modes_do_not_see_each_others_rules_and_lists(client, auth, mint, merchant):
    rule, value_list = new_rule(client, auth), new_list(client, auth)
    test_mode = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    assert client.simulate_get(f"/radar/rules/{rule['id']}", headers=test_mode).status_code == 404
    assert client.simulate_get(f"/radar/value_lists/{value_list['id']}", headers=test_mode).status_code == 404
    assert [
        r["id"] for r in client.simulate_get("/radar/rules", headers=test_mode).json["data"]
    ] == BUILTIN_IDS
    assert client.simulate_get("/radar/value_lists", headers=test_mode).json["data"] == []
    assert (
        client.simulate_get("/radar/rules/rule_default_card_testing", headers=test_mode).json["livemode"]
        is False
    )


def test_another_merchants_rules_and_lists_are_unknown(client, auth, mint):
    rule, value_list = new_rule(client, auth), new_list(client, auth)
    other = {"Authorization": f"Bearer {mint('m_other_radar')}"}
    assert client.simulate_get(f"/radar/rules/{rule['id']}", headers=other).status_code == 404
    assert (
        client.simulate_patch(
            f"/radar/rules/{rule['id']}", json={"enabled": False}, headers=other
        ).status_code
        == 404
    )
    assert client.simulate_delete(f"/radar/value_lists/{value_list['id']}", headers=other).status_code == 404
    resp = client.simulate_post(
        f"/radar/value_lists/{value_list['id']}/items", json={"value": "a@b.test"}, headers=other
    )
    assert resp.status_code == 404


def test_a_create_replays_under_its_idempotency_key(client, auth, merchant):
    headers = {**auth, "Idempotency-Key": "rule-1"}
    body = {"action": "block", "predicate": ":card_count_1h: > 10"}
    first = client.simulate_post("/radar/rules", json=body, headers=headers)
    again = client.simulate_post("/radar/rules", json=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true" and again.json == first.json
    assert RadarRule.select().where(RadarRule.merchant_id == merchant).count() == 1
