"""The developers' pages: webhook endpoints, events with their deliveries, redelivery, the audit log."""

import re

from shared.ids import new_id
from store.models import AuditEvent, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint

SECRET = re.compile(r'id="new-secret" class="mono" readonly value="([^"]+)"')


def add_endpoint(browser, url="https://shop.example.com/hooks", events=("*",)):
    page = "/dashboard/webhook_endpoints"
    return browser.submit(page, page, {"url": url, "description": "shop", "events": list(events)})


def test_an_endpoint_is_created_with_its_secret_shown_once(signed_in, merchant):
    developer, user_id = signed_in("developer", mode="test")
    resp = add_endpoint(developer, events=("payment.succeeded", "payment.failed"))
    assert resp.status_code == 201
    assert SECRET.search(resp.text).group(1).startswith("whsec_")
    endpoint = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    assert (endpoint.livemode, endpoint.enabled_events) == (False, ["payment.succeeded", "payment.failed"])
    listing = developer.get("/dashboard/webhook_endpoints").text
    assert "https://shop.example.com/hooks" in listing and "whsec_" not in listing
    audited = AuditEvent.get(
        (AuditEvent.object_id == endpoint.id) & (AuditEvent.action == "webhook_endpoint.created")
    )
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)


def test_an_endpoint_on_a_private_address_is_refused(signed_in, merchant):
    developer, _ = signed_in("developer")
    resp = add_endpoint(developer, url="http://127.0.0.1:8000/steal")
    assert resp.status_code == 422 and "This URL is refused" in resp.text
    assert not WebhookEndpoint.select().where(WebhookEndpoint.merchant_id == merchant).exists()


def test_rotate_shows_the_new_secret_and_delete_removes_it(signed_in, merchant):
    developer, _ = signed_in("developer")
    first = SECRET.search(add_endpoint(developer).text).group(1)
    endpoint = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    page = "/dashboard/webhook_endpoints"
    rotated = developer.submit(page, f"{page}/{endpoint.id}/rotate_secret")
    assert rotated.status_code == 201 and SECRET.search(rotated.text).group(1) not in ("", first)
    assert developer.submit(page, f"{page}/{endpoint.id}/delete").status_code == 303
    assert not WebhookEndpoint.select().where(WebhookEndpoint.id == endpoint.id).exists()


def test_an_event_shows_its_deliveries_and_their_answers_and_can_be_redelivered(signed_in, merchant):
    developer, _ = signed_in("developer")
    add_endpoint(developer)
    endpoint = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    event = Event.create(
        id=new_id("evt"), merchant_id=merchant, livemode=True, type="payment.succeeded", data={"id": "x"}
    )
    delivery = WebhookDelivery.create(
        id=new_id("whd"), event_id=event.id, endpoint_id=endpoint.id, status="failed"
    )
    WebhookAttempt.create(
        delivery_id=delivery.id, number=1, status_code=500, latency_ms=12, response_snippet="boom"
    )
    assert event.id in developer.get("/dashboard/events").text
    page = developer.get(f"/dashboard/events/{event.id}").text
    assert "HTTP 500" in page and "boom" in page and "in 12 ms" in page
    resp = developer.submit(f"/dashboard/events/{event.id}", f"/dashboard/events/{event.id}/redeliver")
    assert resp.status_code == 303
    assert WebhookDelivery.select().where(WebhookDelivery.event_id == event.id).count() == 2
    assert AuditEvent.get((AuditEvent.object_id == event.id) & (AuditEvent.action == "event.redelivered"))


def test_the_audit_log_is_for_admins_and_filters_by_action(signed_in, merchant):
    admin, user_id = signed_in("admin")
    page = admin.get("/dashboard/audit_events", query_string="action=login.").text
    assert "login.succeeded" in page and user_id in page
    assert "login.succeeded" not in admin.get("/dashboard/audit_events", query_string="action=refund.").text
    developer, _ = signed_in("developer")
    assert developer.get("/dashboard/audit_events").status_code == 403
    viewer, _ = signed_in("viewer")
    assert viewer.get("/dashboard/webhook_endpoints").status_code == 403
    assert "Webhooks" not in viewer.get("/dashboard/payments").text


def test_a_test_event_goes_to_the_endpoint_and_its_page_shows_the_delivery(signed_in, merchant):
    developer, user_id = signed_in("developer")
    add_endpoint(developer)
    other = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    add_endpoint(developer, url="https://shop.example.com/other-hooks")
    endpoint = WebhookEndpoint.get(
        (WebhookEndpoint.merchant_id == merchant) & (WebhookEndpoint.id != other.id)
    )
    page = "/dashboard/webhook_endpoints"
    resp = developer.submit(page, f"{page}/{endpoint.id}/test")
    assert resp.status_code == 303
    event = Event.get((Event.merchant_id == merchant) & (Event.type == "webhook_endpoint.test"))
    assert resp.headers["location"] == f"/dashboard/events/{event.id}"
    [delivery] = WebhookDelivery.select().where(WebhookDelivery.event_id == event.id)
    assert delivery.endpoint_id == endpoint.id  # not the other one, though it takes every event
    shown = developer.get(resp.headers["location"]).text
    assert "Test event sent" in shown and "webhook_endpoint.test" in shown and endpoint.id in shown
    audited = AuditEvent.get(
        (AuditEvent.object_id == endpoint.id) & (AuditEvent.action == "webhook_endpoint.tested")
    )
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)


def test_disable_then_enable_an_endpoint_and_no_test_event_while_disabled(signed_in, merchant):
    developer, _ = signed_in("developer")
    add_endpoint(developer)
    endpoint = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    page = "/dashboard/webhook_endpoints"
    assert developer.submit(page, f"{page}/{endpoint.id}/disable").status_code == 303
    listing = developer.get(page).text
    assert (
        "is disabled." in listing
        and "disabled by the merchant" in listing
        and "Send test event" not in listing
    )
    assert WebhookEndpoint.get_by_id(endpoint.id).status == "disabled"
    refused = developer.submit(page, f"{page}/{endpoint.id}/test")
    assert refused.status_code == 303 and "enable it to send it events" in developer.get(page).text
    assert not Event.select().where(Event.merchant_id == merchant).exists()
    assert developer.submit(page, f"{page}/{endpoint.id}/enable").status_code == 303
    assert WebhookEndpoint.get_by_id(endpoint.id).status == "enabled"
    assert "Send test event" in developer.get(page).text


def test_a_viewer_can_neither_test_nor_disable_an_endpoint(signed_in, merchant):
    developer, _ = signed_in("developer")
    add_endpoint(developer)
    endpoint = WebhookEndpoint.get(WebhookEndpoint.merchant_id == merchant)
    viewer, _ = signed_in("viewer")
    page = "/dashboard/webhook_endpoints"
    assert "Send test event" not in viewer.get(page).text
    for action in ("test", "disable"):
        assert viewer.submit(page, f"{page}/{endpoint.id}/{action}").status_code == 403
    assert WebhookEndpoint.get_by_id(endpoint.id).status == "enabled"
    assert not Event.select().where(Event.merchant_id == merchant).exists()
