"""The gateway contract: our own types in, our own types out.

Every gateway package (``gateways/<name>/``) provides a ``client.py`` with a
subclass of ``Gateway`` and a ``webhooks.py`` with a subclass of ``Webhooks``;
vendor shapes never leave that package.  Every ``Gateway`` method takes an
``idempotency_key`` that the caller derives deterministically from the payment
and the attempt, so a replayed job can never move money twice.
"""

import abc
import dataclasses
import enum

from gateways.errors import InvalidWebhook
from shared.cards import Card
from shared.config import Config


class GatewayStatus(enum.StrEnum):
    """Where a payment stands at the gateway, after one of our calls."""

    AUTHORIZED = "authorized"  # funds held, capture pending
    CAPTURED = "captured"  # money moved (fully or partly captured)
    PROCESSING = "processing"  # gateway still working: ask again later
    CANCELED = "canceled"  # authorization voided
    DECLINED = "declined"  # gateway says no charge happened
    REQUIRES_ACTION = "requires_action"  # the customer must act (3-D Secure, PayPal approval): action_url


@dataclasses.dataclass(frozen=True)
class PaymentRequest:
    """One authorization or charge attempt.

    Parameters:
      payment_id: Our payment id, sent as metadata so the gateway's records point back.
      amount: Integer in the currency's minor units.
      currency: ISO 4217 code, upper case.
      card: The decrypted card; None for a method without one (``method`` not ``card``).
      capture: True for auth + capture, False for auth only.
      idempotency_key: Stable for this attempt across every retry.
      method: ``store.states.PaymentMethod``'s value: ``card``, ``paypal`` (the buyer approves on
        PayPal's page) or ``stripe_payment_method`` (``method_id``, Stripe only).
      method_id: The gateway's own payment method id (``pm_…``), for ``stripe_payment_method``.
      return_url: PayWave's address the gateway sends the customer's browser back to after an action
        (3-D Secure, PayPal approval); None when no customer is present, where an action needed is a decline.
      request_3ds: Ask the issuer for 3-D Secure even if it would not (a fraud rule's ``request_3ds``, with a
        customer present); a gateway without the option ignores it (PayPal).
    """

    payment_id: str
    amount: int
    currency: str
    card: Card | None
    capture: bool
    idempotency_key: str
    description: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)
    method: str = "card"
    method_id: str | None = None
    return_url: str | None = None
    request_3ds: bool = False


@dataclasses.dataclass(frozen=True)
class GatewayPayment:
    """The gateway's view of a payment after a call.

    Parameters:
      reference: The gateway's id for the payment (PaymentIntent id, PayPal order id).
      status: Our reading of the vendor's status.
      amount: Amount authorized, minor units.
      amount_captured: Amount captured so far, minor units.
      vendor_status: The vendor's own status string, kept for audit.
      action_url: With REQUIRES_ACTION: where the customer's browser goes to act (the 3-D Secure
        challenge, PayPal's approval page).
    """

    reference: str
    status: GatewayStatus
    amount: int
    amount_captured: int
    currency: str
    vendor_status: str
    action_url: str | None = None


@dataclasses.dataclass(frozen=True)
class CardFacts:
    """What a gateway tells of the card that paid: the issuer's ``country`` (ISO 3166 alpha-2) and
    ``funding`` (credit, debit, prepaid or unknown); None where it does not say."""

    country: str | None
    funding: str | None


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

    def card_facts(self, reference: str) -> CardFacts | None:
        """The country and funding of the card that paid ``reference`` (one read, for the fraud rules'
        ``:card_country:``); None when this gateway does not tell them.

        Raises:
          GatewayError subclasses.
        """
        return None

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
    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str, payment_id: str
    ) -> GatewayRefund:
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


#: What a gateway event can tell us about a payment (``Fact.kind``).
#: ``action_completed``: the customer finished an action (PayPal approval): the worker asks the gateway.
FACT_KINDS = frozenset({"captured", "authorized", "failed", "refund", "disputed", "action_completed"})


@dataclasses.dataclass(frozen=True)
class Fact:
    """What one event says, in our terms.

    Parameters:
      kind: One of ``FACT_KINDS``; None for an event type we do not act on.
      payment_id: Our payment id, when the event carries it (metadata, ``custom_id``): checked
        against the payment ``reference`` finds, or used when there is none (``Webhooks.placed_by_id``).
      reference: The gateway reference we keep (PaymentIntent id, PayPal order id).
      amount: Minor units captured (``captured``) or refunded (``refund``).
      refund_id: The gateway's id of the refund.
      refunded: For a refund: True succeeded, False failed, None still pending.
    """

    kind: str | None
    payment_id: str | None = None
    reference: str | None = None
    amount: int = 0
    refund_id: str | None = None
    refunded: bool | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in FACT_KINDS:
            raise ValueError(f"unknown fact kind {self.kind!r}")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """A webhook delivery the door let in.

    Parameters:
      event: The event, parsed.
      headers: What the later check needs of the delivery's headers (lower-case names), stored with it.
      transmission_id: The gateway's id of this delivery, when it gives one.
    """

    event: dict
    headers: dict | None = None
    transmission_id: str | None = None


class Webhooks(abc.ABC):
    """A gateway's incoming events: the check at the door (ingress), the later check (ops pool)
    and what an event means.  Stateless: settings come from the ``config`` each call is given.

    Attributes:
      title: The gateway's name in messages (its registered name is ``gateways.registry``'s).
      verified_at_door: True when ``admit`` proves a delivery genuine (a local signature check);
        False when only the gateway can: ``admit`` checks what it can and the ops pool asks
        ``verify`` before applying the event.
      id_field, type_field: The event's fields holding its id and type.
      placed_by_id: Its events may name our payment by our id alone (no reference), because only
        we write that id at the gateway.
      tolerance_seconds: How far a delivery's signed time may be from now.
    """

    title: str
    verified_at_door: bool
    id_field: str
    type_field: str
    placed_by_id = False
    tolerance_seconds = 300

    @abc.abstractmethod
    def admit(self, config: Config, headers: dict, raw_body: bytes, body: dict) -> Delivery:
        """The door check, without calling the gateway.

        Parameters:
          config: ``shared.config.Config`` (the gateway's webhook secret or id).
          headers: The request's headers, lower-case names.
          raw_body: The body as received (signatures cover these bytes).
          body: The body parsed as JSON.

        Raises:
          gateways.errors.WebhookRefused: a subclass saying why.
        """

    def verify(self, config: Config, gateway: Gateway, headers: dict, raw_body: bytes) -> bool:
        """The later check of a stored delivery (``verified_at_door`` False), made by the ops pool.

        Parameters:
          gateway: This gateway's adapter, to ask it.
          headers: ``Delivery.headers`` as stored.

        Returns:
          True when the gateway says the delivery is genuine and unmodified.

        Raises:
          gateways.errors.GatewayError: the gateway could not be asked.
        """
        raise NotImplementedError(f"{self.title} verifies its events at the door")

    @abc.abstractmethod
    def read(self, event: dict) -> Fact:
        """What ``event`` says; ``Fact(None)`` for a type we do not act on.

        Raises:
          LookupError, TypeError, ValueError, ArithmeticError: a shape we never guess at.
        """

    def identify(self, event: dict) -> tuple[str, str]:
        """The event's id and type.

        Raises:
          gateways.errors.InvalidWebhook: either is not a non-empty string.
        """
        event_id, type_ = event.get(self.id_field), event.get(self.type_field)
        if not (isinstance(event_id, str) and event_id and isinstance(type_, str) and type_):
            raise InvalidWebhook(f"the event needs a string {self.id_field} and {self.type_field}")
        return event_id, type_
