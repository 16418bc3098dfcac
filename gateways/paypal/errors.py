"""PayPal's failures → our taxonomy (``gateways.errors``).

Three sources, one table each: the issuer's ``processor_response.response_code``
on a declined capture or denied authorization, the ``details[].issue`` (else the
HTTP status) of an error body, and the transport.  Messages carry PayPal's
names, issues and descriptions only, never ``details[].value``, which may echo
what we sent.
"""

from collections.abc import Callable

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from gateways.errors import (
    GatewayError,
    InvalidRequestError,
    RetryableError,
    UnknownOutcomeError,
    UnsupportedOperation,
    decline,
    retry_after_seconds,
)

GATEWAY = "paypal"

#: Issuer answers → our decline code; ``decline()`` makes those in HARD_DECLINE_CODES hard.
RESPONSE_CODES = {
    "0100": "call_issuer",  # REFERRAL
    "0390": "invalid_account",  # ACCOUNT_NOT_FOUND
    "0500": "do_not_honor",
    "0580": "transaction_not_allowed",
    "0800": "processing_error",  # BAD_RESPONSE_REVERSAL_REQUIRED
    "0880": "processing_error",  # CRYPTOGRAPHIC_FAILURE
    "0890": "incorrect_pin",
    "0960": "processing_error",  # SYSTEM_MALFUNCTION
    "1330": "invalid_account",
    "1335": "invalid_account",
    "1352": "restricted_card",  # RESTRICTED_OR_INACTIVE_ACCOUNT
    "1382": "incorrect_cvc",  # INVALID_CARD_VERIFICATION_VALUE
    "00N7": "incorrect_cvc",  # CVV2_FAILURE_POSSIBLE_RETRY_WITH_CVV
    "5100": "generic_decline",
    "5110": "incorrect_cvc",  # CVV2_FAILURE
    "5120": "insufficient_funds",
    "5130": "incorrect_pin",
    "5135": "pin_try_exceeded",
    "5140": "invalid_account",  # CARD_CLOSED
    "5150": "pickup_card",
    "5160": "transaction_not_allowed",  # UNAUTHORIZED_USER
    "5170": "incorrect_address",  # AVS_FAILURE
    "5180": "restricted_card",  # INVALID_OR_RESTRICTED_CARD: do not retry the card
    "5200": "duplicate_transaction",
    "5400": "expired_card",
    "5650": "authentication_required",  # DECLINED_SCA_REQUIRED
    "5700": "transaction_not_allowed",
    "5710": "card_velocity_exceeded",
    "5910": "issuer_not_available",
    "5920": "issuer_not_available",
    "9100": "processing_error",  # DECLINED_PLEASE_RETRY
    "9500": "fraudulent",  # SUSPECTED_FRAUD
    "9510": "security_violation",
    "9520": "stolen_card",  # LOST_OR_STOLEN: our codes have no "either"; both are final
    "9530": "call_issuer",  # HOLD_CALL_CENTER
    "9540": "generic_decline",  # REFUSED_CARD
    "PCVV": "incorrect_cvc",
    "PPRN": "do_not_try_again",  # REATTEMPT_NOT_PERMITTED
}

#: ``details[].issue`` → (error factory, our code); ``decline`` decides hard or soft by code.
ISSUES: dict[str, tuple[Callable[..., GatewayError], str]] = {
    "INSTRUMENT_DECLINED": (decline, "generic_decline"),
    "TRANSACTION_REFUSED": (decline, "transaction_refused"),
    "PAYER_CANNOT_PAY": (decline, "generic_decline"),
    "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING": (decline, "generic_decline"),
    "PAYER_ACTION_REQUIRED": (decline, "authentication_required"),  # 3-D Secure: not server to server
    "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED": (decline, "card_velocity_exceeded"),
    "CARD_EXPIRED": (decline, "expired_card"),
    "REFERENCED_CARD_EXPIRED": (decline, "expired_card"),
    "ORDER_ALREADY_COMPLETED": (UnsupportedOperation, "order_completed"),
    # Completing a wallet order: it moved on meanwhile; ``PayPalGateway.retrieve`` reads it again.
    "ORDER_NOT_APPROVED": (InvalidRequestError, "order_not_approved"),
    "ORDER_ALREADY_CAPTURED": (InvalidRequestError, "already_captured"),
    "ORDER_ALREADY_AUTHORIZED": (InvalidRequestError, "already_authorized"),
    "NOT_PATCHABLE": (UnsupportedOperation, "not_patchable"),
    "FIELD_NOT_PATCHABLE": (UnsupportedOperation, "not_patchable"),
    "PREVIOUS_REQUEST_IN_PROGRESS": (RetryableError, "request_in_progress"),
    "ORDER_COMPLETION_IN_PROGRESS": (RetryableError, "request_in_progress"),
    "PENDING_CAPTURE": (RetryableError, "capture_pending"),
    "MAX_CAPTURE_AMOUNT_EXCEEDED": (InvalidRequestError, "amount_too_large"),
    "REFUND_AMOUNT_EXCEEDED": (InvalidRequestError, "amount_too_large"),
    "CAPTURE_FULLY_REFUNDED": (InvalidRequestError, "already_refunded"),
    "AUTHORIZATION_ALREADY_CAPTURED": (InvalidRequestError, "already_captured"),
    "PREVIOUSLY_CAPTURED": (InvalidRequestError, "already_captured"),
    "AUTHORIZATION_VOIDED": (InvalidRequestError, "authorization_voided"),
    "PREVIOUSLY_VOIDED": (InvalidRequestError, "authorization_voided"),
    "AUTHORIZATION_EXPIRED": (InvalidRequestError, "authorization_expired"),
    "DECIMAL_PRECISION": (InvalidRequestError, "invalid_amount"),
    "DECIMALS_NOT_SUPPORTED": (InvalidRequestError, "invalid_amount"),
    "INVALID_CURRENCY_CODE": (InvalidRequestError, "unsupported_currency"),
}

#: HTTP status → (error class, our code) when no issue above matched.
HTTP_STATUSES: dict[int, tuple[type[GatewayError], str]] = {
    400: (InvalidRequestError, "invalid_request"),
    401: (InvalidRequestError, "gateway_credentials_rejected"),  # after one token refresh: our credentials
    403: (InvalidRequestError, "permission_denied"),
    404: (InvalidRequestError, "resource_not_found"),
    409: (RetryableError, "request_in_progress"),
    415: (InvalidRequestError, "invalid_request"),
    422: (InvalidRequestError, "unprocessable_entity"),
    429: (RetryableError, "rate_limited"),
}


def from_response(response: requests.Response) -> GatewayError:
    """The error for a PayPal answer with status 400 or more (OAuth answers included).

    Returns:
      A ``GatewayError`` subclass instance; 5xx and 429 are ``RetryableError`` with ``retry_after``.
    """
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    issue = next((d["issue"] for d in details if d.get("issue") in ISSUES), None)
    name = body.get("name") or body.get("error") or f"HTTP {response.status_code}"
    factory, code = ISSUES[issue] if issue else _by_status(response.status_code)
    text = "; ".join(
        " ".join(filter(None, (d.get("issue"), d.get("field"), d.get("description")))) for d in details
    )
    text = text or body.get("message") or body.get("error_description") or ""
    message = f"PayPal {response.status_code} {name}: {text}"
    return factory(
        message,
        code=code,
        gateway=GATEWAY,
        vendor_code=issue or next((d.get("issue") for d in details), None) or name,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


def _by_status(status: int) -> tuple[type[GatewayError], str]:
    if status in HTTP_STATUSES:
        return HTTP_STATUSES[status]
    if status >= 500:
        return RetryableError, "gateway_unavailable"
    return InvalidRequestError, "invalid_request"


def declined(payment: dict) -> GatewayError:
    """The decline for a capture (DECLINED, FAILED) or authorization (DENIED), read from its processor
    response."""
    response_code = (payment.get("processor_response") or {}).get("response_code")
    code = RESPONSE_CODES.get(response_code or "", "generic_decline")
    return decline(
        f"PayPal {payment.get('status')}: issuer response {response_code or 'none'} ({code})",
        code,
        gateway=GATEWAY,
        vendor_code=response_code or payment.get("status"),
    )


def from_transport(exc: requests.RequestException, *, safe: bool) -> GatewayError:
    """The error for a request that got no answer.

    Parameters:
      exc: What ``requests`` raised.
      safe: The request cannot move money (GET, token, verification): a retry is always fine.

    Returns:
      ``RetryableError`` when the request surely never reached PayPal (no connection) or is
      safe; ``UnknownOutcomeError`` when it may have been executed (read timeout, dropped
      connection); ``InvalidRequestError`` for a malformed URL.
    """
    message = f"PayPal did not answer: {type(exc).__name__}"
    if isinstance(
        exc,
        (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ),
    ):
        return InvalidRequestError(message, code="invalid_configuration", gateway=GATEWAY)
    reason = exc.args[0] if exc.args else None
    never_connected = isinstance(reason, MaxRetryError) and isinstance(reason.reason, ConnectTimeoutError)
    if safe or never_connected:
        return RetryableError(message, code="gateway_unavailable", gateway=GATEWAY)
    return UnknownOutcomeError(message, code="unknown_outcome", gateway=GATEWAY)
