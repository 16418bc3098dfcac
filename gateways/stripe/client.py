"""``StripeGateway``: our ``Gateway`` contract over the official ``stripe`` SDK (PaymentIntents)."""
import logging
import os

import requests
import stripe

from gateways.base import Gateway, GatewayPayment, GatewayRefund, PaymentRequest
from gateways.stripe.errors import GATEWAY, from_stripe
from gateways.stripe.transformers import to_payment, to_refund

#: The API version this adapter was written and tested against: response shapes cannot drift.
API_VERSION = "2026-10-28.endive"
POOL_SIZE = 32  # pooled connections to Stripe: at least one per concurrent worker thread


def _no_request_bodies(record):
    # At debug level the SDK logs each request body ("post_data="): card number and CVC included.
    return "post_data=" not in record.getMessage()


logging.getLogger("stripe").addFilter(_no_request_bodies)


class StripeGateway(Gateway):
    """Stripe: the card becomes a PaymentMethod, then a PaymentIntent confirmed on creation.

    Parameters:
      api_key: Secret key (``sk_live_...``/``sk_test_...``).
      api_base: Stripe's API address (the sandbox's in tests and benchmarks).
      connect_timeout: Seconds to open a connection; nothing is sent before, so failing is retryable.
      read_timeout: Seconds to wait for an answer; past it the outcome is unknown.

    Raises:
      ValueError: ``api_base`` is not an http(s) URL, or the SDK would print request bodies.
    """

    name = GATEWAY

    def __init__(self, api_key, api_base="https://api.stripe.com", connect_timeout=3.05,
                 read_timeout=30):
        if not api_base.startswith(("https://", "http://")):
            raise ValueError(f"api_base must be an http(s) URL, got {api_base!r}")
        if "debug" in (stripe.log, os.environ.get("STRIPE_LOG")):
            raise ValueError("STRIPE_LOG=debug makes the SDK print card numbers to stderr")
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # No retries below us: retries are the worker's, under the same idempotency key.
        self._v1 = stripe.StripeClient(
            api_key, base_addresses={"api": api_base}, stripe_version=API_VERSION,
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=(connect_timeout, read_timeout), session=session),
        ).v1

    def authorize(self, request: PaymentRequest) -> GatewayPayment:
        """Hold ``request.amount`` (``capture_method=manual``).

        Returns:
          ``GatewayPayment`` with status AUTHORIZED.

        Raises:
          ValueError: ``request.capture`` is True.
          GatewayError subclasses, declines included.
        """
        return self._open(request, capture=False)

    def charge(self, request: PaymentRequest) -> GatewayPayment:
        """Authorize and capture ``request.amount`` in one call (``capture_method=automatic``).

        Returns:
          ``GatewayPayment`` with status CAPTURED.

        Raises:
          ValueError: ``request.capture`` is False.
          GatewayError subclasses, declines included.
        """
        return self._open(request, capture=True)

    def capture(self, reference, amount, currency, idempotency_key) -> GatewayPayment:
        """Capture ``amount`` (full or partial) of PaymentIntent ``reference``.

        Stripe releases the rest of a partial capture.  ``currency`` is the PaymentIntent's,
        which Stripe does not take again.

        Raises:
          InvalidRequestError: more than is capturable, or not in ``requires_capture``.
        """
        pi = self._call(self._v1.payment_intents.capture, reference, key=idempotency_key,
                        params={"amount_to_capture": amount})
        return to_payment(pi)

    def void(self, reference, idempotency_key) -> GatewayPayment:
        """Cancel PaymentIntent ``reference``, releasing the held funds.

        Raises:
          InvalidRequestError: it is already captured (refund it instead).
        """
        return to_payment(self._call(self._v1.payment_intents.cancel, reference, key=idempotency_key))

    def refund(self, reference, amount, currency, idempotency_key, payment_id) -> GatewayRefund:
        """Refund ``amount`` of PaymentIntent ``reference``; ``payment_id`` goes to its metadata.

        Raises:
          InvalidRequestError: more than captured minus refunded, or nothing captured.
          HardDeclineError: Stripe reports the refund failed.
        """
        refund = self._call(self._v1.refunds.create, key=idempotency_key, params={
            "payment_intent": reference, "amount": amount, "metadata": {"payment_id": payment_id}})
        return to_refund(refund)

    def retrieve(self, request: PaymentRequest, reference: str | None) -> GatewayPayment:
        """The true outcome of an earlier ``authorize``/``charge`` of ``request``.

        By PaymentIntent id when we have it, else by replaying the identical calls under the
        same idempotency keys: Stripe answers with its saved responses (a decline included)
        or, if they never arrived, executes them once.  Stripe keeps keys 24 hours: past that
        a replay would charge again, so resolve unknown outcomes well within that window.

        Raises:
          DeclineError subclasses when the attempt was declined (no charge);
          RetryableError / UnknownOutcomeError when Stripe still cannot tell.
        """
        if reference:
            return to_payment(self._call(self._v1.payment_intents.retrieve, reference))
        return self._create(request)

    def update(self, reference, description, metadata, idempotency_key) -> None:
        """Merge ``metadata`` into the PaymentIntent's; set ``description`` unless None."""
        self._call(self._v1.payment_intents.update, reference, key=idempotency_key,
                   params={"description": description, "metadata": metadata})

    def _open(self, request, capture):
        if request.capture is not capture:
            # retrieve() replays from request.capture: it must say what this call does.
            raise ValueError(f"request.capture is {request.capture} for "
                             f"{'charge' if capture else 'authorize'}")
        return self._create(request)

    def _create(self, request):
        """PaymentMethod from the card (key ``<attempt key>:pm``), then a PaymentIntent
        confirmed on creation (the attempt key): both replay to the same answers."""
        card = request.card
        pm = self._call(self._v1.payment_methods.create, key=f"{request.idempotency_key}:pm", params={
            "type": "card",
            "card": {"number": card.number, "exp_month": card.exp_month,
                     "exp_year": card.exp_year, "cvc": card.cvc},
        })
        pi = self._call(self._v1.payment_intents.create, key=request.idempotency_key, params={
            "amount": request.amount,
            "currency": request.currency.lower(),
            "payment_method": pm["id"],
            "payment_method_types": ["card"],
            "confirm": True,
            "error_on_requires_action": True,  # a 3DS challenge declines: no customer to redirect
            "capture_method": "automatic" if request.capture else "manual",
            "description": request.description,
            "metadata": {**request.metadata, "payment_id": request.payment_id},
        })
        return to_payment(pi)

    @staticmethod
    def _call(method, *args, key=None, params=None):
        """One SDK call; returns the object as a dict or raises our taxonomy's error."""
        options = {"idempotency_key": key} if key else {}
        try:
            return method(*args, params=params, options=options).to_dict()
        except stripe.StripeError as exc:
            raise from_stripe(exc) from exc
