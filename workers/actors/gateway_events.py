"""``apply_gateway_event(gateway, event_id)`` (ops pool): fold a stored gateway event into its payment.

An event its gateway verifies at the door (``Webhooks.verified_at_door``: Stripe's local HMAC) was
verified by the ingress before it was stored.  Any other (PayPal's) can only be verified by asking the
gateway, which the ingress never does: this actor does it first (``Webhooks.verify``), and a forged
event is marked ``rejected`` and never applied.
"""

import dramatiq

from gateways import registry
from gateways.errors import GatewayError
from shared.logging import worker_log
from store import gateway_events


def apply_gateway_event(ctx, gateway, event_id):
    """Verify (when not verified at the door) and apply one stored event, then refresh the payment's cache
    entry.

    Parameters:
      gateway: A registered gateway's name.
      event_id: The gateway's event id; an event already decided makes this a no-op.

    Raises:
      dramatiq.Retry: The gateway could not be asked, or our refund job has yet to record the refund.
    """
    event = gateway_events.received(gateway, event_id)
    if event is None:
        return  # applied, ignored or rejected by an earlier delivery of this job
    webhooks = registry.webhooks(gateway)
    if not webhooks.verified_at_door and not _genuine(ctx, gateway, webhooks, event):
        if gateway_events.reject(
            gateway, event_id, f"{webhooks.title} did not verify its signature", event.digest
        ):
            worker_log.error("gateway_event_forged", gateway=gateway, event_id=event_id, type=event.type)
        return
    try:
        with ctx.unit():
            gateway_events.apply(gateway, event_id, event.digest)  # the delivery verified, no other
    except gateway_events.NotYet:
        raise dramatiq.Retry() from None  # with the actor's backoff, until our refund job has recorded


def _genuine(ctx, gateway, webhooks, event) -> bool:
    """The gateway's verdict on the stored delivery.

    Raises:
      dramatiq.Retry: The gateway could not be asked.
    """
    try:
        return webhooks.verify(ctx.config, ctx.gateways[gateway], event.headers, event.payload.encode())
    except GatewayError as exc:  # the gateway could not be asked: again later
        worker_log.warning(
            "gateway_event_unverified", gateway=gateway, event_id=event.event_id, error=exc.code
        )
        raise dramatiq.Retry() from None


#: For ``workers.actors.ACTORS``: actor name -> (function, queue).
ACTORS = {"apply_gateway_event": (apply_gateway_event, "ops")}
