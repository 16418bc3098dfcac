"""Card vault: AES-GCM with a key ring, keyed fingerprints, ciphertext bound to its payment."""
import base64
import os

import pytest
from cryptography.exceptions import InvalidTag

from store.vault import Vault

OLD = ("k1", os.urandom(32))
NEW = ("k2", os.urandom(32))


def test_seal_and_open_a_card():
    vault = Vault([OLD], "fp-key")
    cols = vault.seal_card("pay_1", "4242424242424242", 12, 2031, "123")
    assert cols["card_last4"] == "4242" and cols["card_brand"] == "visa" and cols["card_key_id"] == "k1"
    assert "4242424242424242" not in str(cols) and "123" not in (cols["cvc_ciphertext"] or "")

    class Row:
        id = "pay_1"
        card_exp_month, card_exp_year = 12, 2031
    row = Row()
    row.__dict__.update(cols)
    card = vault.open_card(row)
    assert (card.number, card.cvc) == ("4242424242424242", "123")
    assert "4242424242424242" not in repr(card) and "123" not in repr(card)


def test_rotation_decrypts_old_keys_and_encrypts_with_the_first():
    old_token = Vault([OLD], "fp").encrypt("4242424242424242", "pay_1")
    rotated = Vault([NEW, OLD], "fp")
    assert rotated.decrypt(old_token, "k1", "pay_1") == "4242424242424242"
    assert rotated.active_key_id == "k2"


def test_ciphertext_is_bound_to_its_payment():
    vault = Vault([OLD], "fp")
    token = vault.encrypt("4242424242424242", "pay_1")
    with pytest.raises(InvalidTag):
        vault.decrypt(token, "k1", "pay_2")


def test_fingerprint_is_stable_keyed_and_not_the_number():
    a, b = Vault([OLD], "key-a"), Vault([NEW], "key-b")
    assert a.fingerprint("4242424242424242") == Vault([NEW], "key-a").fingerprint("4242424242424242")
    assert a.fingerprint("4242424242424242") != b.fingerprint("4242424242424242")
    assert "4242" not in base64.b64encode(a.fingerprint("4242424242424242").encode()).decode()
