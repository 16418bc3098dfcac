"""Money back: refunds of a captured charge, and the disputes a customer opens (``/_sandbox/disputes``)."""

import time

from sandbox.stripe.wire import (
    amount_param,
    choice_param,
    get_param,
    invalid,
    merge_metadata,
    new_id,
    reject_unknown,
)


class Refunds:
    """``/v1/refunds`` and disputes, on the charges in ``objects``; what moved goes through ``emit``."""

    def __init__(self, objects, emit):
        self.objects = objects
        self.emit = emit

    def create(self, params, key):
        reject_unknown(params, {"payment_intent", "charge", "amount", "metadata", "reason"})
        amount = amount_param(params, "amount")
        reason = choice_param(params, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
        metadata = merge_metadata({}, get_param(params, "metadata", dict))
        pi_id, charge_id = get_param(params, "payment_intent"), get_param(params, "charge")
        if bool(pi_id) == bool(charge_id):
            raise invalid("Provide exactly one of payment_intent or charge.", "payment_intent")
        with self.objects.lock:
            if pi_id:
                pi = self.objects.get("payment_intent", pi_id, "payment_intent", 400)
                charge = self.objects.find(pi["latest_charge"])
            else:
                charge = self.objects.get("charge", charge_id, "charge", 400)
                pi = self.objects.get("payment_intent", charge["payment_intent"])
            if charge is None or not charge["captured"]:
                raise invalid(
                    "This payment does not have a captured charge to refund.",
                    "payment_intent" if pi_id else "charge",
                    "charge_not_refundable",
                    saved=True,
                )
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            if remaining <= 0:
                raise invalid(
                    f"Charge {charge['id']} has already been refunded.",
                    "charge",
                    "charge_already_refunded",
                    saved=True,
                )
            amount = remaining if amount is None else amount
            if amount > remaining:
                raise invalid(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                    "amount",
                    "amount_too_large",
                    saved=True,
                )
            refunded = charge["amount_refunded"] + amount
            charge = self.objects.put(
                {**charge, "amount_refunded": refunded, "refunded": refunded == charge["amount_captured"]}
            )
            refund = self.objects.put(
                {
                    "id": new_id("re"),
                    "object": "refund",
                    "amount": amount,
                    "charge": charge["id"],
                    "currency": charge["currency"],
                    "created": int(time.time()),
                    "metadata": metadata,
                    "payment_intent": pi["id"],
                    "reason": reason,
                    "status": "succeeded",
                }
            )
            self.emit.record_refund(refund, pi, key)
            self.emit.notify("refund.created", refund, key)
            self.emit.notify("charge.refunded", charge, key)
            return refund

    def dispute(self, pi_id):
        """The customer disputes the PaymentIntent's captured charge (sends ``charge.dispute.created``)."""
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id, "payment_intent", 400)
            if pi["status"] != "succeeded":
                raise invalid("Only a captured payment can be disputed.", "payment_intent")
            charge = self.objects.put({**self.objects.get("charge", pi["latest_charge"]), "disputed": True})
            dispute = self.objects.put(
                {
                    "id": new_id("dp"),
                    "object": "dispute",
                    "amount": charge["amount_captured"],
                    "charge": charge["id"],
                    "currency": charge["currency"],
                    "created": int(time.time()),
                    "livemode": False,
                    "metadata": {},
                    "payment_intent": pi["id"],
                    "reason": "fraudulent",
                    "status": "needs_response",
                    "is_charge_refundable": False,
                }
            )
            self.emit.notify("charge.dispute.created", dispute, None)
            return dispute
