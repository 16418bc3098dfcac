"""Our types ↔ PayPal's Orders v2 and Payments v2 shapes.

Amounts are integers in ISO 4217 minor units on our side (``shared.money``) and
decimal strings on PayPal's; every conversion is exact or refused.
"""

from collections.abc import Collection
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateways.base import GatewayPayment, GatewayRefund, GatewayStatus, PaymentRequest
from gateways.errors import InvalidRequestError
from gateways.paypal.errors import GATEWAY
from shared import money
from shared.cards import Card

#: Currencies PayPal takes → the decimals it accepts.  HUF and TWD have two ISO
#: decimals, but PayPal refuses any fraction for them.
DECIMALS = {
    **dict.fromkeys(
        (
            "AUD",
            "BRL",
            "CAD",
            "CHF",
            "CNY",
            "CZK",
            "DKK",
            "EUR",
            "GBP",
            "HKD",
            "ILS",
            "INR",
            "MXN",
            "MYR",
            "NOK",
            "NZD",
            "PHP",
            "PLN",
            "SEK",
            "SGD",
            "THB",
            "USD",
        ),
        2,
    ),
    "HUF": 0,
    "JPY": 0,
    "TWD": 0,
}

#: Longest purchase-unit description PayPal accepts.
DESCRIPTION_MAX = 127

#: The link an order waiting for its buyer sends them to: ``payer-action`` once it names a payment
#: source (our wallet orders), ``approve`` for one created without.
ACTION_RELS = ("payer-action", "approve")

#: Capture statuses whose amount has moved to the merchant.
SETTLED = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"})

_S = GatewayStatus
#: The one reading of PayPal's statuses, per object: the order, its authorizations, its captures.
STATUSES = {
    "order": {
        "CREATED": _S.REQUIRES_ACTION,
        "SAVED": _S.PROCESSING,
        # Approved but not paid: ``PayPalGateway.retrieve`` captures or authorizes it.
        "APPROVED": _S.PROCESSING,
        "PAYER_ACTION_REQUIRED": _S.REQUIRES_ACTION,
        # Voided before any payment: the buyer never approved, or the order expired.
        "VOIDED": _S.DECLINED,
        # Only read when the order shows no payment yet: ask again rather than guess.
        "COMPLETED": _S.PROCESSING,
    },
    "authorization": {
        "CREATED": _S.AUTHORIZED,
        "PENDING": _S.PROCESSING,
        "PARTIALLY_CAPTURED": _S.CAPTURED,
        "CAPTURED": _S.CAPTURED,
        "DENIED": _S.DECLINED,
        "VOIDED": _S.CANCELED,
        "EXPIRED": _S.CANCELED,
    },
    "capture": {
        "COMPLETED": _S.CAPTURED,
        "PARTIALLY_REFUNDED": _S.CAPTURED,  # refunds never change a payment's status
        "REFUNDED": _S.CAPTURED,
        "PENDING": _S.PROCESSING,
        "DECLINED": _S.DECLINED,
        "FAILED": _S.DECLINED,
    },
}

#: Refund status → succeeded; FAILED and CANCELLED mean the refund did not happen.
REFUND_SUCCEEDED = {"COMPLETED": True, "PENDING": False}


def paypal_money(amount: int, currency: str) -> dict:
    """Our amount as PayPal money (``shared.money.to_money``) in the decimals PayPal takes:
    ``(1000, "HUF") → {"currency_code": "HUF", "value": "10"}``.

    Raises:
      InvalidRequestError: not a positive integer, a currency PayPal does not take,
        or a fraction PayPal refuses (HUF 10.50).
    """
    if currency not in DECIMALS:
        raise InvalidRequestError(
            f"PayPal does not support currency {currency!r}", code="unsupported_currency", gateway=GATEWAY
        )
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidRequestError(
            "amount must be a positive integer of minor units", code="invalid_amount", gateway=GATEWAY
        )
    try:
        return money.to_money(amount, currency, DECIMALS[currency])
    except ValueError:
        raise InvalidRequestError(
            f"PayPal takes {currency} without decimals", code="invalid_amount", gateway=GATEWAY
        ) from None


def order_request(request: PaymentRequest, capture: bool) -> dict:
    """The ``POST /v2/checkout/orders`` body for a ``PaymentRequest``, with intent CAPTURE or AUTHORIZE.

    ``custom_id`` carries our payment id (webhooks and reports point back with it) and nothing
    else: refund and dispute events, which name no order, are placed by it alone
    (``PayPalWebhooks.placed_by_id``).  ``request.metadata`` has no place at PayPal and is not sent.
    """
    unit = {"amount": paypal_money(request.amount, request.currency), "custom_id": request.payment_id}
    if request.description:
        # A label too long for PayPal must not fail a payment.
        unit["description"] = request.description[:DESCRIPTION_MAX]
    # No invoice_id: PayPal refuses one it has seen (DUPLICATE_INVOICE_ID), which would
    # turn a new attempt or a fallback into a false failure.
    return {
        "intent": "CAPTURE" if capture else "AUTHORIZE",
        "purchase_units": [unit],
        "payment_source": payment_source(request),
    }


def payment_source(request: PaymentRequest) -> dict:
    """``payment_source`` for the request's method: its card, or the buyer's PayPal wallet.

    Raises:
      InvalidRequestError: a method PayPal does not take, a card payment without a card, or a
        wallet payment without a ``return_url``.
    """
    if request.method == "paypal":
        return {"paypal": {"experience_context": experience_context(request.return_url)}}
    if request.method != "card":
        raise InvalidRequestError(
            f"PayPal does not take {request.method} payments", code="unsupported_method", gateway=GATEWAY
        )
    return {"card": card_source(request.card)}


def experience_context(return_url: str | None) -> dict:
    """How PayPal's approval page treats the buyer: ``Pay Now`` (we capture right after approval,
    with no review step of our own), no shipping address (PayWave has none to give), and where their
    browser goes back: ``return_url`` once approved, the same with ``canceled=1`` when they cancel,
    so that the return route tells the two apart.

    Raises:
      InvalidRequestError: no ``return_url``: no buyer is present to approve.
    """
    if not return_url:
        raise InvalidRequestError(
            "a PayPal wallet payment needs a return_url: the buyer approves it in their browser",
            code="return_url_required",
            gateway=GATEWAY,
        )
    parts = urlsplit(return_url)
    canceled = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("canceled", "1")])
    return {
        "return_url": return_url,
        "cancel_url": urlunsplit(parts._replace(query=canceled)),
        "user_action": "PAY_NOW",
        "shipping_preference": "NO_SHIPPING",
    }


def card_source(card: Card | None) -> dict:
    """``payment_source.card`` for a ``Card``."""
    if card is None:
        raise InvalidRequestError("this payment has no card to send", code="no_card")
    year = card.exp_year + 2000 if card.exp_year < 100 else card.exp_year  # "0030-12" would read as expired
    source = {"number": card.number, "expiry": f"{year:04d}-{card.exp_month:02d}"}
    if card.cvc:
        source["security_code"] = card.cvc
    return source


def capture_request(amount: int, currency: str) -> dict:
    """``POST /v2/payments/authorizations/{id}/capture`` body.

    One capture per authorization, as at Stripe: ``final_capture`` releases the rest.
    """
    return {"amount": paypal_money(amount, currency), "final_capture": True}


def refund_request(amount: int, currency: str, payment_id: str) -> dict:
    """``POST /v2/payments/captures/{id}/refund`` body."""
    return {"amount": paypal_money(amount, currency), "custom_id": payment_id}


def description_patch(order: dict, description: str) -> list:
    """JSON Patch setting the order's description.

    PayPal refuses ``add`` on a present field and ``replace`` on an absent one.
    """
    unit = order["purchase_units"][0]
    return [
        {
            "op": "replace" if "description" in unit else "add",
            "path": f"/purchase_units/@reference_id=='{unit.get('reference_id', 'default')}'/description",
            "value": description[:DESCRIPTION_MAX],
        }
    ]


def latest_payment(order: dict) -> tuple[str, dict]:
    """What decides the order's outcome: ``("capture", c)``, ``("authorization", a)`` or ``("order",
    order)``."""
    payments = order["purchase_units"][0].get("payments", {})
    for kind in ("capture", "authorization"):
        if payments.get(kind + "s"):
            return kind, payments[kind + "s"][-1]
    return "order", order


def payment_of(order: dict, kind: str, statuses: Collection[str] | None = None) -> dict:
    """The order's first ``kind`` (``capture`` or ``authorization``), optionally only among ``statuses``.

    Raises:
      InvalidRequestError: there is none (e.g. capturing a payment that was charged at once).
    """
    for payment in order["purchase_units"][0].get("payments", {}).get(kind + "s", []):
        if statuses is None or payment["status"] in statuses:
            return payment
    raise InvalidRequestError(
        f"PayPal order {order['id']} has no {kind} for this operation", code=f"no_{kind}", gateway=GATEWAY
    )


def with_payment(order: dict, kind: str, payment: dict) -> dict:
    """The order as it stands once ``payment`` (a capture or authorization that Payments v2
    returned) is in it; a replayed answer replaces its earlier copy instead of adding to it."""
    unit = order["purchase_units"][0]
    payments = dict(unit.get("payments", {}))
    payments[kind + "s"] = [p for p in payments.get(kind + "s", []) if p["id"] != payment["id"]] + [payment]
    return {**order, "purchase_units": [{**unit, "payments": payments}, *order["purchase_units"][1:]]}


def to_payment(order: dict) -> GatewayPayment:
    """Our view of an order returned with ``Prefer: return=representation``."""
    unit = order["purchase_units"][0]
    kind, decisive = latest_payment(order)
    captures = unit.get("payments", {}).get("captures", [])
    # A status PayPal adds later reads as "ask again", never as an outcome.
    status = STATUSES[kind].get(decisive["status"], GatewayStatus.PROCESSING)
    action_url = None
    if status is GatewayStatus.REQUIRES_ACTION:  # where the buyer approves
        links = {link["rel"]: link["href"] for link in order.get("links", [])}
        action_url = next((links[rel] for rel in ACTION_RELS if rel in links), None)
    return GatewayPayment(
        reference=order["id"],
        status=status,
        amount=money.from_money(unit["amount"]),
        amount_captured=sum(money.from_money(c["amount"]) for c in captures if c["status"] in SETTLED),
        currency=unit["amount"]["currency_code"],
        vendor_status=f"{kind}:{decisive['status']}",
        action_url=action_url,
    )


def to_refund(refund: dict) -> GatewayRefund:
    """Our view of a PayPal refund.

    Raises:
      InvalidRequestError: PayPal reports the refund FAILED or CANCELLED.
    """
    succeeded = REFUND_SUCCEEDED.get(refund["status"])
    if succeeded is None:
        raise InvalidRequestError(
            f"PayPal refund {refund['id']} is {refund['status']}",
            code="refund_failed",
            gateway=GATEWAY,
            vendor_code=refund["status"],
        )
    return GatewayRefund(
        reference=refund["id"],
        amount=money.from_money(refund["amount"]),
        currency=refund["amount"]["currency_code"],
        succeeded=succeeded,
        vendor_status=refund["status"],
    )
