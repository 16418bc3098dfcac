"""``PayPalGateway``: cards and the PayPal wallet through Orders v2 and Payments v2.

The reference we keep is the PayPal order id; the authorization or capture an
operation needs is looked up on the order.  Every POST that can move money
carries the attempt's idempotency key as ``PayPal-Request-Id``, so a retry or
a replay after a lost answer gets PayPal's saved outcome instead of a second
charge.

A wallet order (``PaymentRequest.method`` ``paypal``) waits for its buyer
(``REQUIRES_ACTION``, ``action_url`` = PayPal's ``payer-action`` page);
``retrieve`` captures or authorizes it once they approved, with a
``PayPal-Request-Id`` derived from the attempt's key.
"""

import json
import os
import threading
from typing import Any
from urllib.parse import quote

import requests

from gateways.base import (
    Gateway,
    GatewayPayment,
    GatewayRefund,
    GatewayStatus,
    PaymentRequest,
)
from gateways.errors import InvalidRequestError, UnsupportedOperation
from gateways.paypal import errors, transformers
from gateways.paypal.webhooks import WEBHOOK_HEADERS
from shared import money
from shared.cache import Cache, MemoryCache


class PayPalGateway(Gateway):
    """PayPal REST adapter.

    Parameters:
      base_url: ``https://api-m.paypal.com``, its sandbox, or our local sandbox.
      client_id, client_secret: REST app credentials (OAuth2 client credentials).
      token_store: ``get(key)``/``set(key, value, ttl_seconds)`` shared by the workers
        (Redis); in process memory when None.
      connect_timeout, read_timeout: Seconds, applied to every call.
    """

    name = "paypal"

    #: Renew a token this many seconds before PayPal expires it (less for short-lived ones).
    TOKEN_MARGIN = 60

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        token_store: Cache | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 30,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_store = token_store if token_store is not None else MemoryCache()
        self.timeout = (connect_timeout, read_timeout)
        self._credentials = (client_id, client_secret)
        self._token_key = f"paypal:token:{client_id}@{self.base_url}"
        self._token_lock = threading.Lock()
        self._session: requests.Session | None = None
        self._session_pid: int | None = None
        # The environment is read once, here: with trust_env, requests reads it on every request
        # (proxies by walking all of os.environ, ~/.netrc, REQUESTS_CA_BUNDLE).  Every call goes to
        # base_url, so its proxies are resolved for it now (HTTPS_PROXY, NO_PROXY...).  No netrc:
        # an entry for PayPal's host would have replaced our bearer token.
        self._proxies = requests.utils.get_environ_proxies(self.base_url)
        self._verify: str | bool = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )

    @property
    def session(self) -> requests.Session:
        """This process's pooled session (a forked worker must not share its parent's sockets)."""
        session = self._session
        if session is None or self._session_pid != os.getpid():
            session = requests.Session()
            session.trust_env = False
            session.proxies, session.verify = dict(self._proxies), self._verify
            self._session, self._session_pid = session, os.getpid()
        return session

    # -- Gateway -----------------------------------------------------------------------------

    def authorize(self, request: PaymentRequest) -> GatewayPayment:
        return self._create(request, capture=False)

    def charge(self, request: PaymentRequest) -> GatewayPayment:
        return self._create(request, capture=True)

    def capture(self, reference: str, amount: int, currency: str, idempotency_key: str) -> GatewayPayment:
        """Capture ``amount`` of the order's authorization; PayPal releases the rest.

        Raises:
          InvalidRequestError: more than authorized (PayPal would allow up to 115%), already
            captured or voided, or an order that was charged at once.
        """
        order = self._order(reference)
        authorization = transformers.payment_of(order, "authorization")
        if currency != authorization["amount"]["currency_code"] or amount > money.from_money(
            authorization["amount"]
        ):
            raise InvalidRequestError(
                "a capture must be within the authorized amount and currency",
                code="amount_too_large",
                gateway=errors.GATEWAY,
            )
        capture = self._call(
            "POST",
            f"/v2/payments/authorizations/{authorization['id']}/capture",
            transformers.capture_request(amount, currency),
            key=idempotency_key,
        )
        return self._outcome(transformers.with_payment(order, "capture", capture))

    def void(self, reference: str, idempotency_key: str) -> GatewayPayment:
        """Void the order's authorization.

        Raises:
          UnsupportedOperation: the order holds no payment yet (a wallet order the buyer has not
            approved, or approved but not yet authorized): PayPal has no void for orders; it
            voids an unpaid order itself when it expires.
        """
        order = self._order(reference)
        if transformers.latest_payment(order)[0] == "order":
            raise UnsupportedOperation(
                f"PayPal order {reference} holds no payment to void: it expires unpaid",
                code="not_voidable",
                gateway=errors.GATEWAY,
            )
        authorization = transformers.payment_of(order, "authorization")
        voided = self._call(
            "POST", f"/v2/payments/authorizations/{authorization['id']}/void", key=idempotency_key
        )
        return self._outcome(transformers.with_payment(order, "authorization", voided))

    def refund(
        self, reference: str, amount: int, currency: str, idempotency_key: str, payment_id: str
    ) -> GatewayRefund:
        """Refund ``amount`` of the order's capture.

        Raises:
          InvalidRequestError: nothing captured, or more than is left to refund.
        """
        capture = transformers.payment_of(self._order(reference), "capture", transformers.SETTLED)
        refund = self._call(
            "POST",
            f"/v2/payments/captures/{capture['id']}/refund",
            transformers.refund_request(amount, currency, payment_id),
            key=idempotency_key,
        )
        return transformers.to_refund(refund)

    def retrieve(self, request: PaymentRequest, reference: str | None) -> GatewayPayment:
        """The order's outcome; a wallet order its buyer approved is captured or authorized first.

        Completing it moves money, so its ``PayPal-Request-Id`` is ``<idempotency key>:capture``
        (or ``:authorize``): every job of the attempt sends the same one (two at once, or one
        after a worker died between approval and capture), and PayPal does the work once and
        replays its answer to the others.
        """
        if not reference:
            # Same PayPal-Request-Id: PayPal answers with the saved outcome, or runs it once.
            return self._create(request, capture=request.capture)
        order = self._order(reference)
        if order["status"] == "APPROVED":
            order = self._complete(order, request.idempotency_key)
        return self._outcome(order)

    def update(self, reference: str, description: str | None, metadata: dict, idempotency_key: str) -> None:
        """Set the order's description.

        Only the description has a place at PayPal: ``custom_id`` holds our payment id, and
        there is no free-form metadata.  PATCH takes no PayPal-Request-Id; choosing
        ``add`` or ``replace`` from a fresh read makes a repeat harmless.

        Raises:
          UnsupportedOperation: the order is completed (PayPal patches CREATED and APPROVED orders only).
        """
        if not description:
            return
        order = self._order(reference)
        self._call(
            "PATCH",
            f"/v2/checkout/orders/{quote(reference, safe='')}",
            transformers.description_patch(order, description),
        )

    # -- Webhooks ------------------------------------------------------------------------------

    def verify_webhook(self, headers: dict, body: bytes, webhook_id: str) -> bool:
        """Ask PayPal whether a webhook delivery is genuine and unmodified.

        The certificate URL goes to PayPal only and is never fetched here: a forged event
        would name its forger's certificate.  No PayPal-Request-Id is sent, since PayPal would
        replay a saved SUCCESS for a reused id whatever the event.

        Parameters:
          headers: The delivery's HTTP headers (any case).
          body: Its raw body.
          webhook_id: Our webhook's id at PayPal.

        Returns:
          True only when PayPal answers SUCCESS.

        Raises:
          RetryableError, InvalidRequestError: PayPal could not be asked; answer the delivery
            with an error so that PayPal sends it again.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            event = json.loads(body)
        except ValueError:
            return False
        if not isinstance(event, dict) or any(lowered.get(h) is None for h in WEBHOOK_HEADERS.values()):
            return False
        payload = {field: lowered[h] for field, h in WEBHOOK_HEADERS.items()}
        payload.update(webhook_id=webhook_id, webhook_event=event)
        try:
            answer = self._call("POST", "/v1/notifications/verify-webhook-signature", payload, safe=True)
        except InvalidRequestError as exc:
            if exc.code == "invalid_request":  # headers PayPal cannot even read: not genuine
                return False
            raise
        return answer.get("verification_status") == "SUCCESS"

    # -- HTTP ----------------------------------------------------------------------------------

    def _create(self, request: PaymentRequest, capture: bool) -> GatewayPayment:
        order = self._call(
            "POST",
            "/v2/checkout/orders",
            transformers.order_request(request, capture),
            key=request.idempotency_key,
        )
        return self._outcome(order)

    def _complete(self, order: dict, idempotency_key: str) -> dict:
        """Capture or authorize an approved order as its intent says; the order as it then stands.

        An order that moved on meanwhile (already completed under another request id, or no
        longer approved) is read again rather than failed: what it holds is ours.
        """
        action = order["intent"].lower()  # capture or authorize
        path = f"/v2/checkout/orders/{quote(order['id'], safe='')}/{action}"
        try:
            return self._call("POST", path, key=f"{idempotency_key}:{action}")
        except InvalidRequestError as exc:
            if exc.code not in ("order_not_approved", "already_captured", "already_authorized"):
                raise
        return self._order(order["id"])

    def _order(self, reference: str) -> dict:
        return self._call("GET", f"/v2/checkout/orders/{quote(reference, safe='')}", safe=True)

    @staticmethod
    def _outcome(order: dict) -> GatewayPayment:
        """Our view of ``order``, or the decline its capture or authorization carries."""
        payment = transformers.to_payment(order)
        if payment.status is GatewayStatus.DECLINED:
            raise errors.declined(transformers.latest_payment(order)[1])
        return payment

    def _call(
        self,
        method: str,
        path: str,
        body: dict | list | None = None,
        *,
        key: str | None = None,
        safe: bool = False,
    ) -> Any:
        """One authenticated API call.

        Parameters:
          key: The ``PayPal-Request-Id``.
          safe: The call cannot move money, so a lost answer is simply retryable.

        Returns:
          The decoded JSON body, or None when there is none.

        Raises:
          GatewayError subclasses, mapped in ``errors``.
        """
        token = self._token()
        headers = {"Prefer": "return=representation", "Authorization": f"Bearer {token}"}
        if key:
            headers["PayPal-Request-Id"] = key
        response = self._send(method, path, safe=safe, json=body, headers=headers)
        if response.status_code == 401:  # expired or revoked: PayPal did nothing, refresh once
            headers["Authorization"] = f"Bearer {self._token(stale=token)}"
            response = self._send(method, path, safe=safe, json=body, headers=headers)
        if response.status_code >= 400:
            raise errors.from_response(response)
        return self._json(response, safe) if response.content else None

    def _send(self, method: str, path: str, *, safe: bool, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            error = errors.from_transport(exc, safe=safe)
        # Raised outside the handler so that it chains nothing: requests' exception holds
        # the request, card number and all.
        raise error

    @staticmethod
    def _json(response: requests.Response, safe: bool) -> Any:
        try:
            return response.json()
        except requests.RequestException as exc:  # a 2xx we cannot read: done, but what?
            error = errors.from_transport(exc, safe=safe)
        raise error

    def _token(self, stale: str | None = None) -> str:
        """A live access token from the shared store, else a new one from PayPal.

        Parameters:
          stale: A token PayPal just refused; never handed out again.
        """
        with self._token_lock:  # one fetch per process at a time
            token = self.token_store.get(self._token_key)
            if not token or token == stale:
                token, ttl = self._fetch_token()
                self.token_store.set(self._token_key, token, ttl)
            return token

    def _fetch_token(self) -> tuple[str, int]:
        response = self._send(
            "POST",
            "/v1/oauth2/token",
            safe=True,
            auth=self._credentials,
            data={"grant_type": "client_credentials"},
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise errors.from_response(response)
        body = self._json(response, safe=True)
        lifetime = int(body["expires_in"])
        return body["access_token"], lifetime - min(self.TOKEN_MARGIN, lifetime // 10)
