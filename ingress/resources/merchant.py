"""``/merchant``: the credential's merchant and its settings (today the JWT's ``sub``)."""

from ingress import validation
from ingress.resources.common import answer_json, unit_of_work
from store import merchants


class Merchant:
    """``GET /merchant`` and ``PATCH /merchant`` (every field checked, written in one unit of work)."""

    actions = {"GET": "merchant.read", "PATCH": "merchant.update"}

    def __init__(self, rules: merchants.RulesCache):
        self.rules = rules

    def on_get(self, req, resp):
        answer_json(resp, merchants.get(req.context.merchant_id))

    def on_patch(self, req, resp):
        merchant_id = req.context.merchant_id
        changes = validation.merchant_changes(req.context.body)
        with unit_of_work(req):
            body = merchants.update(merchant_id, changes)
        self.rules.forget(merchant_id)  # this process routes the merchant's next payment by the new rules
        answer_json(resp, body)
