"""Merchants (tenants) and their settings: what ``GET``/``PATCH /merchant`` show and change, and what each new
payment obeys (``PaymentRules``), read by ``POST /payments`` through a short-lived cache in the process.

A merchant exists from the first time it is seen: created by an operator (``paywave admin create-merchant``),
or with defaults (its id as display name) on its first payment or merchant request.
"""

import dataclasses
import time
import weakref
from collections.abc import Callable

import peewee

from shared.ids import new_id
from shared.logging import get_logger
from shared.ttlcache import TTLCache
from store import audit, unit
from store.db import database, locked
from store.errors import FieldInvalid, NotFound, StateConflict
from store.models import ApiKey, Merchant, Payment, Refund, WebhookEndpoint, utcnow
from store.objects import encode, merchant_object
from store.states import TERMINAL, RefundStatus

log = get_logger(__name__)
#: The merchants ``ensure`` has stored, per database bound (``store.db.open_database``): a merchant stored in
#: one database is not thereby in the next one bound in this process (a test's own, a scratch one).
_known: weakref.WeakKeyDictionary[peewee.Database, set[str]] = weakref.WeakKeyDictionary()


def _insert_defaults(merchant_id: str) -> None:
    Merchant.insert(
        id=merchant_id, display_name=merchant_id, created_at=utcnow()
    ).on_conflict_ignore().execute()


def ensure(merchant_id: str) -> None:
    """Create the merchant with defaults unless it exists: one INSERT per merchant and process at most.

    Call outside a transaction: a rollback would leave the merchant remembered here but not stored.
    """
    known = _known.setdefault(database.obj, set())
    if merchant_id not in known:
        _insert_defaults(merchant_id)
        known.add(merchant_id)


def create(display_name: str, default_currency: str, raw_card_data: bool = False) -> Merchant:
    """A new merchant with a ``mer_`` id; every other setting at its default.

    Parameters:
      display_name, default_currency: Validated (``ingress.validation.merchant_changes``).
      raw_card_data: May its payments carry card numbers (SAQ D)?  Off: it pays with tokens, PayPal's
        wallet or Stripe PaymentMethods.

    Returns:
      The stored merchant.
    """
    with unit.joined():
        merchant = Merchant.create(
            id=new_id("mer"),
            display_name=display_name,
            default_currency=default_currency,
            raw_card_data=raw_card_data,
            created_at=utcnow(),
        )
        audit.record(merchant.id, "merchant.created", merchant.id, after=merchant_object(merchant))
    return merchant


def get(merchant_id: str) -> bytes:
    """The merchant object (JSON bytes), the merchant created with defaults if it was never seen."""
    ensure(merchant_id)
    return encode(merchant_object(Merchant.get_by_id(merchant_id)))


def update(merchant_id: str, changes: dict) -> bytes:
    """Apply validated ``changes`` in the open unit of work (or one of its own) and save the answer in it.

    Parameters:
      changes: Fields to set (``ingress.validation.merchant_changes``); ``settings`` holds the sections to
        replace, a section set to None is removed, the others are kept.

    Returns:
      The merchant object (JSON bytes).

    Raises:
      FieldInvalid: the default currency would not be among the accepted currencies.
    """
    fields = sorted(changes)
    changes = dict(changes)
    sections = changes.pop("settings", {})
    with unit.joined() as work:
        _insert_defaults(merchant_id)  # in the transaction: a rollback takes it back too
        merchant = locked(Merchant.select().where(Merchant.id == merchant_id)).get()
        before = merchant_object(merchant)
        for field, value in changes.items():
            setattr(merchant, field, value)
        if sections:
            merged = {**merchant.settings, **sections}
            merchant.settings = {name: value for name, value in merged.items() if value is not None}
        accepted = merchant.accepted_currencies
        if accepted is not None and merchant.default_currency not in accepted:
            field = "default_currency" if "default_currency" in changes else "accepted_currencies"
            raise FieldInvalid(field, f"the default currency {merchant.default_currency} must be accepted")
        merchant.save()
        after = merchant_object(merchant)
        audit.record_change(merchant_id, "merchant.updated", merchant_id, before, after)
        body = encode(after)
        work.respond(200, body)
    log.info("merchant_updated", merchant_id=merchant_id, fields=fields)
    return body


def set_raw_card_data(merchant_id: str, allowed: bool) -> bytes:
    """Allow or refuse card numbers in the merchant's payments (an operator's act, audited as
    ``merchant.updated``); ``POST /payments`` sees it within ``PAYWAVE_MERCHANT_CACHE_SECONDS``.

    Returns:
      The merchant object (JSON bytes).

    Raises:
      NotFound: no such merchant.
    """
    with unit.joined():
        merchant = locked(Merchant.select().where(Merchant.id == merchant_id)).first()
        if merchant is None:
            raise NotFound(merchant_id)
        before = merchant_object(merchant)
        merchant.raw_card_data = allowed
        merchant.save()
        after = merchant_object(merchant)
        audit.record_change(merchant_id, "merchant.updated", merchant_id, before, after)
    log.info("merchant_raw_card_data", merchant_id=merchant_id, allowed=allowed)
    return encode(after)


def delete(merchant_id: str) -> bytes:
    """Delete the merchant: its credentials are refused from now on (``is_deleted``), its API keys revoked,
    its webhook endpoints disabled; its payments, customers, events and audit trail stay.

    Returns:
      The merchant object (JSON bytes), ``deleted: true``.

    Raises:
      StateConflict: a payment or refund of the merchant is not final yet (money would be left in flight
        with no one to see it), or the merchant is deleted already.
    """
    with unit.joined() as work:
        _insert_defaults(merchant_id)
        merchant = locked(Merchant.select().where(Merchant.id == merchant_id)).get()
        if merchant.deleted_at is not None:
            raise StateConflict("the merchant is deleted already", "merchant_deleted")
        open_payments = Payment.select().where(
            (Payment.merchant_id == merchant_id) & Payment.status.not_in(list(TERMINAL))
        )
        open_refunds = (
            Refund.select()
            .join(Payment, on=Refund.payment_id == Payment.id)
            .where((Payment.merchant_id == merchant_id) & (Refund.status == RefundStatus.PENDING))
        )
        if open_payments.exists() or open_refunds.exists():
            raise StateConflict(
                f"{open_payments.count()} payments and {open_refunds.count()} refunds are not final yet: "
                "capture, cancel or wait for them, then delete",
                "payments_in_flight",
            )
        merchant.deleted_at = utcnow()
        merchant.save()
        WebhookEndpoint.update(status="disabled", updated_at=merchant.deleted_at).where(
            WebhookEndpoint.merchant_id == merchant_id
        ).execute()
        ApiKey.update(revoked_at=merchant.deleted_at).where(
            (ApiKey.merchant_id == merchant_id) & ApiKey.revoked_at.is_null()
        ).execute()
        body = encode(merchant_object(merchant))
        audit.record(merchant_id, "merchant.deleted", merchant_id, after={"deleted": True})
        work.respond(200, body)
    log.info("merchant_deleted", merchant_id=merchant_id)
    return body


def is_deleted(merchant_id: str) -> bool:
    """Whether ``merchant_id`` was deleted (a merchant never stored is not)."""
    return Merchant.select().where((Merchant.id == merchant_id) & Merchant.deleted_at.is_null(False)).exists()


def checkout_origins(merchant_id: str) -> frozenset[str]:
    """The origins ``settings.checkout.allowed_origins`` lets mount the card fields and send ``POST /tokens``
    from a browser (none for a merchant not stored yet)."""
    row = Merchant.select(Merchant.settings).where(Merchant.id == merchant_id).first()
    section = row.settings.get("checkout") if row else None
    return frozenset(section["allowed_origins"]) if section else frozenset()


@dataclasses.dataclass(frozen=True)
class PaymentRules:
    """What a merchant's settings ask of each new payment.

    Parameters:
      route: Gateways in order; None: ``PAYWAVE_ROUTE``.
      accepted_currencies: None: every ISO 4217 currency.
      raw_card_data: May a payment carry a card number (``payment_method.type`` ``card``)?  A merchant not
        stored yet is created with it (``ensure``: the column's default).
    """

    route: tuple[str, ...] | None = None
    accepted_currencies: frozenset[str] | None = None
    raw_card_data: bool = True


def _rules(merchant_id: str) -> PaymentRules:
    columns = (Merchant.route, Merchant.accepted_currencies, Merchant.raw_card_data)
    row = Merchant.select(*columns).where(Merchant.id == merchant_id).first()
    if row is None:
        return PaymentRules()
    return PaymentRules(
        tuple(row.route) if row.route else None,
        frozenset(row.accepted_currencies) if row.accepted_currencies else None,
        bool(row.raw_card_data),
    )


class RulesCache(TTLCache[str, PaymentRules]):
    """Each merchant's ``PaymentRules`` (the defaults for a merchant not stored yet), kept ``ttl_seconds``
    in this process, so ``POST /payments`` does not pay one more query per request.

    Staleness bound: a ``PATCH /merchant`` this process answered is seen at once (``forget``); one another
    process answered (another gunicorn worker or replica) is seen here at most ``ttl_seconds`` later.

    Parameters:
      ttl_seconds: ``PAYWAVE_MERCHANT_CACHE_SECONDS``; 0 reads the merchant on every call.
      clock: Monotonic seconds (tests pass their own).
    """

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(_rules, ttl_seconds, clock)
