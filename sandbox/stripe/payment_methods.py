"""Card PaymentMethods: the card checks Stripe makes, the issuer's answer (``sandbox.cards``) and its decline
errors; Stripe's test PaymentMethods (``pm_card_visa``…) stand for its test cards."""

import datetime
import time

from sandbox import cards
from sandbox.stripe.wire import ApiError, get_param, invalid, merge_metadata, new_id, reject_unknown
from shared.cards import luhn_ok

# Stripe reports these declines under their own error code, every other one as card_declined.
OWN_ERROR_CODES = frozenset({"expired_card", "incorrect_cvc", "processing_error", "authentication_required"})
DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}
ADVICE_CODES = {
    "lost_card": "do_not_try_again",
    "stolen_card": "do_not_try_again",
    "fraudulent": "do_not_try_again",
    "insufficient_funds": "try_again_later",
    "processing_error": "try_again_later",
}


#: Stripe's test PaymentMethods and the test card each stands for (docs.stripe.com/testing): a PaymentIntent
#: given one charges a new PaymentMethod of that card, as Stripe does.
TEST_PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_radarBlock": "4100000000000019",
    "pm_card_authenticationRequired": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
}


def _card_error(code, message, param):
    return ApiError(402, {"type": "card_error", "code": code, "message": message, "param": param})


def decline_error(code, charge_id, payment_method):
    """The ``card_error`` object for an issuer decline ``code``."""
    error = {
        "type": "card_error",
        "code": code if code in OWN_ERROR_CODES else "card_declined",
        "decline_code": code,
        "message": DECLINE_MESSAGES.get(code, "Your card was declined."),
        "charge": charge_id,
        "payment_method": payment_method,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
    }
    if code in ADVICE_CODES:
        error["advice_code"] = ADVICE_CODES[code]
    return error


def card_payment_method(params, prefix=None):
    """A new card PaymentMethod from ``params`` (``type``, ``card``, ``metadata``) and the issuer's
    outcome for its card; nothing is stored.

    Parameters:
      prefix: Where the hash sits in the request, for error params (``payment_method_data``
        when a PaymentIntent creates its PaymentMethod).

    Raises:
      ApiError: 400 for a malformed hash, 402 ``card_error`` for card data an issuer would refuse.
    """

    def name(*path):  # a parameter's name as the request spells it: card[number]
        first, *rest = (prefix, *path) if prefix else path
        return first + "".join(f"[{part}]" for part in rest)

    reject_unknown(params, {"type", "card", "metadata"}, prefix)
    if get_param(params, "type", required=True, label=name("type")) != "card":
        raise invalid("This sandbox only creates payment methods of type card.", name("type"))
    card = get_param(params, "card", dict, required=True, label=name("card"))
    reject_unknown(card, {"number", "exp_month", "exp_year", "cvc"}, name("card"))
    number = get_param(card, "number", required=True, label=name("card", "number"))
    month = get_param(card, "exp_month", int, required=True, label=name("card", "exp_month"))
    year = get_param(card, "exp_year", int, required=True, label=name("card", "exp_year"))
    cvc = get_param(card, "cvc", label=name("card", "cvc"))
    metadata = merge_metadata({}, get_param(params, "metadata", dict, label=name("metadata")))
    today = datetime.date.today()
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        raise _card_error("incorrect_number", "Your card number is incorrect.", name("card", "number"))
    if not 1 <= month <= 12:
        raise _card_error(
            "invalid_expiry_month", "Your card's expiration month is invalid.", name("card", "exp_month")
        )
    if (year, month) < (today.year, today.month):
        raise _card_error(
            "invalid_expiry_year", "Your card's expiration year is invalid.", name("card", "exp_year")
        )
    if cvc is not None and not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", name("card", "cvc"))
    outcome = cards.outcome(number)
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "type": "card",
        "created": int(time.time()),
        "livemode": False,
        "customer": None,
        "metadata": metadata,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": outcome.brand,
            "last4": number[-4:],
            "exp_month": month,
            "exp_year": year,
            "funding": outcome.funding,
            "country": outcome.country,
            "checks": {"cvc_check": "unchecked" if cvc else None},
        },
    }
    return pm, outcome


def chargeable(objects, payment_method_id):
    """The id of the PaymentMethod a PaymentIntent charges when given ``payment_method_id``: one of the
    account's, or a new one of the test card a test PaymentMethod stands for (``TEST_PAYMENT_METHODS``).
    Call with ``objects.lock`` held.

    Raises:
      ApiError: 400 ``resource_missing`` naming ``payment_method``: no such PaymentMethod.
    """
    number = TEST_PAYMENT_METHODS.get(payment_method_id)
    if number is None:
        return objects.get("payment_method", payment_method_id, "payment_method", 400)["id"]
    expiry = {"exp_month": "12", "exp_year": str(datetime.date.today().year + 1)}
    pm, outcome = card_payment_method({"type": "card", "card": {"number": number, **expiry}})
    objects.put(pm, outcome)
    return pm["id"]


class PaymentMethods:
    """``POST /v1/payment_methods``: the issuer's outcome is kept beside the object, the card number never."""

    def __init__(self, objects):
        self.objects = objects

    def create(self, params, key):
        pm, outcome = card_payment_method(params)
        with self.objects.lock:
            return self.objects.put(pm, outcome)
