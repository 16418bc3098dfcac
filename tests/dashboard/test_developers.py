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
