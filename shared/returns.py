"""PayWave's return address for a customer action (a 3-D Secure challenge, a PayPal approval): where the
gateway sends the customer's browser back, before PayWave sends it on to the merchant's ``return_url``.

``{public_url}/v1/actions/{payment_id}/return?sig=…``: the signature is an HMAC of the payment id under a
key derived from ``PAYWAVE_API_KEY_DIGEST_KEY``, so only PayWave makes these addresses (the route needs no
credential, and an address nobody was given answers 404).  It holds no time and no secret of the
payment: the same payment always gets the same address, as a replay under an attempt's idempotency key
must send the same request.
"""

import base64
import hashlib
import hmac

from shared.config import Config

#: The ingress route (``ingress.resources.actions``).
PATH = "/v1/actions/{payment_id}/return"
#: The query parameter holding the signature.
SIGNATURE_PARAM = "sig"
_PURPOSE = b"paywave customer action return v1"


def _key(config: Config) -> bytes:
    # Derived, never the digest key itself: a signature reveals nothing about API key digests.
    return hmac.new(config.api_key_digest_key.encode(), _PURPOSE, hashlib.sha256).digest()


def signature(config: Config, payment_id: str) -> str:
    """The signature of ``payment_id``'s return address (base64url, unpadded).

    Parameters:
      config: ``shared.config.Config`` (``api_key_digest_key``).
    """
    digest = hmac.new(_key(config), payment_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def return_url(config: Config, payment_id: str) -> str:
    """The address the gateway sends the customer back to after an action on ``payment_id``.

    Parameters:
      config: ``shared.config.Config`` (``public_url``, ``api_key_digest_key``).
    """
    path = PATH.format(payment_id=payment_id)
    return f"{config.public_url.rstrip('/')}{path}?{SIGNATURE_PARAM}={signature(config, payment_id)}"


def verify(config: Config, payment_id: str, given: str | None) -> bool:
    """Whether ``given`` is ``payment_id``'s signature (compared in constant time)."""
    return given is not None and hmac.compare_digest(given.encode(), signature(config, payment_id).encode())
