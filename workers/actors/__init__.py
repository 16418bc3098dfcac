"""Actors, bound to a broker and a ``Context`` at start (no import-time globals)."""

import functools

import dramatiq

from workers.actors import deliveries, fallback, gateway_events, notifications, operations, process

#: actor name -> (function, queue it is sent to by default).
ACTORS = {
    "process_payment": (process.process_payment, "payments.stripe"),  # any gateway queue: the job names it
    "route_payment": (fallback.route_payment, "payments.fallback"),
    "capture_payment": (operations.capture_payment, "ops"),
    "cancel_payment": (operations.cancel_payment, "ops"),
    "refund_payment": (operations.refund_payment, "ops"),
    "propagate_update": (operations.propagate_update, "ops"),
    "label_fraud": (operations.label_fraud, "ops"),
    "deliver_webhook": (deliveries.deliver_webhook, "webhooks"),
    "send_notification": (notifications.send_notification, "notifications"),
    **gateway_events.ACTORS,  # apply_gateway_event, on ops
}

#: Unexpected errors (a database outage, a bug) retry with Dramatiq's backoff;
#: gateway errors, webhook and notification attempts are retried by the actors themselves, within their own
#: limits.
OPTIONS = {"max_retries": 100, "min_backoff": 1000, "max_backoff": 60_000}


def register(broker, ctx, prefix=""):
    """Declare every actor on ``broker`` with ``ctx`` injected. Returns ``{name: Actor}``."""
    return {
        name: dramatiq.actor(
            functools.partial(fn, ctx), actor_name=name, queue_name=prefix + queue, broker=broker, **OPTIONS
        )
        for name, (fn, queue) in ACTORS.items()
    }
