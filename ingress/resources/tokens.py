"""``POST /tokens``: a card sealed in the vault for one later payment, by a publishable key from a browser, so
the card number never reaches the merchant's server."""

import falcon

from ingress import validation
from ingress.resources.common import answer_json, unit_of_work
from store import tokens


def token_card(body: dict):
    """``POST /tokens``'s body checked: ``{card: {number, exp_month, exp_year, cvc}}``.

    Returns:
      ``(number, exp_month, exp_year, cvc)``.

    Raises:
      ValidationFailed: naming every bad field (never echoing the number).
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("card",))
    card = validation.card(errors, body.get("card"), "card")
    errors.raise_if_any()
    return card


class Collection:
    """``POST /tokens``: 201 with the token object (brand, last four digits, expiry, fingerprint)."""

    actions = {"POST": "tokens.create"}

    def __init__(self, config, vault):
        self.ttl_seconds = config.token_ttl_seconds
        self.vault = vault

    def on_post(self, req, resp):
        card = token_card(req.context.body)
        principal = req.context.principal
        with unit_of_work(req):
            body = tokens.create(
                principal.merchant_id,
                principal.livemode,
                lambda token_id: self.vault.seal_card(token_id, *card),
                self.ttl_seconds,
            )
        answer_json(resp, body, 201)


def routes(app: falcon.App, config, vault) -> None:
    """Add ``/tokens`` to ``app`` (``config``: ``token_ttl_seconds``)."""
    app.add_route("/tokens", Collection(config, vault))
