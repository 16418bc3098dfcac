"""Stripe objects (plain dicts, from ``StripeObject.to_dict()``) into our types."""

from collections.abc import Callable, Mapping
from typing import TypeVar

from gateways import errors
from gateways.base import CardFacts, GatewayPayment, GatewayRefund, GatewayStatus
from gateways.stripe.errors import GATEWAY, decline_from

#: Our payment id's key in a PaymentIntent's or Refund's metadata.  Only we write it: incoming
#: events are checked against it, so a merchant's metadata never carries it to Stripe.
PAYMENT_ID_KEY = "payment_id"
#: Keys Stripe holds in an object's metadata, ours included.
METADATA_MAX_KEYS = 50


def merchant_metadata(metadata: dict) -> dict:
    """The merchant's ``metadata`` without our key, whatever it held (metadata stored before the key
    was refused): ours is added beside it, and an update must not replace it (nor delete it with an
    empty value: Stripe merges updates into the metadata it holds)."""
    return {key: value for key, value in metadata.items() if key != PAYMENT_ID_KEY}


#: ``last_payment_error.code`` of a PaymentIntent whose customer failed (or abandoned) 3-D Secure.
AUTHENTICATION_FAILURE = "payment_intent_authentication_failure"


def _declined(pi: dict) -> errors.GatewayError:
    # The last confirmation failed: no money moved; its card_error says why (an issuer's decline after a
    # completed challenge included), or the customer failed the challenge: the customer may try again.
    error = pi.get("last_payment_error") or {}
    if error.get("code") == AUTHENTICATION_FAILURE:
        return errors.SoftDeclineError(
            error.get("message") or "The customer failed 3-D Secure authentication.",
            code="authentication_failed",
            gateway=GATEWAY,
            vendor_code=AUTHENTICATION_FAILURE,
        )
    return decline_from(error)


def _unconfirmed(pi: dict) -> errors.GatewayError:
    # We confirm on create, so nothing was attempted: our bug, no money moved.
    return errors.InvalidRequestError(
        f"PaymentIntent {pi['id']} was never confirmed",
        code="not_confirmed",
        gateway=GATEWAY,
        vendor_code=pi["status"],
    )


def _refund_failed(refund: dict) -> errors.GatewayError:
    reason = refund.get("failure_reason") or "refund_failed"
    return errors.HardDeclineError(
        f"Refund {refund['id']} {refund['status']}: {reason}",
        code=reason,
        gateway=GATEWAY,
        vendor_code=refund["status"],
    )


T = TypeVar("T")

#: Every PaymentIntent status of the pinned API version: our status, or the error to raise.
PAYMENT_INTENT_STATUS: dict[str, GatewayStatus | Callable[[dict], errors.GatewayError]] = {
    "succeeded": GatewayStatus.CAPTURED,
    "requires_capture": GatewayStatus.AUTHORIZED,
    "processing": GatewayStatus.PROCESSING,
    "requires_action": GatewayStatus.REQUIRES_ACTION,
    "canceled": GatewayStatus.CANCELED,
    "requires_payment_method": _declined,
    "requires_confirmation": _unconfirmed,
}

#: Every Refund status: whether it succeeded (False while pending), or the error to raise.
REFUND_STATUS: dict[str, bool | Callable[[dict], errors.GatewayError]] = {
    "succeeded": True,
    "pending": False,
    "requires_action": False,
    "failed": _refund_failed,
    "canceled": _refund_failed,
}


def _read_status(table: Mapping[str, T | Callable[[dict], errors.GatewayError]], obj: dict) -> T:
    outcome = table.get(obj["status"])
    if outcome is None:  # a status newer than our table: we cannot tell what happened
        raise errors.UnknownOutcomeError(
            f"unknown {obj['object']} status {obj['status']!r}",
            code="unknown_status",
            gateway=GATEWAY,
            vendor_code=obj["status"],
        )
    if callable(outcome):
        raise outcome(obj)
    return outcome


def to_payment(pi: dict) -> GatewayPayment:
    """Our view of a PaymentIntent.

    Parameters:
      pi: The PaymentIntent as a dict.

    Returns:
      ``GatewayPayment`` with reference = PaymentIntent id, amount_captured = amount_received, and while it
      waits for the customer (``requires_action``) ``action_url``: where a ``redirect_to_url`` next action
      sends the customer's browser (None for another kind, which no redirect can answer).

    Raises:
      DeclineError subclasses for a declined confirmation; ``InvalidRequestError`` for an
      unconfirmed one; ``UnknownOutcomeError`` for a status we do not know.
    """
    return GatewayPayment(
        reference=pi["id"],
        status=_read_status(PAYMENT_INTENT_STATUS, pi),
        amount=pi["amount"],
        amount_captured=pi["amount_received"],
        currency=pi["currency"].upper(),
        vendor_status=pi["status"],
        action_url=((pi.get("next_action") or {}).get("redirect_to_url") or {}).get("url"),
    )


def to_card_facts(pi: dict) -> CardFacts | None:
    """The card's country and funding from a PaymentIntent whose ``latest_charge`` is expanded (its
    ``payment_method_details.card``); None when the charge says neither (no charge yet, not a card)."""
    charge = pi.get("latest_charge")
    details = (charge.get("payment_method_details") or {}) if isinstance(charge, dict) else {}
    card = details.get("card") or {}
    country, funding = card.get("country"), card.get("funding")
    if not (country or funding):
        return None
    return CardFacts(country=country.upper() if country else None, funding=funding or None)


def to_refund(refund: dict) -> GatewayRefund:
    """Our view of a Refund.

    Raises:
      ``HardDeclineError`` when Stripe reports it failed or canceled.
    """
    return GatewayRefund(
        reference=refund["id"],
        amount=refund["amount"],
        currency=refund["currency"].upper(),
        succeeded=_read_status(REFUND_STATUS, refund),
        vendor_status=refund["status"],
    )
