"""The one error taxonomy every gateway maps its vendor's errors onto.

Workers decide what to do next from the class alone:

* ``RetryableError``      same gateway again, with backoff, same idempotency key.
* ``UnknownOutcomeError`` the request may have been executed: resolve through
                          ``Gateway.retrieve`` before anything else is tried.
* ``SoftDeclineError``    the issuer said no, another gateway may say yes.
* ``HardDeclineError``    never reattempt anywhere.
* ``InvalidRequestError`` our bug or bad data: final, logged loudly.
"""

import email.utils
import time
from typing import Any


class GatewayError(Exception):
    """Base of every gateway failure.

    Parameters:
      message: Human-readable text (never card data).
      code: Our stable code, e.g. ``insufficient_funds`` or ``gateway_unavailable``.
      gateway: Name of the gateway that raised it.
      vendor_code: The vendor's own code, kept for the attempt record.
      retry_after: Seconds the gateway asked us to wait (429/503), if any.
    """

    error_class = "gateway_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        gateway: str | None = None,
        vendor_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.error_class
        self.gateway = gateway
        self.vendor_code = vendor_code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, gateway={self.gateway!r}, message={self.message!r})"
        )


class RetryableError(GatewayError):
    error_class = "retryable"


class UnknownOutcomeError(GatewayError):
    error_class = "unknown_outcome"


class SoftDeclineError(GatewayError):
    error_class = "soft_decline"


class HardDeclineError(GatewayError):
    error_class = "hard_decline"


class InvalidRequestError(GatewayError):
    error_class = "invalid_request"


class UnsupportedOperation(GatewayError):
    """The gateway cannot do this at all (e.g. update after capture)."""

    error_class = "unsupported"


#: Decline codes shared by both gateways' mappings: which issuer answers are final.
HARD_DECLINE_CODES = frozenset(
    {
        "stolen_card",
        "lost_card",
        "pickup_card",
        "fraudulent",
        "invalid_account",
        "expired_card",
        "incorrect_number",
        "invalid_number",
        "incorrect_cvc",
        "invalid_cvc",
        "invalid_expiry_month",
        "invalid_expiry_year",
        "do_not_try_again",
        "restricted_card",
        "security_violation",
        "revocation_of_authorization",
    }
)


def decline(message: str, code: str, **kwargs: Any) -> GatewayError:
    """Build the right decline error for an issuer decline ``code``.

    Returns:
      A ``HardDeclineError`` for codes in ``HARD_DECLINE_CODES``, else a ``SoftDeclineError``.
    """
    cls = HardDeclineError if code in HARD_DECLINE_CODES else SoftDeclineError
    return cls(message, code=code, **kwargs)


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class WebhookRefused(Exception):
    """A delivery refused at the door (``Webhooks.admit``): the gateway sends it again later.

    Parameters:
      detail: What was wrong with it, for the gateway's delivery log and ours.
    """


class InvalidSignature(WebhookRefused):
    """Unsigned, mis-signed or stale, by a gateway that signs with a secret we hold."""


class InvalidWebhook(WebhookRefused):
    """Malformed: a header or field missing or ill-formed, or nothing to verify it with."""


class StaleWebhook(WebhookRefused):
    """Sent too long ago (or too far ahead): an old delivery replayed, or a clock far off."""
