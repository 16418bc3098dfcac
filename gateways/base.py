"""The gateway contract: our own types in, our own types out.

Every gateway package (``gateways/<name>/``) provides a ``client.py`` with a
subclass of ``Gateway``; vendor shapes never leave that package.  Every method
takes an ``idempotency_key`` that the caller derives deterministically from the
payment and the attempt, so a replayed job can never move money twice.
"""
import abc
import dataclasses
import enum

from shared.cards import Card


class GatewayStatus(str, enum.Enum):
    """Where a payment stands at the gateway, after one of our calls."""

    AUTHORIZED = "authorized"      # funds held, capture pending
    CAPTURED = "captured"          # money moved (fully or partly captured)
    PROCESSING = "processing"      # gateway still working: ask again later
    CANCELED = "canceled"          # authorization voided
    DECLINED = "declined"          # gateway says no charge happened
    REQUIRES_ACTION = "requires_action"  # 3DS or similar: not supported server-to-server


@dataclasses.dataclass(frozen=True)
class PaymentRequest:
    """One authorization or charge attempt.

    Parameters:
      payment_id: Our payment id, sent as metadata so the gateway's records point back.
      amount: Integer in the currency's minor units.
      currency: ISO 4217 code, upper case.
      card: The decrypted card.
      capture: True for auth + capture, False for auth only.
      idempotency_key: Stable for this attempt across every retry.
    """

    payment_id: str
    amount: int
    currency: str
    card: Card
    capture: bool
    idempotency_key: str
    description: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class GatewayPayment:
    """The gateway's view of a payment after a call.

    Parameters:
      reference: The gateway's id for the payment (PaymentIntent id, PayPal order id).
      status: Our reading of the vendor's status.
      amount: Amount authorized, minor units.
      amount_captured: Amount captured so far, minor units.
      vendor_status: The vendor's own status string, kept for audit.
    """

    reference: str
    status: GatewayStatus
    amount: int
    amount_captured: int
    currency: str
    vendor_status: str


@dataclasses.dataclass(frozen=True)
class GatewayRefund:
    reference: str
    amount: int
    currency: str
    succeeded: bool  # False while the gateway reports it pending
    vendor_status: str


class Gateway(abc.ABC):
    """A payment gateway adapter.

    Every method raises a ``gateways.errors.GatewayError`` subclass on failure and
    ``UnsupportedOperation`` for a flow the gateway does not offer.
    """

    name: str

    @abc.abstractmethod
    def authorize(self, request: PaymentRequest) -> GatewayPayment:
        """Hold funds without capturing (``request.capture`` is False)."""

    @abc.abstractmethod
    def charge(self, request: PaymentRequest) -> GatewayPayment:
        """Authorize and capture in one step (``request.capture`` is True)."""

    @abc.abstractmethod
    def capture(self, reference: str, amount: int, currency: str, idempotency_key: str) -> GatewayPayment:
        """Capture ``amount`` (full or partial) of an authorized payment."""

    @abc.abstractmethod
    def void(self, reference: str, idempotency_key: str) -> GatewayPayment:
        """Cancel an authorization that was not captured."""

    @abc.abstractmethod
    def refund(self, reference: str, amount: int, currency: str, idempotency_key: str,
               payment_id: str) -> GatewayRefund:
        """Refund ``amount`` (full or partial) of a captured payment."""

    @abc.abstractmethod
    def retrieve(self, request: PaymentRequest, reference: str | None) -> GatewayPayment:
        """Learn the true outcome of an earlier ``authorize``/``charge`` attempt.

        Looks the payment up by ``reference`` when the gateway gave us one, else
        replays the identical request with the same idempotency key, which the
        gateway answers with the saved outcome (or executes once, if it never arrived).

        Raises:
          DeclineError subclasses when the attempt was declined (no charge);
          RetryableError / UnknownOutcomeError when the gateway still cannot tell.
        """

    @abc.abstractmethod
    def update(self, reference: str, description: str | None, metadata: dict, idempotency_key: str) -> None:
        """Propagate description/metadata to the gateway's record."""

    def execute(self, request: PaymentRequest) -> GatewayPayment:
        """``charge`` or ``authorize`` as the request asks."""
        return self.charge(request) if request.capture else self.authorize(request)
