"""``/dashboard/payments``: the search, its export, a payment's page and timeline, and capture, cancel and
refund through the API's store functions, for the roles that may."""

import csv
import io

from shared.ids import new_id
from store import payments
from store.models import (
    AuditEvent,
    Event,
    Notification,
    OutboxJob,
    Refund,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from store.models import Payment as PaymentRow
from tests.dashboard.conftest import payment


def test_find_a_payment_by_customer_email(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    wanted = payment(merchant, email="Jane@Example.test", amount=1999)
    payment(merchant, email="someone@example.test")
    resp = viewer.get("/dashboard/payments", query_string="email=jane@example.test")
    assert resp.status_code == 200
    assert f"/dashboard/payments/{wanted.id}" in resp.text and "19.99 USD" in resp.text
    assert resp.text.count('href="/dashboard/payments/pay_') == 1


def test_filters_are_those_of_the_history_api(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    big = payment(merchant, amount=50_000, status="requires_capture")
    small = payment(merchant, amount=500)
    payment(merchant, livemode=False, amount=50_000)  # test mode: never in a live search
    query = "currency=USD&amount_min=100.00&status=requires_capture&card_last4=4242&gateway=stripe"
    text = viewer.get("/dashboard/payments", query_string=query).text
    assert big.id in text and small.id not in text
    assert text.count('href="/dashboard/payments/pay_') == 1


def test_a_bad_filter_names_its_field(signed_in):
    viewer, _ = signed_in("viewer")
    resp = viewer.get(
        "/dashboard/payments", query_string="amount_min=10&card_last4=42&created_from=yesterday"
    )
    assert resp.status_code == 422
    assert "choose a currency to search by amount" in resp.text
    assert "4 digits" in resp.text and "YYYY-MM-DD" in resp.text
    assert 'aria-invalid="true"' in resp.text


def test_pages_follow_the_cursor(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    made = [payment(merchant, amount=100 + i) for i in range(27)]
    first = viewer.get("/dashboard/payments").text
    assert first.count('href="/dashboard/payments/pay_') == 25 and 'rel="next"' in first
    listed = payments.list_(merchant, livemode=True, limit=25)[0]
    second = viewer.get("/dashboard/payments", query_string=f"starting_after={listed[-1]['id']}").text
    assert second.count('href="/dashboard/payments/pay_') == 2 and 'rel="next"' not in second
    assert {p.id for p in made} >= {listed[0]["id"]}


def test_an_empty_search_says_so(signed_in):
    viewer, _ = signed_in("viewer")
    assert "No payments found" in viewer.get("/dashboard/payments").text


def test_export_is_the_apis_csv_for_roles_that_may(signed_in, merchant):
    analyst, _ = signed_in("analyst")
    wanted = payment(merchant, amount=1234, email="csv@example.test")
    payment(merchant, amount=99)
    resp = analyst.get("/dashboard/payments/export", query_string="email=csv@example.test")
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert rows[0][:4] == ["id", "created_at", "status", "amount"]
    assert [row[0] for row in rows[1:]] == [wanted.id]
    viewer, _ = signed_in("viewer")
    assert "Export CSV" not in viewer.get("/dashboard/payments").text
    assert viewer.get("/dashboard/payments/export").status_code == 403


def test_a_payment_page_tells_its_story(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    paid = payment(merchant, amount=2500, email="story@example.test")
    event = Event.create(
        id=new_id("evt"),
        merchant_id=merchant,
        livemode=True,
        type="payment.succeeded",
        payment_id=paid.id,
        data={},
    )
    delivery = WebhookDelivery.create(
        id=new_id("whd"), event_id=event.id, endpoint_id=new_id("we"), status="succeeded"
    )
    WebhookAttempt.create(
        delivery_id=delivery.id, number=1, status_code=200, latency_ms=31, response_snippet="ok"
    )
    page = viewer.get(f"/dashboard/payments/{paid.id}").text
    for shown in (
        "25.00 USD",
        "story@example.test",
        "visa ···· 4242",
        "new card",
        "Authorize at stripe",
        "42 ms",
        "Event payment.succeeded",
        "HTTP 200",
        "“ok”",
        "in 31 ms",
    ):
        assert shown in page, shown


def test_the_notifications_sent_to_the_payer_show_masked_with_the_mail_servers_answer(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    paid = payment(merchant, email="payer@example.test")
    common = {"merchant_id": merchant, "livemode": True, "payment_id": paid.id, "channel": "email"}
    Notification.create(
        id=new_id("ntf"),
        event_id=new_id("evt"),
        event_type="payment.succeeded",
        recipient="payer@example.test",
        status="sent",
        attempts=1,
        subject="Your payment to Shop",
        smtp_code=250,
        smtp_message="2.0.0 Ok: queued as 4F2",
        created_at=utcnow(),
        sent_at=utcnow(),
        **common,
    )
    Notification.create(
        id=new_id("ntf"),
        event_id=new_id("evt"),
        event_type="payment.refunded",
        recipient="payer@example.test",
        status="failed",
        attempts=3,
        smtp_code=550,
        smtp_message="5.1.1 mailbox unavailable",
        created_at=utcnow(),
        **common,
    )
    page = viewer.get(f"/dashboard/payments/{paid.id}").text
    timeline = page[page.index('id="timeline-title"') :]
    for shown in (
        "Email to the customer: payment.succeeded",
        "p***@example.test",
        "Your payment to Shop",
        "250 2.0.0 Ok: queued as 4F2",
        "Email to the customer: payment.refunded",
        "550 5.1.1 mailbox unavailable",
        "badge-sent",
        "badge-failed",
    ):
        assert shown in timeline, shown
    assert "payer@example.test" not in timeline  # the customer's facts above show it; the timeline masks it


def test_a_fallback_shows_in_the_timeline(signed_in, merchant):
    from store.models import Attempt

    viewer, _ = signed_in("viewer")
    paid = payment(merchant)
    Attempt.create(
        id=new_id("att"),
        payment_id=paid.id,
        number=2,
        gateway="paypal",
        operation="authorize",
        idempotency_key=f"{paid.id}-2",
        status="succeeded",
        latency_ms=80,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    assert "Fell back from stripe to paypal" in viewer.get(f"/dashboard/payments/{paid.id}").text


def test_a_viewer_sees_no_refund_button_and_a_crafted_post_is_refused_and_audited(signed_in, merchant):
    viewer, user_id = signed_in("viewer")
    paid = payment(merchant)
    page = f"/dashboard/payments/{paid.id}"
    assert "Refund" not in viewer.get(page).text.replace("Refunded", "")
    resp = viewer.submit(page, f"{page}/refunds", {"amount": "5.00"})
    assert resp.status_code == 403 and "Your role does not allow this" in resp.text
    assert not Refund.select().where(Refund.payment_id == paid.id).exists()
    refused = AuditEvent.get((AuditEvent.merchant_id == merchant) & (AuditEvent.action == "request.refused"))
    assert (refused.actor_type, refused.actor_id) == ("user", user_id)
    assert refused.summary["after"] == {
        "reason": "forbidden",
        "method": "POST",
        "path": f"{page}/refunds",
        "action": "refunds.write",
    }


def test_an_admin_refunds_part_and_sees_it_in_the_timeline(signed_in, merchant):
    admin, user_id = signed_in("admin")
    paid = payment(merchant, amount=2500)
    page = f"/dashboard/payments/{paid.id}"
    assert 'action="/dashboard/payments/' + paid.id + '/refunds"' in admin.get(page).text
    resp = admin.submit(page, f"{page}/refunds", {"amount": "10.00", "reason": "requested_by_customer"})
    assert resp.status_code == 303 and resp.headers["Location"] == page
    refund = Refund.get(Refund.payment_id == paid.id)
    assert (refund.amount, refund.status, refund.reason) == (1000, "pending", "requested_by_customer")
    assert OutboxJob.select().where(OutboxJob.args.contains(refund.id)).exists()  # the ops pool's job
    audited = AuditEvent.get((AuditEvent.object_id == refund.id) & (AuditEvent.action == "refund.created"))
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)
    after = admin.get(page).text
    assert f"Refund {refund.id} of 10.00 USD requested." in after  # the flash message
    assert f"Refund {refund.id}</span>" in after  # the timeline's entry


def test_a_refund_beyond_what_is_left_comes_back_as_a_message(signed_in, merchant):
    admin, _ = signed_in("admin")
    paid = payment(merchant, amount=2500)
    page = f"/dashboard/payments/{paid.id}"
    admin.submit(page, f"{page}/refunds", {"amount": "30.00"})
    text = admin.get(page).text
    assert "Cannot refund more than 2500" in text and 'role="alert"' in text
    admin.submit(page, f"{page}/refunds", {"amount": "ten"})
    assert "The amount must be in USD, like 10.50." in admin.get(page).text
    assert not Refund.select().where(Refund.payment_id == paid.id).exists()


def test_capture_and_cancel_for_roles_that_may(signed_in, merchant):
    admin, _ = signed_in("admin")
    held = payment(merchant, status="requires_capture", amount=4000)
    page = f"/dashboard/payments/{held.id}"
    text = admin.get(page).text
    assert f"{page}/capture" in text and f"{page}/cancel" in text
    admin.submit(page, f"{page}/capture", {"amount": "30.00"})
    captured = PaymentRow.get_by_id(held.id)
    assert (captured.pending_operation, captured.amount_to_capture) == ("capture", 3000)
    other = payment(merchant, status="requires_capture")
    admin.submit(f"/dashboard/payments/{other.id}", f"/dashboard/payments/{other.id}/cancel")
    assert PaymentRow.get_by_id(other.id).pending_operation == "cancel"
    developer, _ = signed_in("developer")  # payments:write, but no captures:write
    assert f"{page}/capture" not in developer.get(page).text
    assert developer.submit(page, f"{page}/capture").status_code == 403


def test_another_merchants_payment_is_not_found(signed_in):
    viewer, _ = signed_in("viewer")
    foreign = payment("m_someone_else")
    assert viewer.get(f"/dashboard/payments/{foreign.id}").status_code == 404
