"""The jobs the workers run, one constructor per actor: its queue, its name and its arguments in one place.

Whatever queues work (the ingress, the store, the sweeper, the actors themselves) builds the job here,
and the outbox stores it as it is (``queue_name``, ``actor_name``, ``args``); the names are part of
what RabbitMQ carries, so they never change.  ``tests/workers/test_jobs.py`` checks that every
constructor names an actor the workers register, on a queue a pool consumes.
"""

from typing import NamedTuple

from shared.queues import gateway_queue


class Job(NamedTuple):
    """One message for the workers: Dramatiq's ``queue_name`` and ``actor_name``, positional ``args``;
    ``traceparent``, the trace context its outbox row stored (``shared.tracing``), once read back to
    publish."""

    queue_name: str
    actor_name: str
    args: tuple
    traceparent: str | None = None


def process_payment(payment_id: str, gateway: str) -> Job:
    """Charge (or authorize) ``payment_id`` through ``gateway``, on that gateway's pool."""
    return Job(gateway_queue(gateway), "process_payment", (payment_id, gateway))


def route_payment(payment_id: str) -> Job:
    """Send ``payment_id``, which its gateway gave up on, to the next gateway of its route."""
    return Job("payments.fallback", "route_payment", (payment_id,))


def capture_payment(payment_id: str) -> Job:
    return Job("ops", "capture_payment", (payment_id,))


def cancel_payment(payment_id: str) -> Job:
    return Job("ops", "cancel_payment", (payment_id,))


def refund_payment(refund_id: str) -> Job:
    return Job("ops", "refund_payment", (refund_id,))


def propagate_update(payment_id: str) -> Job:
    """Send a payment's new description and metadata to the gateway that holds it."""
    return Job("ops", "propagate_update", (payment_id,))


def apply_gateway_event(gateway: str, event_id: str) -> Job:
    """Apply a stored incoming gateway event to the payment it is about."""
    return Job("ops", "apply_gateway_event", (gateway, event_id))


def label_fraud(merchant_id: str, livemode: bool, labels: list[list[str]]) -> Job:
    """Label cards, emails or IP addresses (``[dimension, digest]`` pairs) fraudulent in Redis
    (``store.radar.label_fraud`` keeps them durably)."""
    return Job("ops", "label_fraud", (merchant_id, livemode, labels))


def deliver_webhook(delivery_id: str) -> Job:
    """Try to deliver an outgoing event to a merchant's endpoint."""
    return Job("webhooks", "deliver_webhook", (delivery_id,))


def send_notification(notification_id: str) -> Job:
    """Try to send a payer notification (``store.notifications``)."""
    return Job("notifications", "send_notification", (notification_id,))
