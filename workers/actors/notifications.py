"""``send_notification(notification_id)``: one attempt to tell a payment's customer of an event by email
(notifications pool).

The notification is claimed for a lease first (``store.notifications.claim``), so a copy of the job waits for
this attempt's outcome instead of sending alongside it; once recorded ``sent`` it is never sent again.  A
4xx, no answer or a lost connection is retried on ``PAYWAVE_NOTIFICATION_RETRY_SCHEDULE`` through Dramatiq's
delay queue, with the same ``Message-ID``; a 5xx is permanent: recorded ``failed``, not retried.
"""

import functools
import random
import urllib.parse

import dramatiq

from shared import metrics
from shared.logging import get_logger
from shared.notifications import Message, Result, mask_email, render
from shared.notifications.smtp import Smtp
from store import notifications

log = get_logger("paywave.notifications")
JITTER = 0.1


@functools.cache
def _channel(url: str, timeout: float) -> Smtp:
    return Smtp(url, timeout)


def _host(config) -> str:
    return urllib.parse.urlsplit(config.public_url).hostname or "paywave"


def retry_in(config, number: int) -> float | None:
    """Seconds from attempt ``number`` (1 is the first) to the next, with jitter; None when none is left."""
    schedule = config.notification_retry_schedule
    if number > len(schedule):
        return None
    return schedule[number - 1] * random.uniform(1 - JITTER, 1 + JITTER)


def _attempt(config, claimed: notifications.Claimed, message_id: str) -> tuple[Result, str | None]:
    """Render and send one attempt. Returns ``(result, subject)``."""
    notification, section = claimed.notification, claimed.settings
    if notification.recipient is None:
        return Result("failed", None, "the recipient was erased with the customer"), None
    if not config.smtp_url:
        return Result("failed", None, "PAYWAVE_SMTP_URL is not set: no email can be sent"), None
    locale = section.get("locale") or render.DEFAULT_LOCALE
    payment = claimed.payment
    try:
        rendered = render.render(
            notification.event_type,
            render.context(
                notification.event_type,
                payment,
                claimed.merchant_name,
                locale,
                refund_amount=claimed.refund_amount,
                action_url=payment.get("return_url") or section.get("return_url"),
                when=claimed.when,
            ),
            locale,
            section.get("templates") or {},
        )
    except render.TemplateFailed as exc:
        return Result("failed", None, f"the merchant's template cannot be rendered: {exc}"), None
    message = Message(
        message_id=message_id,
        sender=config.notification_from or f"notifications@{_host(config)}",
        sender_name=section.get("from_name") or claimed.merchant_name,
        recipient=notification.recipient,
        reply_to=section.get("reply_to"),
        subject=rendered["subject"],
        text=rendered["text"],
        html=rendered["html"],
    )
    return _channel(config.smtp_url, config.smtp_timeout).send(message), rendered["subject"]


def send_notification(ctx, notification_id):
    config = ctx.config
    # Longer than an attempt can take (connection, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA at the timeout).
    lease = 8 * config.smtp_timeout
    try:
        claimed = notifications.claim(notification_id, lease)
    except notifications.NotDue as exc:
        raise dramatiq.Retry(delay=int(exc.seconds * 1000) + 1) from None
    if claimed is None:
        return
    notification = claimed.notification
    message_id = notifications.message_id_for(notification.id, _host(config))
    result, subject = _attempt(config, claimed, message_id)
    number = notification.attempts + 1
    next_in = retry_in(config, number) if result.outcome == "retry" else None
    status = {"sent": notifications.SENT, "failed": notifications.FAILED}.get(
        result.outcome, notifications.QUEUED if next_in is not None else notifications.FAILED
    )
    notifications.record_attempt(
        notification.id,
        status,
        code=result.code,
        message=result.text,
        subject=subject,
        message_id=message_id,
        retry_in=next_in,
    )
    outcome = {notifications.SENT: "sent", notifications.QUEUED: "retried"}.get(status, "failed")
    metrics.notifications.labels(notification.channel, notification.event_type, outcome).inc()
    log.info(
        "notification_attempt",
        notification_id=notification.id,
        payment_id=notification.payment_id,
        event_type=notification.event_type,
        recipient=mask_email(notification.recipient) if notification.recipient else None,
        attempt=number,
        outcome=outcome,
        smtp_code=result.code,
        retry_in_s=None if next_in is None else round(next_in, 3),
    )
    if next_in is not None:
        raise dramatiq.Retry(delay=int(next_in * 1000))
