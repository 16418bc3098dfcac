"""Signing and verifying webhooks the Standard Webhooks way (standardwebhooks.com).

A message carries ``webhook-id`` (the event id: deduplicate on it),
``webhook-timestamp`` (unix seconds) and ``webhook-signature``: one or more
space-separated ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``,
where the key is the base64 part of the ``whsec_`` secret.  Two signatures are
sent while a rotated secret is still valid.

Standard library only, so a receiver can copy this file as it is.
"""

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Mapping

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The message is not authentic, or too old or too far in the future."""


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


def sign(secret: str, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """The ``v1,<base64>`` signature of one message.

    Parameters:
      secret: ``whsec_...``.
      msg_id: The ``webhook-id`` header.
      timestamp: The ``webhook-timestamp`` header (unix seconds).
      body: The exact raw body (bytes or str).

    Returns:
      ``"v1,<base64 HMAC-SHA256>"``.
    """
    content = f"{msg_id}.{timestamp}.".encode() + _bytes(body)
    return "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()


def verify(
    secret_or_secrets: str | Iterable[str],
    headers: Mapping[str, str],
    body: str | bytes,
    tolerance: float = TOLERANCE_SECONDS,
) -> dict:
    """Check a received webhook and return its parsed body.

    Parameters:
      secret_or_secrets: The endpoint's ``whsec_`` secret, or several (e.g. during a rotation).
      headers: The request headers (any mapping with ``items()``; names are case-insensitive).
      body: The raw body, exactly as received (bytes or str), not re-serialized JSON.
      tolerance: Seconds the timestamp may differ from now, either way (replay window).

    Returns:
      The event (a dict).

    Raises:
      WebhookVerificationError: a header is missing, the timestamp is out of tolerance,
        or no signature matches any secret.
    """
    secrets = [secret_or_secrets] if isinstance(secret_or_secrets, str) else list(secret_or_secrets)
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        msg_id, timestamp = lowered["webhook-id"], int(lowered["webhook-timestamp"])
        received = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        raise WebhookVerificationError("missing or malformed webhook headers") from None
    if abs(time.time() - timestamp) > tolerance:
        raise WebhookVerificationError("timestamp outside the tolerance")
    expected = [sign(secret, msg_id, timestamp, body) for secret in secrets]
    # Compare every pair in constant time; a match on any one suffices.
    if not any(hmac.compare_digest(r.encode(), e.encode()) for r in received for e in expected):
        raise WebhookVerificationError("no matching signature")
    return json.loads(_bytes(body))
