"""Payer notifications end to end (issue 16): the fleet on real RabbitMQ and Postgres sends them to a real
SMTP server (``aiosmtpd``, ``tests.support.smtp``) for a merchant that enabled them, on a shortened
schedule."""

import dataclasses
import datetime
import time

import pytest

from shared import metrics
from store.models import Notification, utcnow
from tests.support.api import card_payment, conforms, new_customer
from tests.support.sandbox import wait_status
from tests.support.smtp import Catcher, bodies
from workers.actors.sweeper import sweep

SCHEDULE = (0.2, 0.2)
EMAIL = "jane.doe@example.test"
SHOP = "https://shop.example/checkout/42"


@pytest.fixture
def catcher():
    c = Catcher()
    yield c
    c.close()


@pytest.fixture
def notify(fleet, worker_config, catcher):
    """The package's fleet sending to ``catcher`` (a second fleet would consume the same queues)."""
    previous = fleet.context.config
    fleet.context.config = dataclasses.replace(
        worker_config, smtp_url=catcher.url, notification_retry_schedule=SCHEDULE
    )
    yield fleet.context.config
    fleet.context.config = previous


def enable(api, auth, events=("payment.succeeded", "payment.refunded", "payment.failed"), **section):
    body = {
        "display_name": "Aurora <Lamps> & Co",
        "settings": {
            "notifications": {"enabled_events": list(events), "reply_to": "help@shop.example", **section}
        },
    }
    resp = api.simulate_patch("/merchant", json=body, headers=auth)
    assert resp.status_code == 200, resp.text


def pay(api, auth, number="4242424242424242", email=EMAIL, **extra):
    details = {"customer_details": {"email": email}} if email else {}
    resp = api.simulate_post("/payments", json=card_payment(number, **details, **extra), headers=auth)
    assert resp.status_code == 202, resp.text
    return resp.json["id"]


def listed(api, auth, pid, final=True, timeout=20.0):
    """``GET /payments/{id}/notifications`` once every notification is final (sent or failed)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = api.simulate_get(f"/payments/{pid}/notifications", headers=auth)
        assert resp.status_code == 200, resp.text
        data = resp.json["data"]
        if not final or (data and all(n["status"] != "queued" for n in data)) or time.monotonic() > deadline:
            for notification in data:
                conforms(notification, "Notification")
            return data
        time.sleep(0.05)


def count(event_type, outcome):
    return metrics.notifications.labels("email", event_type, outcome)._value.get()


def test_a_receipt_tells_the_amount_and_the_card_never_its_number(api, auth, notify, catcher, capsys):
    enable(api, auth)
    sent_before = count("payment.succeeded", "sent")
    pid = pay(api, auth, "5555555555554444", amount=123456, currency="EUR", description="Desk <lamp>")
    assert wait_status(pid).status == "succeeded"
    [message] = catcher.wait(1)
    text, html = bodies(message)
    assert message["Subject"] == "Your receipt from Aurora <Lamps> & Co: €1,234.56"
    assert message["To"] == EMAIL and message["Reply-To"] == "help@shop.example"
    assert message["From"] == '"Aurora <Lamps> & Co" <notifications@127.0.0.1>'
    assert "Amount paid: €1,234.56" in text and "Card: Mastercard ending in 4444" in text
    assert "For: Desk <lamp>" in text  # text is not HTML: nothing escaped
    assert (
        "<strong>Aurora &lt;Lamps&gt; &amp; Co</strong>" in html and "Desk &lt;lamp&gt;" in html
    )  # autoescaped
    assert "5555555555554444" not in message.as_string() and "555555" not in message.as_string()
    [notification] = listed(api, auth, pid)
    assert notification["status"] == "sent" and notification["attempts"] == 1
    assert (
        notification["recipient"] == "j***@example.test" and notification["event_type"] == "payment.succeeded"
    )
    assert notification["subject"] == message["Subject"] and notification["sent_at"]
    assert notification["smtp_answer"] == {"code": 250, "message": "2.0.0 Ok: queued as CAUGHT"}
    assert message["Message-ID"] == f"<{notification['id']}@127.0.0.1>"
    assert count("payment.succeeded", "sent") == sent_before + 1
    logged = capsys.readouterr().out  # this process's JSON log lines, the fleet's included
    assert '"message":"notification_attempt"' in logged and '"recipient":"j***@example.test"' in logged
    assert EMAIL not in logged


def test_partial_then_full_refund_notices(api, auth, notify, catcher):
    enable(api, auth, ["payment.refunded"])
    pid = pay(api, auth, amount=1000)
    assert wait_status(pid).status == "succeeded"
    for amount, mails in ((300, 1), (700, 2)):
        resp = api.simulate_post(f"/payments/{pid}/refunds", json={"amount": amount}, headers=auth)
        assert resp.status_code == 202, resp.text
        catcher.wait(mails)
    partial, full = (bodies(m)[0] for m in catcher.accepted)
    assert [m["Subject"] for m in catcher.accepted] == [
        "Aurora <Lamps> & Co refunded $3.00",
        "Aurora <Lamps> & Co refunded $7.00",
    ]
    assert "refunded $3.00 of your payment of $10.00" in partial and "Refunded so far: $3.00." in partial
    assert "refunded $7.00 of your payment of $10.00" in full and "now fully refunded" in full
    assert [n["status"] for n in listed(api, auth, pid)] == ["sent", "sent"]


def test_a_failure_tells_a_reason_a_customer_may_read(api, auth, notify, catcher):
    enable(api, auth)
    pid = pay(api, auth, "4000000000009995")
    payment = wait_status(pid)
    assert payment.status == "failed"
    [message] = catcher.wait(1)
    text, _ = bodies(message)
    assert message["Subject"] == "Your payment to Aurora <Lamps> & Co did not go through"
    assert "did not go through: " in text and "Visa ending in 9995" in text
    assert payment.failure_message not in text  # the gateway's own words never reach the customer


def test_requires_action_links_back_to_the_merchant_never_to_the_gateway(api, auth, notify, catcher):
    enable(api, auth, ["payment.requires_action"])
    pid = pay(api, auth, "4000000000003220", return_url=SHOP)
    payment = wait_status(pid, ("requires_action",))
    [message] = catcher.wait(1)
    text, html = bodies(message)
    assert f"Complete it at Aurora <Lamps> & Co: {SHOP}" in text and f'href="{SHOP}"' in html
    gateway_page = payment.next_action["redirect_to_url"]["url"]
    assert gateway_page not in text and gateway_page not in html


def test_the_merchants_locale_and_its_own_template(api, auth, notify, catcher):
    templates = {
        "payment.succeeded": {"fr": {"subject": "Merci ! {{ amount }} reçus par {{ merchant_name }}"}}
    }
    enable(api, auth, ["payment.succeeded"], locale="fr", from_name="Aurore", templates=templates)
    pid = pay(api, auth, amount=1050)
    assert wait_status(pid).status == "succeeded"
    [message] = catcher.wait(1)
    text, _ = bodies(message)
    assert (
        message["Subject"] == "Merci ! 10,50\xa0$US reçus par Aurora <Lamps> & Co"
    )  # the merchant's subject
    assert (
        "Montant payé : 10,50\xa0$US" in text and "Carte : Visa se terminant par 4242" in text
    )  # PayWave's fr
    assert message["From"] == "Aurore <notifications@127.0.0.1>"


def test_a_4xx_is_retried_with_the_same_message_id_then_sent(api, auth, notify, catcher):
    enable(api, auth, ["payment.succeeded"])
    catcher.script = ["451 4.3.0 Try again later"]
    retried_before = count("payment.succeeded", "retried")
    pid = pay(api, auth)
    [notification] = listed(api, auth, pid)
    assert notification["status"] == "sent" and notification["attempts"] == 2
    assert notification["smtp_answer"]["code"] == 250
    first, second = catcher.offered
    assert first["Message-ID"] == second["Message-ID"] == f"<{notification['id']}@127.0.0.1>"
    assert len(catcher.accepted) == 1
    assert count("payment.succeeded", "retried") == retried_before + 1


def test_a_5xx_fails_at_once_and_is_not_retried(api, auth, notify, catcher):
    enable(api, auth, ["payment.succeeded"])
    catcher.script = ["550 5.1.1 Mailbox unavailable"]
    pid = pay(api, auth)
    [notification] = listed(api, auth, pid)
    assert notification["status"] == "failed" and notification["attempts"] == 1
    assert notification["smtp_answer"] == {"code": 550, "message": "5.1.1 Mailbox unavailable"}
    assert notification["sent_at"] is None and len(catcher.offered) == 1 and catcher.accepted == []
    assert Notification.get_by_id(notification["id"]).next_attempt_at is None


def test_every_retry_spent_fails_it(api, auth, notify, catcher):
    enable(api, auth, ["payment.succeeded"])
    catcher.script = ["421 4.7.0 Busy"] * 3
    pid = pay(api, auth)
    [notification] = listed(api, auth, pid)
    assert notification["status"] == "failed" and notification["attempts"] == 1 + len(SCHEDULE)
    assert len(catcher.offered) == 3 and catcher.accepted == []


def test_an_event_the_merchant_did_not_enable_sends_nothing(api, auth, notify, catcher):
    enable(api, auth, ["payment.refunded"])
    pid = pay(api, auth)
    assert wait_status(pid).status == "succeeded"
    assert listed(api, auth, pid, final=False) == []


def test_no_email_no_notification(api, auth, notify, catcher):
    enable(api, auth)
    pid = pay(api, auth, email=None)
    assert wait_status(pid).status == "succeeded"
    assert listed(api, auth, pid, final=False) == []


def test_without_an_smtp_url_it_is_recorded_failed_naming_the_setting(api, auth, fleet, worker_config):
    enable(api, auth, ["payment.succeeded"])
    assert fleet.context.config.smtp_url == ""
    pid = pay(api, auth)
    [notification] = listed(api, auth, pid)
    assert notification["status"] == "failed" and "PAYWAVE_SMTP_URL" in notification["smtp_answer"]["message"]


def test_the_customers_email_is_used_and_erased_with_the_customer(api, auth, notify, catcher):
    enable(api, auth, ["payment.succeeded"])
    customer = new_customer(api, auth, email="ada@example.test")
    pid = pay(api, auth, email=None, customer=customer)
    [message] = catcher.wait(1)
    assert message["To"] == "ada@example.test"
    [notification] = listed(api, auth, pid)
    assert notification["recipient"] == "a***@example.test"
    assert api.simulate_delete(f"/customers/{customer}", headers=auth).status_code == 200
    [erased] = listed(api, auth, pid)
    assert erased["recipient"] is None and Notification.get_by_id(notification["id"]).recipient is None


def test_redacting_a_payment_erases_its_notifications_recipient(api, auth, notify, catcher):
    enable(api, auth, ["payment.succeeded"])
    pid = pay(api, auth)  # customer_details.email, no customer object
    catcher.wait(1)
    [notification] = listed(api, auth, pid)
    assert notification["recipient"]
    assert api.simulate_post(f"/payments/{pid}/redact", headers=auth).status_code == 200
    [erased] = listed(api, auth, pid)
    assert erased["recipient"] is None and Notification.get_by_id(notification["id"]).recipient is None


def test_another_merchants_payment_is_unknown(api, auth, mint, notify):
    pid = pay(api, auth)
    other = {"Authorization": f"Bearer {mint('m_other_notifications')}"}
    assert api.simulate_get(f"/payments/{pid}/notifications", headers=other).status_code == 404


def test_a_notification_whose_job_was_lost_is_sent_by_the_sweeper(api, auth, notify, catcher, fleet):
    enable(api, auth, ["payment.succeeded"])
    pid = pay(api, auth)
    [notification] = listed(api, auth, pid)
    # As if its job had been lost before the attempt: queued, long overdue.
    Notification.update(status="queued", next_attempt_at=utcnow() - datetime.timedelta(hours=1)).where(
        Notification.id == notification["id"]
    ).execute()
    sweep(fleet.context)  # or the fleet's own sweeper, first
    first, second = catcher.wait(2)
    assert first["Message-ID"] == second["Message-ID"]
    [again] = listed(api, auth, pid)
    assert again["status"] == "sent" and again["attempts"] == 2
