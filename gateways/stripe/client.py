"""``StripeGateway``: our ``Gateway`` contract over the official ``stripe`` SDK (PaymentIntents)."""

import logging
import os
from collections.abc import Callable
from typing import Any

import requests
import stripe

from gateways.base import CardFacts, Gateway, GatewayPayment, GatewayRefund, PaymentRequest
from gateways.errors import HardDeclineError, InvalidRequestError, SoftDeclineError, UnknownOutcomeError
from gateways.stripe.errors import GATEWAY, from_stripe
from gateways.stripe.transformers import (
    PAYMENT_ID_KEY,
    merchant_metadata,
    to_card_facts,
    to_payment,
    to_refund,
)
from shared.cards import Card

#: The API version this adapter was written and tested against: response shapes cannot drift.
API_VERSION = "2026-10-28.endive"
POOL_SIZE = 32  # pooled connections to Stripe: at least one per concurrent worker thread
STRIPE_PAYMENT_METHOD = "stripe_payment_method"  # PaymentRequest.method: a pm_… made with Stripe


def _no_request_bodies(record: logging.LogRecord) -> bool:
    # At debug level the SDK logs each request body ("post_data="): card number and CVC included.
    return "post_data=" not in record.getMessage()


logging.getLogger("stripe").addFilter(_no_request_bodies)


def _session(api_base: str) -> requests.Session:
    """A pooled ``requests`` session that reads the environment once, here.

    With ``trust_env`` (the default) requests looks at the environment on every request: the
    proxy variables (``get_environ_proxies`` walks all of ``os.environ``), ``~/.netrc`` and
    ``REQUESTS_CA_BUNDLE``.  Every call goes to ``api_base``, so its proxies (``HTTPS_PROXY``,
    ``NO_PROXY``...) are resolved for it now.  No netrc: Stripe's key is our only credential (a
    netrc entry would have replaced it).  The CA bundle is the SDK's own (``stripe.ca_bundle_path``),
    which it passes with every request: ``REQUESTS_CA_BUNDLE`` never applied to these calls.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies = requests.utils.get_environ_proxies(api_base)
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class StripeGateway(Gateway):
    """Stripe: one PaymentIntent per attempt, created with the card and confirmed in the same call.

    Parameters:
      api_key: Secret key (``sk_live_...``/``sk_test_...``).
      api_base: Stripe's API address (the sandbox's in tests and benchmarks).
      connect_timeout: Seconds to open a connection; nothing is sent before, so failing is retryable.
      read_timeout: Seconds to wait for an answer; past it the outcome is unknown.

    Raises:
      ValueError: ``api_base`` is not an http(s) URL, or the SDK would print request bodies.
    """

    name = GATEWAY

    def __init__(
        self,
        api_key: str,
        api_base: str = "https://api.stripe.com",
        connect_timeout: float = 3.05,
        read_timeout: float = 30,
    ) -> None:
        if not api_base.startswith(("https://", "http://")):
            raise ValueError(f"api_base must be an http(s) URL, got {api_base!r}")
        if "debug" in (stripe.log, os.environ.get("STRIPE_LOG")):
            raise ValueError("STRIPE_LOG=debug makes the SDK print card numbers to stderr")
        # No retries below us: retries are the worker's, under the same idempotency key.
        self._v1 = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            stripe_version=API_VERSION,
            max_network_retries=0,
            http_client=stripe.RequestsClient(
                timeout=(connect_timeout, read_timeout), session=_session(api_base)
            ),
        ).v1

    def authorize(self, request: PaymentRequest) -> GatewayPayment:
        """Hold ``request.amount`` (``capture_method=manual``).

        Returns:
          ``GatewayPayment`` with status AUTHORIZED, or REQUIRES_ACTION (``action_url``: the issuer's
          3-D Secure challenge) when ``request.return_url`` is set and the issuer asks for one.

        Raises:
          ValueError: ``request.capture`` is True.
          GatewayError subclasses, declines included.
        """
        return self._open(request, capture=False)

    def charge(self, request: PaymentRequest) -> GatewayPayment:
        """Authorize and capture ``request.amount`` in one call (``capture_method=automatic``).

        Returns:
          ``GatewayPayment`` with status CAPTURED, or REQUIRES_ACTION as ``authorize``.

        Raises:
          ValueError: ``request.capture`` is False.
          GatewayError subclasses, declines included.
        """
        return self._open(request, capture=True)

    def capture(self, reference: str, amount: int, currency: str, idempotency_key: str) -> GatewayPayment:
        """Capture ``amount`` (full or partial) of PaymentIntent ``reference``.

        Stripe releases the rest of a partial capture.  ``currency`` is the PaymentIntent's,
        which Stripe does not take again.

        Raises:
          InvalidRequestError: more than is capturable, or not in ``requires_capture``.
        """
        pi = self._call(
            self._v1.payment_intents.capture,
            reference,
            key=idempotency_key,
            params={"amount_to_capture": amount},
        )
        return to_payment(pi)

    def void(self, reference: str, idempotency_key: str) -> GatewayPayment:
        """Cancel PaymentIntent ``reference``, releasing the held funds.

        Raises:
          InvalidRequestError: it is already captured (refund it instead).
        """
        return to_payment(self._call(self._v1.payment_intents.cancel, reference, key=idempotency_key))

    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str, payment_id: str
    ) -> GatewayRefund:
        """Refund ``amount`` of PaymentIntent ``reference``; ``payment_id`` goes to its metadata.

        Raises:
          InvalidRequestError: more than captured minus refunded, or nothing captured.
          HardDeclineError: Stripe reports the refund failed.
        """
        refund = self._call(
            self._v1.refunds.create,
            key=idempotency_key,
            params={"payment_intent": reference, "amount": amount, "metadata": {PAYMENT_ID_KEY: payment_id}},
        )
        return to_refund(refund)

    def retrieve(self, request: PaymentRequest, reference: str | None) -> GatewayPayment:
        """The true outcome of an earlier ``authorize``/``charge`` of ``request``.

        By PaymentIntent id when we have it, else by replaying the identical call under the
        same idempotency key: Stripe answers with its saved response (a decline included)
        or, if it never arrived, executes it once.  Stripe keeps keys 24 hours: past that
        a replay would charge again, so resolve unknown outcomes well within that window.

        An attempt made by the earlier two-call flow (a PaymentMethod under ``<key>:pm``,
        then the PaymentIntent under ``<key>`` with ``payment_method=pm_...``) holds its key
        with other parameters, so Stripe refuses the one-call replay with a 400
        ``idempotency_error``.  That refusal says nothing about the payment: the two calls
        are replayed as they were sent, and Stripe answers them from its saved responses.

        A PaymentIntent still waiting for its 3-D Secure challenge is REQUIRES_ACTION with its
        ``action_url``; one the customer failed (or whose issuer declined after the challenge) is back in
        ``requires_payment_method`` with ``last_payment_error``: a decline.

        Raises:
          DeclineError subclasses when the attempt was declined (no charge);
          RetryableError / UnknownOutcomeError when Stripe still cannot tell, or when the key
            holds a request neither flow sends (the request changed: someone must look).
        """
        if reference:
            return to_payment(self._call(self._v1.payment_intents.retrieve, reference))
        try:
            return self._create(request)
        except InvalidRequestError as exc:
            if not _key_taken(exc):
                raise
        return self._replay_two_calls(request)

    def card_facts(self, reference: str) -> CardFacts | None:
        """The card's country and funding from PaymentIntent ``reference``'s charge
        (``expand[]=latest_charge``: a read, no idempotency key; the creating call is never changed, so a
        replay of an attempt still matches its first call)."""
        pi = self._call(self._v1.payment_intents.retrieve, reference, params={"expand": ["latest_charge"]})
        return to_card_facts(pi)

    def update(self, reference: str, description: str | None, metadata: dict, idempotency_key: str) -> None:
        """Merge ``metadata`` into the PaymentIntent's (our payment id stays); set ``description`` unless
        None."""
        self._call(
            self._v1.payment_intents.update,
            reference,
            key=idempotency_key,
            params={"description": description, "metadata": merchant_metadata(metadata)},
        )

    def _open(self, request: PaymentRequest, capture: bool) -> GatewayPayment:
        if request.capture is not capture:
            # retrieve() replays from request.capture: it must say what this call does.
            raise ValueError(
                f"request.capture is {request.capture} for {'charge' if capture else 'authorize'}"
            )
        return self._create(request)

    def _create(self, request: PaymentRequest) -> GatewayPayment:
        """One call: a PaymentIntent under the attempt's key, confirmed on creation, whose
        PaymentMethod Stripe creates from the card (``payment_method_data``); a replay under
        the key gets the same answer.

        Raw card fields in ``payment_method_data`` are left out of Stripe's API reference and
        typed SDK params, like raw numbers anywhere: they need the account's raw card data
        access, as ``POST /v1/payment_methods`` with a card number does.  The SDK sends them.

        A ``stripe_payment_method`` payment names the merchant's PaymentMethod (``payment_method``)
        instead: no card data at all."""
        if request.method == STRIPE_PAYMENT_METHOD:
            method: dict = {"payment_method": request.method_id}
        else:
            method = {"payment_method_data": {"type": "card", "card": _card_params(request.card)}}
        pi = self._call(
            self._v1.payment_intents.create,
            key=request.idempotency_key,
            params=_intent_params(request, **method),
        )
        return to_payment(pi)

    def _replay_two_calls(self, request: PaymentRequest) -> GatewayPayment:
        """Replay an attempt of the earlier flow exactly as it was sent: the PaymentMethod under
        ``<key>:pm``, then the PaymentIntent under ``<key>``; only the PaymentIntent's answer
        tells what happened to the money."""
        key = request.idempotency_key
        try:
            pm = self._call(
                self._v1.payment_methods.create,
                key=f"{key}:pm",
                params={"type": "card", "card": _card_params(request.card)},
            )
        except (SoftDeclineError, HardDeclineError, InvalidRequestError) as exc:
            # The earlier flow's PaymentMethod would replay as created: the key is someone else's.
            raise _conflict(key) from exc
        try:
            pi = self._call(
                self._v1.payment_intents.create,
                key=key,
                params=_intent_params(request, payment_method=pm["id"]),
            )
        except InvalidRequestError as exc:
            if _key_taken(exc):
                raise _conflict(key) from exc
            raise
        return to_payment(pi)

    @staticmethod
    def _call(
        method: Callable[..., Any], *args: str, key: str | None = None, params: dict | None = None
    ) -> dict:
        """One SDK call; returns the object as a dict or raises our taxonomy's error."""
        options = {"idempotency_key": key} if key else {}
        try:
            return method(*args, params=params, options=options).to_dict()
        except stripe.StripeError as exc:
            raise from_stripe(exc) from exc


def _card_params(card: Card | None) -> dict:
    if card is None:
        raise InvalidRequestError("this payment has no card to send", code="no_card")
    return {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year, "cvc": card.cvc}


def _intent_params(request: PaymentRequest, **payment_method: Any) -> dict:
    """``POST /v1/payment_intents`` for ``request``; ``payment_method`` names the card, either
    ``payment_method=<pm id>`` or ``payment_method_data=<card hash>``.  The same ``request`` gives the same
    parameters (``return_url`` included): a replay under the attempt's key must match the first call."""
    return {
        "amount": request.amount,
        "currency": request.currency.lower(),
        **payment_method,
        "payment_method_types": ["card"],
        "confirm": True,
        # With a customer present the issuer's 3-D Secure challenge is a redirect to its page and back to
        # ``return_url``; without one, a challenge declines (``authentication_required``).
        **({"return_url": request.return_url} if request.return_url else {"error_on_requires_action": True}),
        **(
            {"payment_method_options": {"card": {"request_three_d_secure": "any"}}}
            if request.request_3ds
            else {}
        ),
        "capture_method": "automatic" if request.capture else "manual",
        "description": request.description,
        "metadata": {**merchant_metadata(request.metadata), PAYMENT_ID_KEY: request.payment_id},
    }


def _key_taken(error: InvalidRequestError) -> bool:
    """Whether Stripe refused the call because its idempotency key was first used with other
    parameters (400 ``idempotency_error``; a key in use by a running request is a 409)."""
    return isinstance(error.__cause__, stripe.IdempotencyError)


def _conflict(key: str) -> UnknownOutcomeError:
    return UnknownOutcomeError(
        f"Stripe holds idempotency key {key} for a request that neither this attempt's one call nor "
        "its earlier two calls match: the attempt's outcome cannot be read by replay",
        code="idempotency_conflict",
        gateway=GATEWAY,
    )
