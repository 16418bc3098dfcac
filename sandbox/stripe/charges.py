"""Money on a PaymentIntent: the issuer's authorization (its charge), capture and cancellation.

Every operation runs under the object store's lock and returns the PaymentIntent, or raises ``ApiError``.
"""

import time

from sandbox.cards import Outcome
from sandbox.stripe.challenge import challenge
from sandbox.stripe.payment_methods import decline_error
from sandbox.stripe.wire import (
    ApiError,
    amount_param,
    choice_param,
    invalid,
    new_id,
    reject_unknown,
    unexpected_state,
)

CANCELABLE = (
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
)


class Charges:
    """Moves PaymentIntents on, records what moved (``emit``) and announces it."""

    def __init__(self, objects, emit):
        self.objects = objects
        self.emit = emit

    def capture(self, pi_id, params, key):
        reject_unknown(params, {"amount_to_capture"})
        amount = amount_param(params, "amount_to_capture")
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id)
            if pi["status"] != "requires_capture":
                raise unexpected_state(pi, "captured", ("requires_capture",))
            capturable = pi["amount_capturable"]
            amount = capturable if amount is None else amount
            if amount > capturable:
                raise invalid(
                    f"The amount to capture ({amount}) must be less than or equal to the "
                    f"amount capturable ({capturable}).",
                    "amount_to_capture",
                    "amount_too_large",
                    saved=True,
                )
            charge = self.objects.get("charge", pi["latest_charge"])
            self.objects.put({**charge, "captured": True, "amount_captured": amount})
            pi = self.objects.put(
                {**pi, "status": "succeeded", "amount_capturable": 0, "amount_received": amount}
            )
            self.emit.record("capture", pi, amount, key)
            self.emit.notify("payment_intent.succeeded", pi, key)
            return pi

    def cancel(self, pi_id, params, key):
        reject_unknown(params, {"cancellation_reason"})
        reason = choice_param(
            params, "cancellation_reason", ("duplicate", "fraudulent", "requested_by_customer", "abandoned")
        )
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id)
            if pi["status"] not in CANCELABLE:
                raise unexpected_state(pi, "canceled", CANCELABLE)
            held = pi["amount_capturable"]
            pi = self.objects.put(
                {
                    **pi,
                    "status": "canceled",
                    "amount_capturable": 0,
                    "canceled_at": int(time.time()),
                    "cancellation_reason": reason,
                }
            )
            if held:
                self.emit.record("void", pi, held, key)
            self.emit.notify("payment_intent.canceled", pi, key)
            return pi

    def authorize(self, pi, key, return_url=None, error_on_requires_action=False, request_3ds=False):
        """Ask the issuer (the test card) and move ``pi`` on; a decline raises a saved 402.  Lock held.

        A card whose issuer asks for 3-D Secure first (or any card with ``request_3ds``: the merchant
        asked) leaves ``pi`` in ``requires_action`` with the challenge's URL (``next_action``), or, with
        ``error_on_requires_action``, declines it with ``authentication_required`` as Stripe does.
        """
        outcome = self.objects.outcome(pi["payment_method"])
        challenged = outcome.authentication or request_3ds
        if challenged and error_on_requires_action:
            outcome = Outcome(False, "authentication_required")
        elif challenged:
            pi = self.objects.put(
                {**pi, "status": "requires_action", "next_action": challenge(pi["id"], return_url)}
            )
            self.emit.notify("payment_intent.requires_action", pi, key)
            return pi
        pi, error = self.answer(pi, key, outcome)
        if error is not None:
            raise ApiError(402, {**error, "payment_intent": pi}, saved=True)
        return pi

    def authenticate(self, pi_id, completed):
        """The customer's answer to the 3-D Secure challenge of PaymentIntent ``pi_id``: the issuer
        then answers as for any card (``completed``), or the PaymentIntent asks for another payment method.

        Returns:
          The PaymentIntent, moved on.

        Raises:
          ApiError: no such PaymentIntent (404), or it waits for no challenge (400).
        """
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id)
            if pi["status"] != "requires_action":
                raise unexpected_state(pi, "authenticated", ("requires_action",))
            if completed:
                return self.answer(pi, None, self.objects.outcome(pi["payment_method"]))[0]
            error = {
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": (
                    "The provided PaymentMethod has failed authentication. You can provide "
                    "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                    "PaymentIntent again."
                ),
                "payment_method": self.objects.get("payment_method", pi["payment_method"]),
            }
            pi = self.objects.put(
                {**pi, "status": "requires_payment_method", "next_action": None, "last_payment_error": error}
            )
            self.emit.notify("payment_intent.payment_failed", pi, None)
            return pi

    def answer(self, pi, key, outcome):
        """The issuer's ``outcome`` on ``pi``: its charge, the PaymentIntent moved on and announced.
        Lock held.

        Returns:
          ``(pi, error)``: ``error`` is the decline's ``card_error`` object, None when approved.
        """
        manual = pi["capture_method"] == "manual"
        captured = outcome.approved and not manual
        card = self.objects.get("payment_method", pi["payment_method"])["card"]
        shown = ("brand", "country", "exp_month", "exp_year", "funding", "last4")
        charge = self.objects.put(
            {
                "id": new_id("ch"),
                "object": "charge",
                "amount": pi["amount"],
                "amount_captured": pi["amount"] if captured else 0,
                "amount_refunded": 0,
                "captured": captured,
                "currency": pi["currency"],
                "created": int(time.time()),
                "description": pi["description"],
                "disputed": False,
                "livemode": False,
                "metadata": pi["metadata"],
                "paid": outcome.approved,
                "payment_intent": pi["id"],
                "payment_method": pi["payment_method"],
                "payment_method_details": {
                    "type": "card",
                    "card": {key: card[key] for key in shown},
                },
                "refunded": False,
                "status": "succeeded" if outcome.approved else "failed",
                "failure_code": outcome.decline_code,
                "outcome": {
                    "type": "authorized" if outcome.approved else "issuer_declined",
                    "network_status": "approved_by_network" if outcome.approved else "declined_by_network",
                },
            }
        )
        if not outcome.approved:
            error = decline_error(
                outcome.decline_code, charge["id"], self.objects.get("payment_method", pi["payment_method"])
            )
            pi = self.objects.put(
                {
                    **pi,
                    "status": "requires_payment_method",
                    "next_action": None,
                    "latest_charge": charge["id"],
                    "last_payment_error": error,
                }
            )
            self.emit.notify("payment_intent.payment_failed", pi, key)
            return pi, error
        pi = self.objects.put(
            {
                **pi,
                "status": "requires_capture" if manual else "succeeded",
                "amount_capturable": pi["amount"] if manual else 0,
                "amount_received": 0 if manual else pi["amount"],
                "next_action": None,
                "latest_charge": charge["id"],
                "last_payment_error": None,
            }
        )
        self.emit.record("authorization", pi, pi["amount"], key)
        if manual:
            self.emit.notify("payment_intent.amount_capturable_updated", pi, key)
        else:
            self.emit.record("capture", pi, pi["amount"], key)
            self.emit.notify("payment_intent.succeeded", pi, key)
        return pi, None
