"""``/merchant``: the credential's merchant and its settings (today the JWT's ``sub``)."""

from ingress import validation
from ingress.resources.common import answer_json, unit_of_work
from shared.ttlcache import TTLCache
from store import merchants


class Merchant:
    """``GET /merchant``, ``PATCH /merchant`` (every field checked, written in one unit of work) and
    ``DELETE /merchant`` (refused while money is in flight)."""

    actions = {"GET": "merchant.read", "PATCH": "merchant.update", "DELETE": "merchant.delete"}

    def __init__(
        self,
        rules: merchants.RulesCache,
        deleted: TTLCache[str, bool],
        origins: TTLCache[str, frozenset[str]],
        production: bool,
    ):
        """Parameters:
        origins: ``store.merchants.checkout_origins`` per merchant, cached (``ingress.checkout``).
        production: Check the settings as production does (https origins only).
        """
        self.rules = rules
        self.deleted = deleted
        self.origins = origins
        self.production = production

    def on_get(self, req, resp):
        answer_json(resp, merchants.get(req.context.merchant_id))

    def on_patch(self, req, resp):
        merchant_id = req.context.merchant_id
        changes = validation.merchant_changes(req.context.body, self.production)
        with unit_of_work(req):
            body = merchants.update(merchant_id, changes)
        self.rules.forget(merchant_id)  # this process routes the merchant's next payment by the new rules
        self.origins.forget(merchant_id)  # and answers its next browser request by its new origins
        answer_json(resp, body)

    def on_delete(self, req, resp):
        with unit_of_work(req):
            answer_json(resp, merchants.delete(req.context.merchant_id))
        self.deleted.forget(req.context.merchant_id)  # refused at once here, within the TTL elsewhere
