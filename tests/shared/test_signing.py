"""The shipped verification helper: Standard Webhooks signatures, rotation, replay window."""

import base64
import time

import pytest

from shared.signing import WebhookVerificationError, new_secret, sign, verify

# The Standard Webhooks specification's published test vector.
VECTOR = (
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_p5jXN8AQM9LWM0D4loKWxJek",
    1614265330,
    b'{"test": 2432232314}',
)


def signed(secret, body=b'{"id": "evt_1"}', msg_id="evt_1", timestamp=None, extra=()):
    timestamp = int(time.time()) if timestamp is None else timestamp
    signatures = [sign(s, msg_id, timestamp, body) for s in (secret, *extra)]
    return {
        "Webhook-Id": msg_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": " ".join(signatures),
    }, body


def test_the_specification_test_vector():
    assert sign(*VECTOR) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(*VECTOR) == sign(VECTOR[0], VECTOR[1], VECTOR[2], VECTOR[3].decode())


def test_secrets_are_32_random_bytes():
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32 and secret != new_secret()


def test_verify_returns_the_event_and_accepts_any_header_case():
    secret = new_secret()
    headers, body = signed(secret)
    assert verify(secret, headers, body) == {"id": "evt_1"}
    assert verify(secret, {k.lower(): v for k, v in headers.items()}, body.decode()) == {"id": "evt_1"}


def test_any_of_several_signatures_or_secrets_verifies():
    old, new = new_secret(), new_secret()
    headers, body = signed(new, extra=(old,))
    assert (
        verify(old, headers, body)
        and verify(new, headers, body)
        and verify([new_secret(), old], headers, body)
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b"evt_1", b"evt_2")),
        lambda h, b: ({**h, "Webhook-Id": "evt_2"}, b),
        lambda h, b: ({**h, "Webhook-Signature": "v1,AAAA"}, b),
        lambda h, b: ({**h, "Webhook-Signature": h["Webhook-Signature"].replace("v1,", "v2,")}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "Webhook-Timestamp"}, b),
        lambda h, b: ({**h, "Webhook-Timestamp": "soon"}, b),
    ],
)
def test_anything_tampered_or_missing_is_refused(tamper):
    secret = new_secret()
    with pytest.raises(WebhookVerificationError):
        verify(secret, *tamper(*signed(secret)))


def test_another_secret_is_refused():
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify(new_secret(), *signed(new_secret()))


@pytest.mark.parametrize("skew", [-301, 301])
def test_timestamps_beyond_five_minutes_either_way_are_refused(skew):
    secret = new_secret()
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify(secret, *signed(secret, timestamp=int(time.time()) + skew))
    assert verify(secret, *signed(secret, timestamp=int(time.time()) + skew), tolerance=400)
