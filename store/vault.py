"""Card vault: envelope encryption of the PAN and CVC, keyed fingerprints.

Cards are sealed with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
AES-256-GCM) to a PUBLIC key: the ingress, which only holds public keys, can seal but never open.
The charging workers hold the private keys.  The ciphertext is ``base64(enc || ciphertext+tag)``;
the key id is stored beside it, so keys rotate (seal with the first public key, open with any
private key in the ring).  The payment id is bound into the HPKE ``info``, so a ciphertext copied
onto another payment does not open.

Older records were encrypted with AES-256-GCM (``base64(nonce || ciphertext+tag)``) under a
symmetric key; their key id names a key of ``legacy`` (``PAYWAVE_VAULT_KEYS``), so they stay
readable by the workers until they expire.  ``Keyring`` is that symmetric scheme; it also seals
webhook signing secrets (``PAYWAVE_WEBHOOK_SECRET_KEYS``, held by the ingress and the webhooks pool).
"""

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from typing import Self

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from shared.cards import Card
from shared.config import Config
from store.models import Payment

BRANDS = (
    ("4", "visa"),
    ("34", "amex"),
    ("37", "amex"),
    ("5", "mastercard"),
    ("2", "mastercard"),
    ("6", "discover"),
    ("35", "jcb"),
    ("36", "diners"),
    ("30", "diners"),
)
#: Every ``card_brand`` a payment can have.
CARD_BRANDS = (*dict.fromkeys(name for _, name in BRANDS), "unknown")
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class VaultKeyMissing(LookupError):
    """This process holds no key that opens (or seals) the record: e.g. the ingress, which has no private
    key."""


#: How many leading digits of a card number are kept (``card_bin``): the BIN, which PCI DSS lets one store
#: beside the last four; never more.
BIN_DIGITS = 6


def brand(number: str) -> str:
    for prefix, name in BRANDS:
        if number.startswith(prefix):
            return name
    return "unknown"


def generate_key_pair(key_id: str) -> tuple[str, str]:
    """A new X25519 key pair as ``(public, private)`` entries ``kid:base64(raw 32 bytes)``."""
    private = X25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return (
        f"{key_id}:{base64.b64encode(raw_public).decode()}",
        f"{key_id}:{base64.b64encode(raw_private).decode()}",
    )


class Keyring:
    """AES-256-GCM under symmetric keys.

    Parameters:
      keys: ``[(key_id, 32-byte key), ...]``; the first encrypts (may be empty: nothing to encrypt with).
    """

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        self._keys = {kid: AESGCM(key) for kid, key in keys}
        self._active = keys[0][0] if keys else None

    @property
    def active_key_id(self) -> str:
        """The id of the key that encrypts.

        Raises:
          VaultKeyMissing: the keyring is empty.
        """
        if self._active is None:
            raise VaultKeyMissing("no key to encrypt with")
        return self._active

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def encrypt(self, secret: str, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self.active_key_id].encrypt(nonce, secret.encode(), bound_to.encode())
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, key_id: str, bound_to: str) -> str:
        if key_id not in self._keys:
            raise VaultKeyMissing(f"no key {key_id!r}")
        raw = base64.b64decode(token)
        return self._keys[key_id].decrypt(raw[:12], raw[12:], bound_to.encode()).decode()


class Vault:
    """Parameters:
    public_keys: ``[(key_id, X25519PublicKey), ...]``; the first seals.
    fingerprint_key: HMAC key for fingerprints (same card → same fingerprint, not reversible).
    private_keys: ``{key_id: X25519PrivateKey}``; empty in the ingress (it cannot open cards).
    legacy: ``Keyring`` opening records sealed before envelope encryption.
    secrets: ``Keyring`` for webhook signing secrets.
    """

    def __init__(
        self,
        public_keys: Sequence[tuple[str, X25519PublicKey]],
        fingerprint_key: str,
        private_keys: Mapping[str, X25519PrivateKey] | None = None,
        legacy: Keyring | None = None,
        secrets: Keyring | None = None,
    ) -> None:
        self._public = public_keys[0] if public_keys else None
        self._private = dict(private_keys or {})
        self._legacy = legacy or Keyring([])
        self._fingerprint_key = fingerprint_key.encode()
        self.secrets = secrets or Keyring([])

    @classmethod
    def from_config(cls, config: Config) -> Self:
        public = [
            (kid, X25519PublicKey.from_public_bytes(raw)) for kid, raw in config.keyring("vault_public_keys")
        ]
        private = {
            kid: X25519PrivateKey.from_private_bytes(raw) for kid, raw in config.keyring("vault_private_keys")
        }
        return cls(
            public,
            config.fingerprint_key,
            private,
            Keyring(config.keyring("vault_keys")),
            Keyring(config.keyring("webhook_secret_keys")),
        )

    @staticmethod
    def _info(bound_to: str) -> bytes:
        return b"paywave-vault-v1:" + bound_to.encode()

    def seal(self, secret: str, bound_to: str) -> tuple[str, str]:
        """``(key_id, token)``: ``secret`` sealed to the active public key, bound to ``bound_to``."""
        if self._public is None:
            raise VaultKeyMissing("no vault public key")
        key_id, public = self._public
        return key_id, base64.b64encode(
            SUITE.encrypt(secret.encode(), public, info=self._info(bound_to))
        ).decode()

    def open(self, token: str, key_id: str, bound_to: str) -> str:
        """Raises:
        VaultKeyMissing: this process holds neither the private key nor the legacy key ``key_id``.
        cryptography.exceptions.InvalidTag: tampered, or bound to something else.
        """
        if key_id in self._legacy:
            return self._legacy.decrypt(token, key_id, bound_to)
        if key_id not in self._private:
            raise VaultKeyMissing(f"no vault private key {key_id!r}")
        return SUITE.decrypt(
            base64.b64decode(token), self._private[key_id], info=self._info(bound_to)
        ).decode()

    def fingerprint(self, number: str) -> str:
        return hmac.new(self._fingerprint_key, number.encode(), hashlib.sha256).hexdigest()[:32]

    def seal_card(self, payment_id: str, number: str, exp_month: int, exp_year: int, cvc: str | None) -> dict:
        """The payment (or token) columns that describe a card, with nothing in clear but last4, bound to
        ``payment_id`` (a payment's or a token's id)."""
        key_id, card_ciphertext = self.seal(number, payment_id)
        return {
            "card_brand": brand(number),
            "card_last4": number[-4:],
            "card_bin": number[:BIN_DIGITS],
            "card_exp_month": exp_month,
            "card_exp_year": exp_year,
            "card_fingerprint": self.fingerprint(number),
            "card_key_id": key_id,
            "card_ciphertext": card_ciphertext,
            "cvc_ciphertext": self.seal(cvc, payment_id + ":cvc")[1] if cvc else None,
        }

    def open_card(self, payment: Payment) -> Card | None:
        """The card of ``payment`` (a ``store.models.Payment``), decrypted for one gateway call; None for
        a method without a card (``payment.method``).

        A payment paid with a token (``card_token``) holds the token's sealed columns, bound to the token's
        id: the ingress cannot open them to seal them again for the payment.
        """
        sealed, key_id = payment.card_ciphertext, payment.card_key_id
        month, year = payment.card_exp_month, payment.card_exp_year
        if sealed is None or key_id is None or month is None or year is None:
            return None
        bound_to = payment.card_token or payment.id
        cvc = self.open(payment.cvc_ciphertext, key_id, bound_to + ":cvc") if payment.cvc_ciphertext else None
        return Card(
            number=self.open(sealed, key_id, bound_to),
            exp_month=month,
            exp_year=year,
            cvc=cvc,
        )
