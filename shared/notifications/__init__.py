"""Payer notifications (issue 16): what a merchant's customer is told of a payment, and how it is sent.

A channel (``Channel``) sends one ``Message`` and says what became of it (``Result``); email over SMTP
(``shared.notifications.smtp``) is the one channel today, an SMS or push one would be another subclass.
``shared.notifications.render`` turns an event into the message's subject and bodies.
"""

import abc
import dataclasses

#: The events a merchant may tell its customers of (``settings.notifications.enabled_events``).
EVENTS = ("payment.succeeded", "payment.refunded", "payment.failed", "payment.requires_action")


@dataclasses.dataclass(frozen=True)
class Message:
    """One notification to send.

    Parameters:
      sender: The ``From`` address; ``sender_name`` the name shown with it (the merchant's).
      message_id: The same on every attempt (derived from the notification's id), so a server that took
        an attempt whose answer was lost can recognise the retry.
    """

    message_id: str
    sender: str
    sender_name: str
    recipient: str
    reply_to: str | None
    subject: str
    text: str
    html: str


@dataclasses.dataclass(frozen=True)
class Result:
    """What the server answered (``code`` None: no answer, e.g. the connection failed).

    Parameters:
      outcome: ``sent``; ``retry`` (a 4xx, no answer, an unknown outcome); ``failed`` (a 5xx: permanent).
    """

    outcome: str
    code: int | None
    text: str


class Channel(abc.ABC):
    """A way to reach a payer; ``name`` is the notification's ``channel``."""

    name: str

    @abc.abstractmethod
    def send(self, message: Message) -> Result:
        """Send ``message`` once. Never raises for what the server or the network did: ``Result`` says."""


def mask_email(address: str) -> str:
    """``jane@example.com`` → ``j***@example.com``: what logs and API answers show of a payer's address."""
    local, at, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if at else "***"
