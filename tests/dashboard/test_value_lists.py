"""``/dashboard/radar/value_lists``: the lists fraud rules name as ``@alias``, through ``store.radar``."""

from store import radar
from store.models import AuditEvent, RadarValueList, RadarValueListItem

LISTS = "/dashboard/radar/value_lists"


def create(browser, alias="blocked_emails", item_type="email", name=""):
    return browser.submit(LISTS, LISTS, {"alias": alias, "item_type": item_type, "name": name})


def test_create_a_list_add_normalized_values_and_remove_one(signed_in, merchant):
    admin, user_id = signed_in("admin", mode="test")
    resp = create(admin, alias="@blocked_emails", name="Chargeback abusers")
    assert resp.status_code == 303
    value_list = RadarValueList.get(RadarValueList.merchant_id == merchant)
    assert (value_list.list_alias, value_list.item_type, value_list.livemode) == (
        "blocked_emails",
        "email",
        False,
    )
    page = f"{LISTS}/{value_list.id}"
    assert resp.headers["location"] == page
    for given in ("Fraud@Example.TEST", "other@example.test"):
        assert admin.submit(page, f"{page}/items", {"value": given}).status_code == 303
    shown = admin.get(page).text
    assert "fraud@example.test" in shown and "Fraud@Example.TEST" not in shown and "2 email values" in shown
    assert radar.values(merchant, False, ["blocked_emails"]) == {
        "blocked_emails": {"fraud@example.test", "other@example.test"}
    }
    assert "@blocked_emails" in admin.get(LISTS).text and "Chargeback abusers" in admin.get(LISTS).text

    item = RadarValueListItem.get(RadarValueListItem.value == "other@example.test")
    assert admin.submit(page, f"{page}/items/{item.id}/delete").status_code == 303
    assert radar.values(merchant, False, ["blocked_emails"]) == {"blocked_emails": {"fraud@example.test"}}
    actions = {a.action for a in AuditEvent.select().where(AuditEvent.actor_id == user_id)}
    assert {
        "radar_value_list.created",
        "radar_value_list_item.created",
        "radar_value_list_item.deleted",
    } <= actions


def test_bad_input_comes_back_as_a_message_and_writes_nothing(signed_in, merchant):
    admin, _ = signed_in("admin")
    bad_alias = create(admin, alias="no spaces")
    assert bad_alias.status_code == 422 and "letters, digits or underscores" in bad_alias.text
    assert create(admin, item_type="planet").status_code == 422
    assert not RadarValueList.select().where(RadarValueList.merchant_id == merchant).exists()

    create(admin, alias="bad_ips", item_type="ip_address")
    value_list = RadarValueList.get(RadarValueList.merchant_id == merchant)
    page = f"{LISTS}/{value_list.id}"
    wrong = admin.submit(page, f"{page}/items", {"value": "300.1.1.1"})
    assert wrong.status_code == 422 and "must be an IPv4 or IPv6 address" in wrong.text
    assert 'value="300.1.1.1"' in wrong.text  # kept in the form to correct
    admin.submit(page, f"{page}/items", {"value": "2001:db8:0:0::1"})
    again = admin.submit(page, f"{page}/items", {"value": "2001:db8::1"})  # the same address
    assert again.status_code == 409 and "holds this value already" in again.text
    assert create(admin, alias="bad_ips").status_code == 409
    assert RadarValueListItem.select().where(RadarValueListItem.value_list_id == value_list.id).count() == 1


def test_a_list_a_rule_names_is_not_deleted(signed_in, merchant):
    admin, _ = signed_in("admin")
    create(admin)
    value_list = RadarValueList.get(RadarValueList.merchant_id == merchant)
    admin.submit(
        "/dashboard/radar/rules",
        "/dashboard/radar/rules",
        {"action": "block", "predicate": ":email: in @blocked_emails", "enabled": "false"},
    )
    page = f"{LISTS}/{value_list.id}"
    refused = admin.submit(page, f"{page}/delete")
    assert refused.status_code == 303 and "change them first" in admin.get(refused.headers["location"]).text
    assert RadarValueList.select().where(RadarValueList.id == value_list.id).exists()


def test_an_analyst_reads_lists_but_cannot_change_them(signed_in, merchant):
    admin, _ = signed_in("admin")
    create(admin)
    value_list = RadarValueList.get(RadarValueList.merchant_id == merchant)
    analyst, _ = signed_in("analyst")
    page = f"{LISTS}/{value_list.id}"
    shown = analyst.get(page)
    assert shown.status_code == 200 and "Delete list" not in shown.text and 'name="value"' not in shown.text
    assert analyst.submit(page, f"{page}/items", {"value": "x@example.test"}).status_code == 403
    assert analyst.submit(page, f"{page}/delete").status_code == 403
    assert RadarValueList.select().where(RadarValueList.id == value_list.id).exists()
    assert analyst.get(f"{LISTS}/rsl_nope").status_code == 404
