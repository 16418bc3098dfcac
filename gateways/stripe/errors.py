"""Stripe SDK exceptions onto our taxonomy (``gateways.errors``): one table, one entry point."""

from collections.abc import Callable, Iterator
from typing import Any

import stripe
import urllib3

from gateways import errors

GATEWAY = "stripe"

# Stripe's advice_code outranks the decline code: it is the network's word on retrying.
_ADVICE: dict[str | None, type[errors.GatewayError]] = {
    "do_not_try_again": errors.HardDeclineError,
    "confirm_card_data": errors.HardDeclineError,  # the same card data fails again, anywhere
    "try_again_later": errors.SoftDeclineError,
}


def decline_from(error: dict) -> errors.GatewayError:
    """Our decline for a Stripe ``card_error`` object.

    Parameters:
      error: The ``error`` of a 402 body, or a PaymentIntent's ``last_payment_error``.

    Returns:
      ``HardDeclineError`` or ``SoftDeclineError``, coded with the issuer's decline code.
    """
    code = error.get("decline_code") or error.get("code") or "card_declined"
    message = error.get("message") or "The card was declined."
    cls = _ADVICE.get(error.get("advice_code"))
    if cls is None:
        return errors.decline(message, code, gateway=GATEWAY, vendor_code=code)
    return cls(message, code=code, gateway=GATEWAY, vendor_code=code)


def from_stripe(exc: stripe.StripeError) -> errors.GatewayError:
    """Map one ``stripe.StripeError`` onto our taxonomy.

    Parameters:
      exc: What a ``stripe.StripeClient`` call raised.

    Returns:
      The ``GatewayError`` to raise (the caller chains ``exc`` to it).
    """
    for cls, build in _TABLE:
        if isinstance(exc, cls):
            return build(exc)
    raise TypeError(f"not a Stripe error: {type(exc).__name__}")


def _body(exc: stripe.StripeError) -> dict:
    """The ``error`` object of a Stripe error answer, ``{}`` when there is none."""
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def _error(cls: type[errors.GatewayError], exc: stripe.StripeError, code: str) -> errors.GatewayError:
    message = exc.user_message or "Stripe answered with an error"
    if exc.request_id:
        message = f"{message} (request {exc.request_id})"
    return cls(
        message,
        code=code,
        gateway=GATEWAY,
        vendor_code=_body(exc).get("code"),
        retry_after=errors.retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None),
    )


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _connection_failed(exc: stripe.StripeError) -> errors.GatewayError:
    causes = list(_chain(exc))
    root = type(causes[-1]).__name__
    # urllib3 raises ConnectTimeoutError (NewConnectionError and NameResolutionError are
    # subclasses) only while opening the connection, before a byte of the request went out.
    # Neither the SDK nor urllib3 retries (max_network_retries=0, max_retries=0), so the chain
    # holds this one attempt only.
    if any(isinstance(e, urllib3.exceptions.ConnectTimeoutError) for e in causes):
        return errors.RetryableError(
            f"Stripe unreachable, the request was not sent ({root})",
            code="gateway_unreachable",
            gateway=GATEWAY,
        )
    # Anything later (read timeout, connection reset or closed) may follow a charge.
    timed_out = any(isinstance(e, TimeoutError | urllib3.exceptions.TimeoutError) for e in causes)
    return errors.UnknownOutcomeError(
        f"No answer from Stripe after the request was sent ({root}): it may have been executed",
        code="gateway_timeout" if timed_out else "connection_lost",
        gateway=GATEWAY,
    )


def _api_error(exc: stripe.StripeError) -> errors.GatewayError:
    status = exc.http_status or 0
    if status == 409:  # another request with this key is running: the same key settles it
        return _error(errors.RetryableError, exc, "idempotency_key_in_use")
    if status >= 500:
        # Stripe saves most 5xx under the idempotency key and says so with
        # Stripe-Should-Retry: false; a retry would replay the 5xx, the outcome is unknown.
        if exc.headers and exc.headers.get("Stripe-Should-Retry") == "false":
            return _error(errors.UnknownOutcomeError, exc, "gateway_error")
        return _error(errors.RetryableError, exc, "gateway_error")
    if status >= 400:
        return _error(errors.InvalidRequestError, exc, "invalid_request")
    # A 2xx (or no status) we could not read: the call may well have succeeded.
    return _error(errors.UnknownOutcomeError, exc, "unreadable_response")


# Order matters where the SDK's classes inherit (everything is a StripeError).
_TABLE: tuple[tuple[type[stripe.StripeError], Callable[[Any], errors.GatewayError]], ...] = (
    (stripe.CardError, lambda e: decline_from(_body(e))),
    (stripe.RateLimitError, lambda e: _error(errors.RetryableError, e, "rate_limited")),
    (stripe.IdempotencyError, lambda e: _error(errors.InvalidRequestError, e, "idempotency_error")),
    (
        stripe.InvalidRequestError,
        lambda e: _error(errors.InvalidRequestError, e, e.code or "invalid_request"),
    ),
    # A bad or under-privileged key is our configuration bug: final and loud, nothing moved.
    (
        stripe.AuthenticationError,
        lambda e: _error(errors.InvalidRequestError, e, "gateway_credentials_rejected"),
    ),
    (stripe.PermissionError, lambda e: _error(errors.InvalidRequestError, e, "permission_denied")),
    (stripe.APIConnectionError, _connection_failed),
    (stripe.APIError, _api_error),
    # Anything else the SDK may add: we cannot tell what happened.
    (stripe.StripeError, lambda e: _error(errors.UnknownOutcomeError, e, "unclassified_error")),
)
