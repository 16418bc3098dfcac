"""The statuses of what the store keeps, and which payment status may follow which.

``StrEnum``s: each member is its own string, so the database, the API, the cache and the
OpenAPI document (its enums derive from these) carry the same words as before.  A payment's
rules: ``pending → processing → succeeded | requires_capture | failed``; ``pending | processing →
requires_action → processing | succeeded | requires_capture | failed | canceled`` (the customer's
3-D Secure challenge); ``requires_capture → succeeded | canceled``; ``pending → canceled``; what the
machine cannot settle goes to ``requires_review``, which only an operator moves on
(``store.payments.settle``).
"""

from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    REQUIRES_CAPTURE = "requires_capture"
    REQUIRES_REVIEW = "requires_review"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class AttemptStatus(StrEnum):
    """One gateway call's outcome; ``started`` until it is known."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    ERROR = "error"
    UNKNOWN = "unknown"
    REQUIRES_ACTION = "requires_action"  # the gateway waits for the customer (3-D Secure)


class PaymentMethod(StrEnum):
    """How a payment is paid (``payment_method.type`` in the API; ``token`` and ``card`` both pay by card)."""

    CARD = "card"  # a card PayWave holds sealed (sent raw, or tokenized in the browser)
    PAYPAL = "paypal"  # the buyer approves on PayPal's page: PayPal only
    STRIPE_PAYMENT_METHOD = "stripe_payment_method"  # a ``pm_…`` the merchant made with Stripe: Stripe only


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """An outgoing event's delivery to one merchant endpoint."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class GatewayEventStatus(StrEnum):
    """An incoming gateway event: ``received`` until applied, ignored, or rejected by the later check."""

    RECEIVED = "received"
    APPLIED = "applied"
    IGNORED = "ignored"
    REJECTED = "rejected"


#: Which payment status may follow which. Staying put is always allowed (e.g. refunds).
#: ``requires_review`` leaves only by an operator's ``payments.settle``, never by a machine.
FORWARD: dict[str, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset(
        {
            PaymentStatus.PROCESSING,
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.CANCELED,
            PaymentStatus.REQUIRES_REVIEW,
            PaymentStatus.FAILED,  # blocked by a fraud rule, before any gateway call (workers.radar)
        }
    ),
    PaymentStatus.PROCESSING: frozenset(
        {
            PaymentStatus.REQUIRES_ACTION,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.REQUIRES_CAPTURE,
            PaymentStatus.FAILED,
            PaymentStatus.REQUIRES_REVIEW,
        }
    ),
    PaymentStatus.REQUIRES_ACTION: frozenset(
        {
            PaymentStatus.PROCESSING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.REQUIRES_CAPTURE,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
            PaymentStatus.REQUIRES_REVIEW,
        }
    ),
    PaymentStatus.REQUIRES_CAPTURE: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED, PaymentStatus.REQUIRES_REVIEW}
    ),
    PaymentStatus.REQUIRES_REVIEW: frozenset(),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.FAILED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
}
#: Until the first authorization ends: the workers drive the payment, and it may still need the CVC
#: (any other status erases it).
AUTHORIZING = frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING})
#: What the workers move on by themselves (the sweeper drives it again when it stops moving): an
#: authorization, or a customer's action whose outcome is read at the gateway until it expires.
WORKER_DRIVEN = AUTHORIZING | {PaymentStatus.REQUIRES_ACTION}
TERMINAL = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED})
REFUNDABLE = frozenset({PaymentStatus.SUCCEEDED})
#: What an operator's settlement of a ``requires_review`` payment may find.
SETTLED = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED)

#: Attempts that may have moved money without us knowing (or may still, once the customer acts).
UNRESOLVED = (AttemptStatus.STARTED, AttemptStatus.UNKNOWN, AttemptStatus.REQUIRES_ACTION)
#: Attempts whose outcome the gateway may still tell us.
OPEN = (AttemptStatus.STARTED, AttemptStatus.UNKNOWN, AttemptStatus.ERROR, AttemptStatus.REQUIRES_ACTION)
