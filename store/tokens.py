"""Card tokens: a card sealed by the vault on ``POST /tokens`` (a publishable key, from a browser), then paid
with once (``payment_method: {"type": "token"}``) before it expires.

The token's sealed columns are those of a payment (``Vault.seal_card``), bound to the token's id; the
payment paid with it takes them as they are and names the token (``Payment.card_token``), so the ingress,
which holds no private key, never opens a card to seal it again.  Using a token clears its sealed CVC: the
payment holds the only copy, which the worker erases after the first authorization attempt.  The sweeper
deletes every token once expired (``purge_expired``): a card tokenized and never paid with is kept no longer
than the token's lifetime.
"""

import datetime
from collections.abc import Callable

from shared.ids import new_id
from store import unit
from store.db import locked
from store.errors import FieldInvalid
from store.models import CardToken, utcnow
from store.objects import encode, timestamp

#: The field a bad token is reported on (``POST /payments``).
FIELD = "payment_method.token"
#: The sealed card columns a payment takes from its token.
CARD_COLUMNS = (
    "card_brand",
    "card_last4",
    "card_exp_month",
    "card_exp_year",
    "card_fingerprint",
    "card_key_id",
    "card_ciphertext",
    "cvc_ciphertext",
    "card_bin",
)


def token_object(token: CardToken) -> dict:
    """The API's token object: the card's brand, last four digits, expiry and fingerprint, never more."""
    return {
        "id": token.id,
        "object": "token",
        "livemode": token.livemode,
        "card": {
            "brand": token.card_brand,
            "last4": token.card_last4,
            "exp_month": token.card_exp_month,
            "exp_year": token.card_exp_year,
            "fingerprint": token.card_fingerprint,
        },
        "created_at": timestamp(token.created_at),
        "expires_at": timestamp(token.expires_at),
        "used": token.used_at is not None,
    }


def create(merchant_id: str, livemode: bool, sealed_for: Callable[[str], dict], ttl_seconds: int) -> bytes:
    """A new token, in the open unit of work (or one of its own), its answer saved in it.

    Parameters:
      sealed_for: ``f(token_id) -> dict`` of sealed card columns (``Vault.seal_card``).
      ttl_seconds: ``PAYWAVE_TOKEN_TTL_SECONDS``.

    Returns:
      The token object (JSON bytes).
    """
    token_id = new_id("tok")
    now = utcnow()
    with unit.joined() as work:
        token = CardToken.create(
            id=token_id,
            merchant_id=merchant_id,
            livemode=livemode,
            created_at=now,
            expires_at=now + datetime.timedelta(seconds=ttl_seconds),
            **sealed_for(token_id),
        )
        body = encode(token_object(token))
        work.respond(201, body)
    return body


def consume(merchant_id: str, livemode: bool, token_id: str) -> dict:
    """Mark the token used, in the open transaction (the paying payment's: a rollback gives it back).

    Returns:
      The payment columns of its card: the sealed ones as they are, and ``card_token``.

    Raises:
      FieldInvalid: on ``payment_method.token``: no such token for this merchant and mode, or it was used
        or has expired.
    """
    query = CardToken.select().where(
        (CardToken.id == token_id) & (CardToken.merchant_id == merchant_id) & (CardToken.livemode == livemode)
    )
    token = locked(query).first()
    now = utcnow()
    if token is None:
        raise FieldInvalid(FIELD, "no such token (tokens are per merchant and mode)")
    if token.used_at is not None:
        raise FieldInvalid(FIELD, "the token was used already: a token pays one payment")
    if token.expires_at <= now:
        raise FieldInvalid(FIELD, "the token has expired: create another with POST /tokens")
    columns = {column: getattr(token, column) for column in CARD_COLUMNS}
    token.used_at = now
    token.cvc_ciphertext = None  # the payment's copy is the only one left
    token.save()
    return {**columns, "card_token": token.id}


def purge_expired() -> tuple[int, int]:
    """Delete every token past its expiry, used or not (a payment paid with one holds its own copy of the
    sealed card and names the token only as the id its ciphertext is bound to), and erase any CVC a used
    token still holds.  Idempotent; run by the sweeper.

    Returns:
      ``(deleted, erased)``: how many tokens each.
    """
    deleted = CardToken.delete().where(CardToken.expires_at <= utcnow()).execute()
    erased = (
        CardToken.update(cvc_ciphertext=None)
        .where(CardToken.used_at.is_null(False) & CardToken.cvc_ciphertext.is_null(False))
        .execute()
    )
    return deleted, erased
