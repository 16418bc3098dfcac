"""``deliver_webhook(delivery_id)``: one attempt to send an event to a merchant's endpoint
(webhooks pool), signed the Standard Webhooks way.

At least once, in no guaranteed order: receivers deduplicate on ``webhook-id``
(the event id).  The attempt is claimed for a lease first, so a copy of the job
(published twice, or redelivered after a crash) waits for its outcome instead of
sending alongside it; a failure schedules the next attempt through Dramatiq's
delay queue, on ``PAYWAVE_WEBHOOK_RETRY_SCHEDULE``.
"""

import datetime
import functools
import random
import time

import dramatiq
import orjson

from shared import metrics, signing
from shared.logging import get_logger
from store import deliveries
from store.objects import event_object
from workers.delivery_http import Sender

log = get_logger("paywave.webhooks")
JITTER = 0.1
USER_AGENT = "PayWave-Webhooks/1.0"


@functools.cache
def _sender(config) -> Sender:
    """One sender (its kept-alive connections) per process and configuration."""
    return Sender.from_config(config)


def retry_in(config, number: int, outcome) -> float | None:
    """Seconds from attempt ``number`` (1 is the first) to the next, with jitter and at least
    the endpoint's ``Retry-After`` (up to the schedule's longest delay); None when none is left."""
    schedule = config.webhook_retry_schedule
    if number > len(schedule):
        return None
    delay = schedule[number - 1] * random.uniform(1 - JITTER, 1 + JITTER)
    if outcome.retry_after:
        delay = max(delay, min(outcome.retry_after, max(schedule)))
    return delay


def deliver_webhook(ctx, delivery_id):
    config = ctx.config
    # Longer than an attempt can take at its timeouts: only then may a copy of the job try again.
    lease = 2 * (config.webhook_connect_timeout + config.webhook_read_timeout)
    try:
        claimed = deliveries.claim_attempt(delivery_id, lease)
    except deliveries.NotDue as exc:
        raise dramatiq.Retry(delay=int(exc.seconds * 1000) + 1) from None
    if claimed is None:
        return
    event, endpoint = claimed.event, claimed.endpoint
    body = orjson.dumps(event_object(event))
    timestamp = int(time.time())
    signatures = [
        signing.sign(s, event.id, timestamp, body) for s in deliveries.signing_secrets(endpoint, ctx.vault)
    ]
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
    outcome = _sender(config).post(endpoint.url, body, headers)
    metrics.webhook_deliveries.labels(outcome.result).inc()
    number = claimed.delivery.attempt_count + 1
    next_in = deliveries.record_attempt(
        claimed,
        outcome,
        retry_in(config, number, outcome),
        datetime.timedelta(hours=config.webhook_disable_after_hours),
    )
    log.info(
        "webhook_attempt",
        delivery_id=delivery_id,
        event_id=event.id,
        endpoint_id=endpoint.id,
        attempt=number,
        result=outcome.result,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        retry_in_s=None if next_in is None else round(next_in, 3),
    )
    if next_in is not None:
        raise dramatiq.Retry(delay=int(next_in * 1000))
