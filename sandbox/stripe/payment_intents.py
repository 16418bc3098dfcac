"""PaymentIntents before money moves: creation (with or without its PaymentMethod), confirmation, updates."""

import secrets
import time

from sandbox.stripe.payment_methods import card_payment_method, chargeable
from sandbox.stripe.wire import (
    amount_param,
    choice_param,
    get_param,
    invalid,
    merge_metadata,
    new_id,
    reject_unknown,
    unexpected_state,
)

CURRENCIES = frozenset(
    [
        "aud",
        "brl",
        "cad",
        "chf",
        "cny",
        "czk",
        "dkk",
        "eur",
        "gbp",
        "hkd",
        "huf",
        "idr",
        "ils",
        "inr",
        "isk",
        "jpy",
        "krw",
        "mxn",
        "myr",
        "nok",
        "nzd",
        "php",
        "pln",
        "ron",
        "sek",
        "sgd",
        "thb",
        "try",
        "twd",
        "usd",
        "zar",
    ]
)
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation")


#: ``payment_method_options[card][request_three_d_secure]``: ``any`` and ``challenge`` ask for a challenge
#: whatever the card (the sandbox's issuers support 3-D Secure on every card).
REQUEST_3DS = ("automatic", "any", "challenge")


def _confirmation(params):
    """The confirmation's parameters: ``{"return_url", "error_on_requires_action", "request_3ds"}`` for
    ``authorize``."""
    get_param(params, "off_session", bool)
    options = get_param(params, "payment_method_options", dict) or {}
    reject_unknown(options, {"card"}, "payment_method_options")
    card = options.get("card") or {}
    if not isinstance(card, dict):
        raise invalid("Invalid object", "payment_method_options[card]")
    reject_unknown(card, {"request_three_d_secure"}, "payment_method_options[card]")
    request = choice_param(card, "request_three_d_secure", REQUEST_3DS)
    return {
        "return_url": get_param(params, "return_url"),
        "error_on_requires_action": bool(get_param(params, "error_on_requires_action", bool)),
        "request_3ds": request in ("any", "challenge"),
    }


def _no_payment_method():
    return invalid(
        "You cannot confirm this PaymentIntent because it's missing a payment method.",
        "payment_method",
        "payment_intent_unexpected_state",
    )


class PaymentIntents:
    """``/v1/payment_intents``: create, confirm and update; confirming hands over to ``charges``."""

    def __init__(self, objects, charges):
        self.objects = objects
        self.charges = charges

    def create(self, params, key):
        """A PaymentIntent, confirmed at once with ``confirm=true``.

        The card comes as ``payment_method`` (an existing PaymentMethod's id, or a test one such as
        ``pm_card_visa``: ``payment_methods.chargeable``) or as ``payment_method_data`` (the hash
        ``POST /v1/payment_methods`` takes), from which the PaymentMethod is created with the
        PaymentIntent, in the same request: then ``payment_method`` of the answer is the new
        PaymentMethod's id.
        """
        reject_unknown(
            params,
            {
                "amount",
                "currency",
                "payment_method",
                "payment_method_data",
                "payment_method_types",
                "confirm",
                "capture_method",
                "description",
                "metadata",
                "error_on_requires_action",
                "off_session",
                "return_url",
                "payment_method_options",
            },
        )
        amount = amount_param(params, "amount", required=True)
        currency = get_param(params, "currency", required=True).lower()
        if currency not in CURRENCIES:
            raise invalid(
                f"Invalid currency: {currency}. This sandbox supports: {', '.join(sorted(CURRENCIES))}.",
                "currency",
            )
        types = get_param(params, "payment_method_types", list) or ["card"]
        if types != ["card"]:
            raise invalid("This sandbox only supports payment_method_types of card.", "payment_method_types")
        confirmation = _confirmation(params)
        confirm = get_param(params, "confirm", bool)
        payment_method = get_param(params, "payment_method")
        data = get_param(params, "payment_method_data", dict)
        if payment_method and data is not None:
            raise invalid(
                "You cannot specify both payment_method and payment_method_data.", "payment_method_data"
            )
        if confirm and not payment_method and data is None:
            raise _no_payment_method()
        pi = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": currency,
            "capture_method": choice_param(params, "capture_method", CAPTURE_METHODS) or "automatic_async",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "livemode": False,
            "description": get_param(params, "description"),
            "canceled_at": None,
            "cancellation_reason": None,
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": merge_metadata({}, get_param(params, "metadata", dict)),
            "next_action": None,
            "payment_method": payment_method,
            "payment_method_types": types,
            "status": "requires_confirmation" if payment_method else "requires_payment_method",
        }
        pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(12)}"
        created = None
        if data is not None:  # after the PaymentIntent's own parameters; nothing is stored yet
            created = card_payment_method(data, "payment_method_data")
            pi.update(payment_method=created[0]["id"], status="requires_confirmation")
        with self.objects.lock:
            if created:
                pm, outcome = created
                self.objects.put(pm, outcome)
            elif payment_method:
                pi["payment_method"] = chargeable(self.objects, payment_method)
            self.objects.put(pi)
            return self.charges.authorize(pi, key, **confirmation) if confirm else pi

    def confirm(self, pi_id, params, key):
        reject_unknown(
            params,
            {
                "payment_method",
                "error_on_requires_action",
                "off_session",
                "return_url",
                "payment_method_options",
            },
        )
        payment_method = get_param(params, "payment_method")
        confirmation = _confirmation(params)
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id)
            if pi["status"] not in CONFIRMABLE:
                raise unexpected_state(pi, "confirmed", CONFIRMABLE)
            payment_method = payment_method or pi["payment_method"]
            if not payment_method:
                raise _no_payment_method()
            payment_method = chargeable(self.objects, payment_method)
            return self.charges.authorize({**pi, "payment_method": payment_method}, key, **confirmation)

    def update(self, pi_id, params, key):
        reject_unknown(params, {"description", "metadata"})
        description = get_param(params, "description")
        update = get_param(params, "metadata", dict)
        with self.objects.lock:
            pi = self.objects.get("payment_intent", pi_id)
            changes = {"metadata": merge_metadata(pi["metadata"], update)}
            if description is not None:
                changes["description"] = description or None  # "" unsets, as at Stripe
            return self.objects.put({**pi, **changes})
