"""Payer notifications (issue 16): one row per event a merchant's customer is told of, on one channel.

``queue`` writes the row and its ``send_notification`` job in the event's transaction
(``store.events.record``) when the merchant enabled that event (``settings.notifications.enabled_events``)
and the payment names an email: its ``customer_details.email``, else its customer's.  A worker ``claim``s a
queued notification for a lease (a copy of the job waits for its outcome instead of sending alongside it),
sends it and ``record_attempt``s the answer: ``sent`` and ``failed`` are final, so a notification is sent at
most once once it is recorded ``sent``.

``recipient`` is personal data: ``erase_payment`` blanks it with the payment's other personal data.
"""

import dataclasses
import datetime

from shared import jobs
from shared.ids import new_id
from shared.notifications import EVENTS, mask_email
from store import outbox, unit
from store.db import database, locked
from store.errors import NotFound
from store.models import Customer, Event, Merchant, Notification, Payment, utcnow
from store.objects import timestamp

QUEUED, SENT, FAILED = "queued", "sent", "failed"
CHANNEL = "email"


class NotDue(Exception):
    """Another worker holds the notification's attempt, or its retry is later."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"due in {seconds:.3f} s")
        self.seconds = seconds


def _recipient(data: dict) -> str | None:
    email = (data.get("customer_details") or {}).get("email")
    if email or not data.get("customer"):
        return email
    row = Customer.select(Customer.email).where(Customer.id == data["customer"]).first()
    return row.email if row else None


def settings_key(merchant_id: str) -> tuple:
    """The key under which a unit of work reads ahead the merchant's settings ``queue`` reads
    (``store.unit.read``)."""
    return ("merchant_settings", merchant_id)


def _settings(merchant_id: str) -> dict:
    merchant = Merchant.select(Merchant.settings).where(Merchant.id == merchant_id).first()
    return merchant.settings if merchant else {}


def queue(event: Event) -> Notification | None:
    """The notification of ``event`` and its job, when its merchant tells its customers of this type of
    event and the payment names an email. Call in the event's transaction.

    One query (the merchant's settings) for an event a payer may be told of, none for another or when the
    unit of work read them ahead with its lock.
    """
    if event.type not in EVENTS or event.payment_id is None:
        return None
    settings = unit.read(settings_key(event.merchant_id), lambda: _settings(event.merchant_id))
    section = settings.get("notifications") or {}
    recipient = _recipient(event.data) if event.type in section.get("enabled_events", ()) else None
    if not recipient:
        return None
    notification_id = new_id("ntf")
    notification = Notification(
        id=notification_id,
        merchant_id=event.merchant_id,
        livemode=event.livemode,
        payment_id=event.payment_id,
        event_id=event.id,
        event_type=event.type,
        channel=CHANNEL,
        recipient=recipient,
        status=QUEUED,
        attempts=0,
        next_attempt_at=event.created_at,
        created_at=event.created_at,
    )
    unit.insert(notification)  # with its event: at the COMMIT of a batched unit of work
    outbox.add(jobs.send_notification(notification_id))
    return notification


def message_id_for(notification_id: str, host: str) -> str:
    """The ``Message-ID`` every attempt of the notification sends: a retry after an answer that was lost is
    the same message to the server, never a second one."""
    return f"<{notification_id}@{host}>"


@dataclasses.dataclass(frozen=True)
class Claimed:
    """What one attempt sends: the notification, its event's payment object, the merchant's name and
    notification settings, and what this refund gave back (``payment.refunded``)."""

    notification: Notification
    payment: dict
    merchant_name: str
    settings: dict
    refund_amount: int
    when: datetime.datetime


def _refund_amount(event: Event) -> int:
    """This refund's amount: the payment's refunded total now less the total at its previous refund event."""
    if event.type != "payment.refunded":
        return 0
    previous = (
        Event.select(Event.data)
        .where(
            (Event.payment_id == event.payment_id)
            & (Event.type == "payment.refunded")
            & (
                (Event.created_at < event.created_at)
                | ((Event.created_at == event.created_at) & (Event.id < event.id))
            )
        )
        .order_by(Event.created_at.desc(), Event.id.desc())
        .first()
    )
    return event.data["amount_refunded"] - (previous.data["amount_refunded"] if previous else 0)


def claim(notification_id: str, lease_seconds: float) -> Claimed | None:
    """Take the notification's due attempt: it is leased ``lease_seconds`` ahead, so a copy of its job waits.

    Returns:
      What to send, or None when the notification is final (sent or failed).

    Raises:
      NotDue: with the seconds to wait.
    """
    now = utcnow()
    with database.atomic():
        notification = locked(Notification.select().where(Notification.id == notification_id)).first()
        if notification is None or notification.status != QUEUED:
            return None
        wait = (notification.next_attempt_at - now).total_seconds() if notification.next_attempt_at else 0
        if wait > 0:
            raise NotDue(wait)
        notification.next_attempt_at = now + datetime.timedelta(seconds=lease_seconds)
        notification.save()
        event = Event.get_by_id(notification.event_id)
        merchant = Merchant.get_by_id(notification.merchant_id)
        return Claimed(
            notification,
            event.data,
            merchant.display_name,
            merchant.settings.get("notifications") or {},
            _refund_amount(event),
            event.created_at,
        )


def record_attempt(
    notification_id: str,
    status: str,
    *,
    code: int | None,
    message: str,
    subject: str | None,
    message_id: str,
    retry_in: float | None,
) -> None:
    """Save one attempt: ``status`` ``sent`` or ``failed`` is final; ``queued`` is due again in ``retry_in``
    seconds.
    """
    now = utcnow()
    with database.atomic():
        notification = locked(Notification.select().where(Notification.id == notification_id)).get()
        notification.attempts += 1
        notification.status = status
        notification.smtp_code, notification.smtp_message = code, message
        notification.subject = subject or notification.subject
        notification.message_id = message_id
        notification.next_attempt_at = (
            None if retry_in is None else now + datetime.timedelta(seconds=retry_in)
        )
        if status == SENT:
            notification.sent_at = now
        notification.save()


def notification_object(n: Notification) -> dict:
    """The API's notification: the recipient masked (``j***@example.com``), never the full address."""
    return {
        "id": n.id,
        "object": "notification",
        "payment_id": n.payment_id,
        "event_id": n.event_id,
        "event_type": n.event_type,
        "channel": n.channel,
        "recipient": mask_email(n.recipient) if n.recipient else None,
        "subject": n.subject,
        "status": n.status,
        "attempts": n.attempts,
        "smtp_answer": None if n.smtp_message is None else {"code": n.smtp_code, "message": n.smtp_message},
        "created_at": timestamp(n.created_at),
        "sent_at": timestamp(n.sent_at) if n.sent_at else None,
    }


def of_payment(merchant_id: str, payment_id: str, *, livemode: bool) -> list[dict]:
    """The payment's notifications, oldest first.

    Raises:
      NotFound: no such payment for this merchant and mode.
    """
    mine = (Payment.id == payment_id) & (Payment.merchant_id == merchant_id) & (Payment.livemode == livemode)
    if not Payment.select(Payment.id).where(mine).exists():
        raise NotFound(payment_id)
    rows = (
        Notification.select()
        .where(Notification.payment_id == payment_id)
        .order_by(Notification.created_at, Notification.id)
    )
    return [notification_object(n) for n in rows]


def erase_payment(payment_id: str) -> None:
    """Blank the recipient of every notification about the payment (a queued one then fails rather than
    reach an erased address): part of the payment's erasure (``store.payments``). Call in its transaction."""
    Notification.update(recipient=None).where(Notification.payment_id == payment_id).execute()


def redrive_stuck(cutoff: datetime.datetime, limit: int = 500) -> int:
    """Queue ``send_notification`` again for queued notifications whose attempt was due before ``cutoff``
    (their job was lost or dead-lettered); they become due now, so the next pass waits a period. Call in a
    transaction.

    Returns:
      How many were queued.
    """
    ids = [
        n.id
        for n in Notification.select(Notification.id)
        .where((Notification.status == QUEUED) & (Notification.next_attempt_at < cutoff))
        .limit(limit)
    ]
    outbox.add_all([jobs.send_notification(notification_id) for notification_id in ids])
    if ids:
        Notification.update(next_attempt_at=utcnow()).where(Notification.id.in_(ids)).execute()
    return len(ids)
