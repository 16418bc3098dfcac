"""Card vault: HPKE envelope encryption to a public key ring, legacy AES-GCM records, keyed fingerprints."""

import base64
import contextlib
import io
import os

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import cli
from shared.config import Config, ConfigError
from store.vault import Keyring, Vault, VaultKeyMissing

PAN, CVC = "4242424242424242", "123"
OLD = ("k1", os.urandom(32))


def pair(key_id):
    """(public entry, private entry) of a fresh key pair, as `paywave vault-keygen` prints them."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        cli.main(["vault-keygen", "--key-id", key_id])
    printed = dict(line.split("=", 1) for line in stdout.getvalue().splitlines() if "=" in line)
    return printed["PAYWAVE_VAULT_PUBLIC_KEYS"], printed["PAYWAVE_VAULT_PRIVATE_KEYS"]


A, B = pair("a"), pair("b")


def vault(public=(), private=(), legacy=(), fingerprint_key="fp"):
    config = Config(
        vault_public_keys=",".join(public),
        vault_private_keys=",".join(private),
        vault_keys=",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in legacy),
        fingerprint_key=fingerprint_key,
    )
    return Vault.from_config(config)


class Row:
    """The card columns of a payment row."""

    def __init__(self, payment_id, cols):
        self.id = payment_id
        self.card_token = None
        self.__dict__.update(cols)


def test_the_public_key_seals_but_cannot_open():
    ingress = vault(public=[A[0]])
    cols = ingress.seal_card("pay_1", PAN, 12, 2031, CVC)
    assert cols["card_last4"] == "4242" and cols["card_brand"] == "visa" and cols["card_key_id"] == "a"
    assert PAN not in str(cols) and CVC not in (cols["cvc_ciphertext"] or "")
    with pytest.raises(VaultKeyMissing):
        ingress.open_card(Row("pay_1", cols))
    card = vault(private=[A[1]]).open_card(Row("pay_1", cols))
    assert (card.number, card.cvc) == (PAN, CVC)
    assert PAN not in repr(card) and CVC not in repr(card)


def test_the_private_ring_opens_every_key_and_the_first_public_key_seals():
    old = vault(public=[A[0]]).seal_card("pay_1", PAN, 12, 2031, None)
    new = vault(public=[B[0], A[0]]).seal_card("pay_2", "5555555555554444", 12, 2031, None)
    assert (old["card_key_id"], new["card_key_id"]) == ("a", "b")
    ring = vault(private=[B[1], A[1]])
    assert ring.open_card(Row("pay_1", old)).number == PAN
    assert ring.open_card(Row("pay_2", new)).number == "5555555555554444"
    with pytest.raises(VaultKeyMissing):
        vault(private=[A[1]]).open_card(Row("pay_2", new))


def test_ciphertext_is_bound_to_its_payment_and_the_cvc_to_its_slot():
    cols = vault(public=[A[0]]).seal_card("pay_1", PAN, 12, 2031, CVC)
    opener = vault(private=[A[1]])
    with pytest.raises(InvalidTag):
        opener.open_card(Row("pay_2", cols))
    swapped = {**cols, "card_ciphertext": cols["cvc_ciphertext"]}  # the CVC is sealed for its own slot
    with pytest.raises(InvalidTag):
        opener.open_card(Row("pay_1", swapped))


def test_a_record_sealed_with_aes_gcm_before_envelope_encryption_still_opens():
    kid, key = OLD
    nonce = os.urandom(
        12
    )  # the old format: base64(nonce || ciphertext+tag), the payment id as associated data
    token = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, PAN.encode(), b"pay_1")).decode()
    row = Row(
        "pay_1",
        {
            "card_key_id": kid,
            "card_ciphertext": token,
            "cvc_ciphertext": None,
            "card_exp_month": 12,
            "card_exp_year": 2031,
        },
    )
    assert vault(private=[A[1]], legacy=[OLD]).open_card(row).number == PAN
    with pytest.raises(VaultKeyMissing):
        vault(private=[A[1]]).open_card(row)


def test_webhook_secrets_use_their_own_symmetric_ring():
    secrets = Keyring([OLD])
    token = secrets.encrypt("whsec_x", "we_1")
    assert secrets.decrypt(token, "k1", "we_1") == "whsec_x"
    with pytest.raises(InvalidTag):
        secrets.decrypt(token, "k1", "we_2")
    with pytest.raises(VaultKeyMissing):
        Keyring([]).encrypt("whsec_x", "we_1")


def test_fingerprint_is_stable_keyed_and_not_the_number():
    a, b = vault(public=[A[0]], fingerprint_key="key-a"), vault(public=[B[0]], fingerprint_key="key-b")
    assert a.fingerprint(PAN) == vault(public=[B[0]], fingerprint_key="key-a").fingerprint(PAN)
    assert a.fingerprint(PAN) != b.fingerprint(PAN)
    assert "4242" not in base64.b64encode(a.fingerprint(PAN).encode()).decode()


def test_config_takes_an_ingress_without_private_keys_and_refuses_the_dev_pair_in_production():
    ingress = Config.from_env({"PAYWAVE_VAULT_PUBLIC_KEYS": A[0], "PAYWAVE_VAULT_PRIVATE_KEYS": ""})
    assert ingress.keyring("vault_private_keys") == []
    with pytest.raises(ConfigError) as refused:
        Config.from_env({"PAYWAVE_ENV": "production"})
    assert "PAYWAVE_VAULT_PRIVATE_KEYS" in str(refused.value) and "PAYWAVE_VAULT_PUBLIC_KEYS" in str(
        refused.value
    )
    with pytest.raises(ConfigError) as bad:
        Config.from_env({"PAYWAVE_VAULT_PRIVATE_KEYS": "a:" + base64.b64encode(b"short").decode()})
    assert "PAYWAVE_VAULT_PRIVATE_KEYS" in str(bad.value)
    with pytest.raises(ConfigError) as shadowed:
        Config.from_env({"PAYWAVE_VAULT_KEYS": A[1], "PAYWAVE_VAULT_PRIVATE_KEYS": A[1]})
    assert "also name vault key pairs" in str(shadowed.value)
