"""``store.tokens``: what the sweeper purges of card tokens, and what it keeps."""

import datetime
import types

import orjson
import pytest

from store import tokens
from store.models import CardToken, utcnow
from store.vault import Vault

CARD = ("4242424242424242", 12, 2031, "123")


@pytest.fixture
def vault(config):
    return Vault.from_config(config)


def new_token(vault, merchant):
    body = tokens.create(merchant, False, lambda token_id: vault.seal_card(token_id, *CARD), 900)
    return CardToken.get_by_id(orjson.loads(body)["id"])


def test_expired_tokens_go_used_or_not_and_no_used_token_keeps_a_cvc(db, vault, merchant):
    expired, live, used, used_expired = (new_token(vault, merchant) for _ in range(4))
    paid_with = tokens.consume(merchant, False, used.id)  # the columns a payment takes
    tokens.consume(merchant, False, used_expired.id)
    # consume clears the CVC; the purge erases any a used token still holds (written back here)
    CardToken.update(cvc_ciphertext=used.cvc_ciphertext).where(CardToken.id == used.id).execute()
    past = utcnow() - datetime.timedelta(seconds=1)
    CardToken.update(expires_at=past).where(CardToken.id.in_([expired.id, used_expired.id])).execute()

    deleted, erased = tokens.purge_expired()

    assert deleted >= 2 and erased >= 1
    assert not CardToken.select().where(CardToken.id.in_([expired.id, used_expired.id])).exists()
    kept = CardToken.get_by_id(live.id)  # not expired yet: it still pays
    assert (kept.card_ciphertext, kept.cvc_ciphertext) == (live.card_ciphertext, live.cvc_ciphertext)
    spent = CardToken.get_by_id(used.id)  # still refused as used until it expires
    assert spent.cvc_ciphertext is None and spent.used_at is not None
    payment = types.SimpleNamespace(id="pay_x", **paid_with)  # the payment's own copy still opens
    card = vault.open_card(payment)
    assert card is not None and (card.number, card.exp_month, card.exp_year, card.cvc) == CARD
    assert tokens.purge_expired() == (0, 0)
