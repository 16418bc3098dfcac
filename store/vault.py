"""Card vault: AES-256-GCM encryption of the PAN and CVC, keyed fingerprints.

The ciphertext format is ``base64(nonce || ciphertext+tag)``; the key id is
stored beside it so keys can be rotated (decrypt with any key in the ring,
encrypt with the first).  The payment id is bound as associated data, so a
ciphertext copied onto another payment does not decrypt.
"""
import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateways.base import Card

BRANDS = (("4", "visa"), ("34", "amex"), ("37", "amex"), ("5", "mastercard"), ("2", "mastercard"),
          ("6", "discover"), ("35", "jcb"), ("36", "diners"), ("30", "diners"))


def brand(number: str) -> str:
    for prefix, name in BRANDS:
        if number.startswith(prefix):
            return name
    return "unknown"


class Vault:
    """Parameters:
      keyring: ``[(key_id, 32-byte key), ...]``; the first encrypts.
      fingerprint_key: HMAC key for fingerprints (same card → same fingerprint, not reversible).
    """

    def __init__(self, keyring, fingerprint_key: str):
        self._keys = {kid: AESGCM(key) for kid, key in keyring}
        self._active = keyring[0][0]
        self._fingerprint_key = fingerprint_key.encode()

    @classmethod
    def from_config(cls, config):
        return cls(config.vault_keyring(), config.fingerprint_key)

    @property
    def active_key_id(self):
        return self._active

    def encrypt(self, secret: str, bound_to: str) -> str:
        nonce = os.urandom(12)
        sealed = self._keys[self._active].encrypt(nonce, secret.encode(), bound_to.encode())
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, key_id: str, bound_to: str) -> str:
        raw = base64.b64decode(token)
        return self._keys[key_id].decrypt(raw[:12], raw[12:], bound_to.encode()).decode()

    def fingerprint(self, number: str) -> str:
        return hmac.new(self._fingerprint_key, number.encode(), hashlib.sha256).hexdigest()[:32]

    def seal_card(self, payment_id: str, number: str, exp_month: int, exp_year: int, cvc: str | None) -> dict:
        """The payment columns that describe a card, with nothing in clear but last4."""
        return {
            "card_brand": brand(number),
            "card_last4": number[-4:],
            "card_exp_month": exp_month,
            "card_exp_year": exp_year,
            "card_fingerprint": self.fingerprint(number),
            "card_key_id": self._active,
            "card_ciphertext": self.encrypt(number, payment_id),
            "cvc_ciphertext": self.encrypt(cvc, payment_id + ":cvc") if cvc else None,
        }

    def open_card(self, payment) -> Card:
        """The card of ``payment`` (a ``store.models.Payment``), decrypted for one gateway call."""
        cvc = (self.decrypt(payment.cvc_ciphertext, payment.card_key_id, payment.id + ":cvc")
               if payment.cvc_ciphertext else None)
        return Card(number=self.decrypt(payment.card_ciphertext, payment.card_key_id, payment.id),
                    exp_month=payment.card_exp_month, exp_year=payment.card_exp_year, cvc=cvc)
