"""Outgoing webhooks: merchants' endpoints, one delivery per event and endpoint, every attempt.

Secrets: generated here, shown to the merchant once, stored only as ciphertext
under the vault's symmetric webhook-secret keys (``Vault.secrets``: held by the
ingress, which creates them, and the webhooks pool, which signs), bound to the endpoint id (never in a saved
idempotent response either).  A rotation keeps the previous secret valid for ``ROTATION_OVERLAP``; both sign
meanwhile.

Deliveries: ``fan_out`` writes them with their jobs in the event's transaction.
A worker ``claim_attempt``s a due delivery for a lease, sends it, and
``record_attempt`` saves the answer and what follows.  Lock order is always the
endpoint before its deliveries.
"""

import dataclasses
import datetime
import functools
from collections.abc import Iterable
from typing import Protocol

from shared import jobs, signing
from shared.ids import new_id
from store import audit, outbox, unit
from store.db import database, locked, prepared
from store.errors import NotFound, StateConflict
from store.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint, utcnow
from store.objects import delivery_object, encode, endpoint_object, timestamp
from store.pages import page
from store.states import DeliveryStatus
from store.unit import Unit
from store.vault import Vault

#: Each endpoint adds rows to every event's transaction: keep the fan-out bounded.
MAX_ENDPOINTS = 16
ROTATION_OVERLAP = datetime.timedelta(hours=24)


class NotDue(Exception):
    """The delivery's next attempt is later, or another worker holds it now."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"due in {seconds:.3f} s")
        self.seconds = seconds


@dataclasses.dataclass(frozen=True)
class Claimed:
    delivery: WebhookDelivery
    endpoint: WebhookEndpoint
    event: Event


class Answer(Protocol):
    """What ``record_attempt`` reads of one attempt (``workers.delivery_http.Outcome``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def status_code(self) -> int | None: ...

    @property
    def latency_ms(self) -> int: ...

    @property
    def snippet(self) -> str | None: ...

    @property
    def error(self) -> str | None: ...


def _seal(endpoint: WebhookEndpoint, vault: Vault) -> str:
    """Give ``endpoint`` a new secret (encrypted on the row); returns it in clear."""
    secret = signing.new_secret()
    endpoint.secret_key_id, endpoint.secret_ciphertext = (
        vault.secrets.active_key_id,
        vault.secrets.encrypt(secret, endpoint.id),
    )
    return secret


def _answer(
    work: Unit, endpoint: WebhookEndpoint, secret: str, status: int, location: str | None = None
) -> dict:
    """The answer with the secret; the unit's saved response without it (a replay cannot reveal it)."""
    work.respond(status, encode(endpoint_object(endpoint)), location)
    return endpoint_object(endpoint, secret)


def create_endpoint(
    merchant_id: str,
    url: str,
    enabled_events: Iterable[str],
    description: str | None,
    vault: Vault,
    *,
    livemode: bool,
) -> dict:
    """A new enabled endpoint, receiving the events of mode ``livemode`` only.

    Returns:
      The endpoint object with its ``secret`` (the only time it is shown).

    Raises:
      StateConflict: the merchant already has ``MAX_ENDPOINTS``.
    """
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("we"),
        merchant_id=merchant_id,
        livemode=livemode,
        url=url,
        description=description,
        enabled_events=list(enabled_events),
        status="enabled",
        created_at=now,
        updated_at=now,
    )
    secret = _seal(endpoint, vault)
    with unit.joined() as work:
        count = WebhookEndpoint.select().where(WebhookEndpoint.merchant_id == merchant_id).count()
        if count >= MAX_ENDPOINTS:
            raise StateConflict(
                f"a merchant has at most {MAX_ENDPOINTS} webhook endpoints", "too_many_endpoints"
            )
        endpoint.save(force_insert=True)
        audit.record(merchant_id, "webhook_endpoint.created", endpoint.id, after=endpoint_object(endpoint))
        return _answer(work, endpoint, secret, 201, f"/webhook_endpoints/{endpoint.id}")


def get_endpoint(
    merchant_id: str, endpoint_id: str, lock: bool = False, *, livemode: bool
) -> WebhookEndpoint:
    """Raises:
    NotFound: no such endpoint for this merchant and mode.
    """
    query = WebhookEndpoint.select().where(
        (WebhookEndpoint.id == endpoint_id)
        & (WebhookEndpoint.merchant_id == merchant_id)
        & (WebhookEndpoint.livemode == livemode)
    )
    endpoint = (locked(query) if lock else query).first()
    if endpoint is None:
        raise NotFound(endpoint_id)
    return endpoint


def list_endpoints(
    merchant_id: str, *, livemode: bool, limit: int, starting_after: str | None = None
) -> tuple[list[dict], bool]:
    """The merchant's endpoints of mode ``livemode``, newest first.

    Returns:
      ``([endpoint objects], has_more)``.
    """
    query = WebhookEndpoint.select().where(
        (WebhookEndpoint.merchant_id == merchant_id) & (WebhookEndpoint.livemode == livemode)
    )
    rows, has_more = page(
        query, limit, starting_after, functools.partial(get_endpoint, merchant_id, livemode=livemode)
    )
    return [endpoint_object(e) for e in rows], has_more


def _cancel_pending(endpoint_id: str, now: datetime.datetime) -> None:
    (
        WebhookDelivery.update(status=DeliveryStatus.CANCELED, next_attempt_at=None, updated_at=now)
        .where(
            (WebhookDelivery.endpoint_id == endpoint_id) & (WebhookDelivery.status == DeliveryStatus.PENDING)
        )
        .execute()
    )


def delete_endpoint(merchant_id: str, endpoint_id: str, *, livemode: bool) -> None:
    """Delete the endpoint (its secrets with it) and cancel its pending deliveries.

    Raises:
      NotFound.
    """
    with unit.joined():
        endpoint = get_endpoint(merchant_id, endpoint_id, lock=True, livemode=livemode)
        _cancel_pending(endpoint.id, utcnow())
        endpoint.delete_instance()
        audit.record(merchant_id, "webhook_endpoint.deleted", endpoint.id, before=endpoint_object(endpoint))


def rotate_secret(merchant_id: str, endpoint_id: str, vault: Vault, *, livemode: bool) -> dict:
    """A new secret; the current one stays valid for ``ROTATION_OVERLAP`` (a rotation
    within that time ends the older one at once: at most two secrets sign).

    Returns:
      The endpoint object with its new ``secret``.

    Raises:
      NotFound.
    """
    with unit.joined() as work:
        endpoint = get_endpoint(merchant_id, endpoint_id, lock=True, livemode=livemode)
        now = utcnow()
        endpoint.previous_secret_key_id = endpoint.secret_key_id
        endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
        endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
        endpoint.updated_at = now
        secret = _seal(endpoint, vault)
        endpoint.save()
        # The secrets themselves never enter the trail: when the previous one stops signing does.
        audit.record(
            merchant_id,
            "webhook_endpoint.secret_rotated",
            endpoint.id,
            after={"previous_secret_expires_at": timestamp(endpoint.previous_secret_expires_at)},
        )
        return _answer(work, endpoint, secret, 200)


def set_status(merchant_id: str, endpoint_id: str, status: str, *, livemode: bool) -> dict:
    """Disable the endpoint (its pending deliveries canceled; events meanwhile are not sent to it, nor later)
    or enable it again (a disabled one's failure streak forgotten: it has the whole ``disable_after`` again).

    Parameters:
      status: ``enabled`` or ``disabled``.

    Returns:
      The endpoint object.

    Raises:
      NotFound.
    """
    with unit.joined() as work:
        endpoint = get_endpoint(merchant_id, endpoint_id, lock=True, livemode=livemode)
        before = endpoint_object(endpoint)
        if endpoint.status != status:
            now = utcnow()
            if status == "disabled":
                _disable(endpoint, "disabled by the merchant", now)
            else:
                endpoint.status, endpoint.disabled_reason, endpoint.failing_since = "enabled", None, None
            endpoint.updated_at = now
            endpoint.save()
            audit.record(
                merchant_id,
                "webhook_endpoint.updated",
                endpoint.id,
                before=before,
                after=endpoint_object(endpoint),
            )
        work.respond(200, encode(endpoint_object(endpoint)))
        return endpoint_object(endpoint)


def signing_secrets(endpoint: WebhookEndpoint, vault: Vault) -> list[str]:
    """The secrets that sign now: the current one, and the previous one while it is valid."""
    secrets = [vault.secrets.decrypt(endpoint.secret_ciphertext, endpoint.secret_key_id, endpoint.id)]
    # A rotation sets all three; a new endpoint has none.
    ciphertext, key_id, expires_at = (
        endpoint.previous_secret_ciphertext,
        endpoint.previous_secret_key_id,
        endpoint.previous_secret_expires_at,
    )
    if ciphertext and key_id and expires_at and expires_at > utcnow():
        secrets.append(vault.secrets.decrypt(ciphertext, key_id, endpoint.id))
    return secrets


def endpoints_key(merchant_id: str, livemode: bool) -> tuple:
    """The key under which a unit of work reads ahead the enabled endpoints ``fan_out`` reads
    (``store.unit.read``): ``[(id, enabled_events), ...]``."""
    return ("webhook_endpoints", merchant_id, livemode)


def fan_out(event: Event) -> list[WebhookDelivery]:
    """A pending delivery and its job for each enabled endpoint of the event's merchant and mode (a test
    event never reaches a live endpoint, nor the reverse) subscribed to its type. Call in the event's
    transaction.

    One indexed query when the merchant has no endpoint, none when the unit of work read them ahead with
    its lock.  No cache: an endpoint created in another process must get the very next event.
    """
    endpoints = unit.read(
        endpoints_key(event.merchant_id, event.livemode),
        lambda: [
            (endpoint.id, endpoint.enabled_events)
            for endpoint in prepared(
                "endpoints_of",
                lambda: WebhookEndpoint.select(WebhookEndpoint.id, WebhookEndpoint.enabled_events).where(
                    (WebhookEndpoint.merchant_id == "")
                    & (WebhookEndpoint.livemode == True)  # noqa: E712  (a placeholder: the event's mode goes there)
                    & (WebhookEndpoint.status == "")
                ),
                event.merchant_id,
                event.livemode,
                "enabled",
            )
        ],
    )
    return [
        deliver(event, endpoint_id)
        for endpoint_id, enabled_events in endpoints
        if "*" in enabled_events or event.type in enabled_events
    ]


def deliver(event: Event, endpoint_id: str) -> WebhookDelivery:
    """A pending delivery of ``event`` to one endpoint, and its job. Call in a transaction."""
    now = utcnow()
    delivery = WebhookDelivery(
        id=new_id("whd"),
        event_id=event.id,
        endpoint_id=endpoint_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    unit.insert(delivery)  # after its event, in a batched unit of work too
    outbox.add(jobs.deliver_webhook(delivery.id))
    return delivery


def deliveries_of(event_id: str) -> list[dict]:
    """The event's deliveries, oldest first, each with its attempts (two queries)."""
    deliveries = list(
        WebhookDelivery.select()
        .where(WebhookDelivery.event_id == event_id)
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
    )
    attempts: dict[str, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for a in (
            WebhookAttempt.select()
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.number)
        ):
            attempts[a.delivery_id].append(a)
    return [delivery_object(d, attempts[d.id]) for d in deliveries]


def claim_attempt(delivery_id: str, lease_seconds: float) -> Claimed | None:
    """Take the delivery's due attempt: its next attempt moves ``lease_seconds`` ahead, so
    another copy of its job waits for this one's outcome instead of sending it too.

    Returns:
      What to send, or None when the delivery is final.

    Raises:
      NotDue: with the seconds to wait.
    """
    now = utcnow()
    with database.atomic():
        delivery = locked(WebhookDelivery.select().where(WebhookDelivery.id == delivery_id)).first()
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        wait = (delivery.next_attempt_at - now).total_seconds()
        if wait > 0:
            raise NotDue(wait)
        delivery.next_attempt_at = now + datetime.timedelta(seconds=lease_seconds)
        delivery.updated_at = now
        delivery.save()
        return Claimed(
            delivery, WebhookEndpoint.get_by_id(delivery.endpoint_id), Event.get_by_id(delivery.event_id)
        )


def _disable(endpoint: WebhookEndpoint, reason: str, now: datetime.datetime) -> None:
    endpoint.status, endpoint.disabled_reason = "disabled", reason
    _cancel_pending(endpoint.id, now)


def record_attempt(
    claimed: Claimed, outcome: Answer, retry_in: float | None, disable_after: datetime.timedelta
) -> float | None:
    """Save one attempt and decide what follows: success, a retry in ``retry_in`` seconds,
    or failure.  A ``410 Gone``, or failures for longer than ``disable_after``, disable
    the endpoint (reason recorded) and cancel its other pending deliveries.

    Parameters:
      retry_in: Seconds to the next attempt on the schedule; None when none is left.

    Returns:
      Seconds until the next attempt, or None when the delivery is final.
    """
    now = utcnow()
    with database.atomic():
        endpoint_id = claimed.endpoint.id
        if outcome.ok:  # locks the endpoint only when it was failing
            (
                WebhookEndpoint.update(failing_since=None, updated_at=now)
                .where((WebhookEndpoint.id == endpoint_id) & WebhookEndpoint.failing_since.is_null(False))
                .execute()
            )
        else:
            endpoint = locked(WebhookEndpoint.select().where(WebhookEndpoint.id == endpoint_id)).first()
        delivery = locked(WebhookDelivery.select().where(WebhookDelivery.id == claimed.delivery.id)).get()
        delivery.attempt_count += 1
        WebhookAttempt.create(
            delivery_id=delivery.id,
            number=delivery.attempt_count,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_snippet=outcome.snippet,
            error=outcome.error,
            created_at=now,
        )
        if delivery.status != DeliveryStatus.PENDING:
            retry_in = None  # canceled meanwhile: its endpoint was deleted or disabled
        elif outcome.ok:
            delivery.status, retry_in = DeliveryStatus.SUCCEEDED, None
        else:
            endpoint.failing_since = endpoint.failing_since or now
            if outcome.status_code == 410:
                _disable(endpoint, "the endpoint answered 410 Gone", now)
            elif now - endpoint.failing_since > disable_after:
                _disable(
                    endpoint,
                    f"every delivery failed since {timestamp(endpoint.failing_since)} "
                    f"(longer than {disable_after.total_seconds() / 3600:g} h)",
                    now,
                )
            if endpoint.status == "disabled" or retry_in is None:
                delivery.status, retry_in = DeliveryStatus.FAILED, None
            endpoint.updated_at = now
            endpoint.save()
        delivery.next_attempt_at = None if retry_in is None else now + datetime.timedelta(seconds=retry_in)
        delivery.updated_at = now
        delivery.save()
    return retry_in


def count_disabled_endpoints() -> int:
    """Endpoints disabled after failing deliveries (the operator's gauge; a merchant re-enables them)."""
    return WebhookEndpoint.select().where(WebhookEndpoint.status == "disabled").count()


def redrive_stuck(cutoff: datetime.datetime, limit: int = 500) -> int:
    """Queue ``deliver_webhook`` again for pending deliveries whose attempt was due before
    ``cutoff`` (their job was lost or dead-lettered); they become due now, so the next pass
    waits a period.  Call in a transaction.

    Returns:
      How many were queued.
    """
    ids = [
        d.id
        for d in WebhookDelivery.select(WebhookDelivery.id)
        .where(
            (WebhookDelivery.status == DeliveryStatus.PENDING) & (WebhookDelivery.next_attempt_at < cutoff)
        )
        .limit(limit)
    ]
    outbox.add_all([jobs.deliver_webhook(delivery_id) for delivery_id in ids])
    if ids:
        WebhookDelivery.update(next_attempt_at=utcnow()).where(WebhookDelivery.id.in_(ids)).execute()
    return len(ids)
