"""Stripe sandbox: an in-memory Stripe test account the real ``stripe`` SDK talks to unchanged.

It speaks Stripe's wire format: form-encoded bodies in bracket notation, secret-key
auth (Bearer, or Basic with the key as user), JSON objects carrying ``object``,
``livemode`` and ``created``, a ``Request-Id`` on every answer, ``Idempotency-Key``
replay and errors in the ``{"error": {...}}`` envelope.  Test cards (``cards.py``)
decide the issuer's answer; every money movement lands in the ledger.  With a
``webhook_url``, signed events are posted from a background thread.
"""
import base64
import datetime
import hashlib
import hmac
import logging
import os
import queue
import re
import secrets
import threading
import time
from urllib.parse import parse_qsl

import falcon
import orjson
import requests

from gateways.sandbox import cards
from gateways.sandbox.faults import FaultMiddleware, Faults, FaultsResource
from gateways.sandbox.idempotency import IdempotencyCache, InFlight, Mismatch
from gateways.sandbox.ledger import Ledger, LedgerResource
from shared.cards import luhn_ok

log = logging.getLogger(__name__)

API_VERSION = "2026-10-28.endive"  # reported when a client pins none
MAX_AMOUNT = 99_999_999  # Stripe's ceiling: eight digits of minor units
CURRENCIES = frozenset(
    "aud brl cad chf cny czk dkk eur gbp hkd huf idr ils inr isk jpy krw mxn myr nok nzd "
    "php pln ron sek sgd thb try twd usd zar".split())
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation",
              "requires_action", "processing")
EXPANDABLE = {
    "payment_intent": {"latest_charge", "payment_method"},
    "refund": {"charge", "payment_intent"},
}

# Stripe reports these declines under their own error code, every other one as card_declined.
OWN_ERROR_CODES = frozenset({"expired_card", "incorrect_cvc", "processing_error"})
DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}
ADVICE_CODES = {
    "lost_card": "do_not_try_again", "stolen_card": "do_not_try_again",
    "fraudulent": "do_not_try_again", "insufficient_funds": "try_again_later",
    "processing_error": "try_again_later",
}

_NAME = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_TEST_KEY = re.compile(r"[sr]k_test_\w{8,}")


def new_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


class ApiError(Exception):
    """An answer in Stripe's error envelope.

    Parameters:
      status: HTTP status.
      error: The ``error`` object (``type``, ``message``, ``code``, ``param``...).
      saved: True when the endpoint had begun executing: Stripe then saves the answer
        for idempotent replay.  Failed validation is not saved, so it can be fixed and retried.
    """

    def __init__(self, status, error, saved=False):
        super().__init__(error["message"])
        self.status = status
        self.body = {"error": error}
        self.saved = saved


def invalid(message, param=None, code=None, status=400, saved=False):
    error = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
    return ApiError(status, error, saved)


def parse_form(pairs):
    """Stripe's bracket notation into nested dicts.

    ``card[number]=4242`` gives ``{"card": {"number": "4242"}}``.  Arrays arrive as
    ``expand[]=a`` or, from the SDK, ``expand[0]=a``; both give ``{"expand": {"0": "a"}}``,
    which ``_param(..., list)`` reads as a list.

    Raises:
      ApiError: a malformed name, or one name used both as a value and as an object.
    """
    params = {}
    for name, value in pairs:
        match = _NAME.fullmatch(name)
        if match is None:
            raise invalid(f"Invalid parameter name: {name}", name)
        *path, last = [match[1], *_BRACKET.findall(match[2])]
        node = params
        for key in path:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise invalid(f"Invalid parameter: {name} mixes a value and an object", name)
        last = last or str(len(node))
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid parameter: {name} mixes a value and an object", name)
        node[last] = value
    return params


def _as_list(value):
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return None


_KINDS = {  # kind -> (name in messages, converter returning None when the value does not fit)
    str: ("string", lambda v: v if isinstance(v, str) else None),
    int: ("integer", lambda v: int(v) if isinstance(v, str) and re.fullmatch(r"-?\d{1,18}", v) else None),
    bool: ("boolean", lambda v: {"true": True, "false": False}.get(v) if isinstance(v, str) else None),
    dict: ("object", lambda v: v if isinstance(v, dict) else None),
    list: ("array", _as_list),
}


def _param(params, name, kind=str, *, required=False, label=None):
    """``params[name]`` checked and converted as Stripe does; None when absent."""
    label = label or name
    value = params.get(name)
    if value is None:
        if required:
            raise invalid(f"Missing required param: {label}.", label, "parameter_missing")
        return None
    kind_name, convert = _KINDS[kind]
    converted = convert(value)
    if converted is None:
        # Echo scalars only: a string parameter may be a card number.
        shown = f": {value}" if kind in (int, bool) and isinstance(value, str) else ""
        raise invalid(f"Invalid {kind_name}{shown}", label, f"parameter_invalid_{kind_name}")
    return converted


def _only(params, allowed, prefix=None):
    for name in params:
        if name not in allowed:
            name = f"{prefix}[{name}]" if prefix else name
            raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")


def _amount(params, name, required=False):
    amount = _param(params, name, int, required=required)
    if amount is not None and not 1 <= amount <= MAX_AMOUNT:
        code = "amount_too_small" if amount < 1 else "amount_too_large"
        raise invalid(f"Amount must be between 1 and {MAX_AMOUNT} (minor units).", name, code)
    return amount


def _choice(params, name, choices):
    value = _param(params, name)
    if value is not None and value not in choices:
        raise invalid(f"Invalid {name}: must be one of {', '.join(choices)}", name)
    return value


def _metadata(current, update):
    """Stripe's metadata update: keys merge in, an empty value removes its key."""
    if update is None:
        return current
    if not isinstance(update, dict) or not all(isinstance(v, str) for v in update.values()):
        raise invalid("Invalid metadata: values must be strings.", "metadata")
    merged = {k: v for k, v in {**current, **update}.items() if v != ""}
    if len(merged) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in merged.items()):
        raise invalid("Metadata holds up to 50 keys, of up to 40 characters, "
                      "with values of up to 500 characters.", "metadata")
    return merged


def _card_error(code, message, param):
    return ApiError(402, {"type": "card_error", "code": code, "message": message, "param": param})


def _decline(code, charge_id, payment_method):
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


def _confirmation(params):
    """The confirmation flags: accepted and checked, no test card asks for a customer action."""
    for flag in ("error_on_requires_action", "off_session"):
        _param(params, flag, bool)


def _no_payment_method():
    return invalid("You cannot confirm this PaymentIntent because it's missing a payment method.",
                   "payment_method", "payment_intent_unexpected_state")


def _unexpected_state(obj, action, allowed):
    return invalid(
        f"This PaymentIntent could not be {action} because it has a status of {obj['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}: "
        f"{', '.join(allowed)}.", code="payment_intent_unexpected_state", saved=True)


def _card_payment_method(params, prefix=None):
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

    _only(params, {"type", "card", "metadata"}, prefix)
    if _param(params, "type", required=True, label=name("type")) != "card":
        raise invalid("This sandbox only creates payment methods of type card.", name("type"))
    card = _param(params, "card", dict, required=True, label=name("card"))
    _only(card, {"number", "exp_month", "exp_year", "cvc"}, name("card"))
    number = _param(card, "number", required=True, label=name("card", "number"))
    month = _param(card, "exp_month", int, required=True, label=name("card", "exp_month"))
    year = _param(card, "exp_year", int, required=True, label=name("card", "exp_year"))
    cvc = _param(card, "cvc", label=name("card", "cvc"))
    metadata = _metadata({}, _param(params, "metadata", dict, label=name("metadata")))
    today = datetime.date.today()
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19 and luhn_ok(number)):
        raise _card_error("incorrect_number", "Your card number is incorrect.", name("card", "number"))
    if not 1 <= month <= 12:
        raise _card_error("invalid_expiry_month", "Your card's expiration month is invalid.",
                          name("card", "exp_month"))
    if (year, month) < (today.year, today.month):
        raise _card_error("invalid_expiry_year", "Your card's expiration year is invalid.",
                          name("card", "exp_year"))
    if cvc is not None and not (cvc.isascii() and cvc.isdigit() and len(cvc) in (3, 4)):
        raise _card_error("invalid_cvc", "Your card's security code is invalid.", name("card", "cvc"))
    outcome = cards.outcome(number)
    pm = {
        "id": new_id("pm"), "object": "payment_method", "type": "card",
        "created": int(time.time()), "livemode": False, "customer": None, "metadata": metadata,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {"brand": outcome.brand, "last4": number[-4:], "exp_month": month,
                 "exp_year": year, "funding": "credit", "country": "US",
                 "checks": {"cvc_check": "unchecked" if cvc else None}},
    }
    return pm, outcome


class Account:
    """One Stripe test account: its objects, the ledger of money moved, its events.

    Objects are immutable snapshots (a change stores a new dict), so an answer can be
    serialized outside the lock while other requests go on.  Every operation takes
    ``(params, idempotency_key)`` and returns the object, or raises ``ApiError``.
    """

    def __init__(self, ledger, webhooks=None):
        self.ledger = ledger
        self.webhooks = webhooks
        self._lock = threading.Lock()
        self._objects = {}
        self._outcomes = {}  # payment method id -> cards.Outcome: the card number is never kept

    def retrieve(self, kind, object_id, params, key):
        _only(params, ())
        with self._lock:
            return self._get(kind, object_id)

    def expand(self, obj, fields):
        with self._lock:
            return {**obj, **{f: self._objects.get(obj[f], obj[f]) for f in fields if obj.get(f)}}

    def create_payment_method(self, params, key):
        pm, outcome = _card_payment_method(params)
        with self._lock:
            self._outcomes[pm["id"]] = outcome
            return self._put(pm)

    def create_payment_intent(self, params, key):
        """A PaymentIntent, confirmed at once with ``confirm=true``.

        The card comes as ``payment_method`` (an existing PaymentMethod's id) or as
        ``payment_method_data`` (the hash ``POST /v1/payment_methods`` takes), from which the
        PaymentMethod is created with the PaymentIntent, in the same request: then
        ``payment_method`` of the answer is the new PaymentMethod's id.
        """
        _only(params, {"amount", "currency", "payment_method", "payment_method_data",
                       "payment_method_types", "confirm", "capture_method", "description", "metadata",
                       "error_on_requires_action", "off_session"})
        amount = _amount(params, "amount", required=True)
        currency = _param(params, "currency", required=True).lower()
        if currency not in CURRENCIES:
            raise invalid(f"Invalid currency: {currency}. This sandbox supports: "
                          f"{', '.join(sorted(CURRENCIES))}.", "currency")
        types = _param(params, "payment_method_types", list) or ["card"]
        if types != ["card"]:
            raise invalid("This sandbox only supports payment_method_types of card.",
                          "payment_method_types")
        _confirmation(params)
        confirm = _param(params, "confirm", bool)
        payment_method = _param(params, "payment_method")
        data = _param(params, "payment_method_data", dict)
        if payment_method and data is not None:
            raise invalid("You cannot specify both payment_method and payment_method_data.",
                          "payment_method_data")
        if confirm and not payment_method and data is None:
            raise _no_payment_method()
        pi = {
            "id": new_id("pi"), "object": "payment_intent", "amount": amount,
            "amount_capturable": 0, "amount_received": 0, "currency": currency,
            "capture_method": _choice(params, "capture_method", CAPTURE_METHODS) or "automatic_async",
            "confirmation_method": "automatic", "created": int(time.time()), "livemode": False,
            "description": _param(params, "description"), "canceled_at": None,
            "cancellation_reason": None, "last_payment_error": None, "latest_charge": None,
            "metadata": _metadata({}, _param(params, "metadata", dict)),
            "payment_method": payment_method, "payment_method_types": types,
            "status": "requires_confirmation" if payment_method else "requires_payment_method",
        }
        pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(12)}"
        created = None
        if data is not None:  # after the PaymentIntent's own parameters; nothing is stored yet
            created = _card_payment_method(data, "payment_method_data")
            pi.update(payment_method=created[0]["id"], status="requires_confirmation")
        with self._lock:
            if created:
                pm, outcome = created
                self._outcomes[pm["id"]] = outcome
                self._put(pm)
            elif payment_method:
                self._get("payment_method", payment_method, "payment_method", 400)
            self._put(pi)
            return self._confirm(pi, key) if confirm else pi

    def confirm_payment_intent(self, pi_id, params, key):
        _only(params, {"payment_method", "error_on_requires_action", "off_session"})
        payment_method = _param(params, "payment_method")
        _confirmation(params)
        with self._lock:
            pi = self._get("payment_intent", pi_id)
            allowed = ("requires_payment_method", "requires_confirmation")
            if pi["status"] not in allowed:
                raise _unexpected_state(pi, "confirmed", allowed)
            payment_method = payment_method or pi["payment_method"]
            if not payment_method:
                raise _no_payment_method()
            self._get("payment_method", payment_method, "payment_method", 400)
            return self._confirm({**pi, "payment_method": payment_method}, key)

    def update_payment_intent(self, pi_id, params, key):
        _only(params, {"description", "metadata"})
        description = _param(params, "description")
        update = _param(params, "metadata", dict)
        with self._lock:
            pi = self._get("payment_intent", pi_id)
            changes = {"metadata": _metadata(pi["metadata"], update)}
            if description is not None:
                changes["description"] = description or None  # "" unsets, as at Stripe
            return self._put({**pi, **changes})

    def capture_payment_intent(self, pi_id, params, key):
        _only(params, {"amount_to_capture"})
        amount = _amount(params, "amount_to_capture")
        with self._lock:
            pi = self._get("payment_intent", pi_id)
            if pi["status"] != "requires_capture":
                raise _unexpected_state(pi, "captured", ("requires_capture",))
            capturable = pi["amount_capturable"]
            amount = capturable if amount is None else amount
            if amount > capturable:
                raise invalid(f"The amount to capture ({amount}) must be less than or equal to the "
                              f"amount capturable ({capturable}).", "amount_to_capture",
                              "amount_too_large", saved=True)
            charge = self._objects[pi["latest_charge"]]
            self._put({**charge, "captured": True, "amount_captured": amount})
            pi = self._put({**pi, "status": "succeeded", "amount_capturable": 0,
                            "amount_received": amount})
            self._record("capture", pi, amount, key)
            self._notify("payment_intent.succeeded", pi, key)
            return pi

    def cancel_payment_intent(self, pi_id, params, key):
        _only(params, {"cancellation_reason"})
        reason = _choice(params, "cancellation_reason",
                         ("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
        with self._lock:
            pi = self._get("payment_intent", pi_id)
            if pi["status"] not in CANCELABLE:
                raise _unexpected_state(pi, "canceled", CANCELABLE)
            held = pi["amount_capturable"]
            pi = self._put({**pi, "status": "canceled", "amount_capturable": 0,
                            "canceled_at": int(time.time()), "cancellation_reason": reason})
            if held:
                self._record("void", pi, held, key)
            self._notify("payment_intent.canceled", pi, key)
            return pi

    def create_refund(self, params, key):
        _only(params, {"payment_intent", "charge", "amount", "metadata", "reason"})
        amount = _amount(params, "amount")
        reason = _choice(params, "reason", ("duplicate", "fraudulent", "requested_by_customer"))
        metadata = _metadata({}, _param(params, "metadata", dict))
        pi_id, charge_id = _param(params, "payment_intent"), _param(params, "charge")
        if bool(pi_id) == bool(charge_id):
            raise invalid("Provide exactly one of payment_intent or charge.", "payment_intent")
        with self._lock:
            if pi_id:
                pi = self._get("payment_intent", pi_id, "payment_intent", 400)
                charge = self._objects.get(pi["latest_charge"])
            else:
                charge = self._get("charge", charge_id, "charge", 400)
                pi = self._objects[charge["payment_intent"]]
            if charge is None or not charge["captured"]:
                raise invalid("This payment does not have a captured charge to refund.",
                              "payment_intent" if pi_id else "charge", "charge_not_refundable",
                              saved=True)
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            if remaining <= 0:
                raise invalid(f"Charge {charge['id']} has already been refunded.", "charge",
                              "charge_already_refunded", saved=True)
            amount = remaining if amount is None else amount
            if amount > remaining:
                raise invalid(f"Refund amount ({amount}) is greater than unrefunded amount on "
                              f"charge ({remaining})", "amount", "amount_too_large", saved=True)
            refunded = charge["amount_refunded"] + amount
            charge = self._put({**charge, "amount_refunded": refunded,
                                "refunded": refunded == charge["amount_captured"]})
            refund = self._put({
                "id": new_id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
                "currency": charge["currency"], "created": int(time.time()), "metadata": metadata,
                "payment_intent": pi["id"], "reason": reason, "status": "succeeded",
            })
            self.ledger.record("refund", amount=amount, currency=refund["currency"],
                               payment_id=metadata.get("payment_id") or pi["metadata"].get("payment_id"),
                               idempotency_key=key, gateway_reference=refund["id"])
            self._notify("refund.created", refund, key)
            self._notify("charge.refunded", charge, key)
            return refund

    def create_dispute(self, pi_id):
        """The customer disputes the PaymentIntent's captured charge (sends ``charge.dispute.created``)."""
        with self._lock:
            pi = self._get("payment_intent", pi_id, "payment_intent", 400)
            if pi["status"] != "succeeded":
                raise invalid("Only a captured payment can be disputed.", "payment_intent")
            charge = self._put({**self._objects[pi["latest_charge"]], "disputed": True})
            dispute = self._put({
                "id": new_id("dp"), "object": "dispute", "amount": charge["amount_captured"],
                "charge": charge["id"], "currency": charge["currency"], "created": int(time.time()),
                "livemode": False, "metadata": {}, "payment_intent": pi["id"],
                "reason": "fraudulent", "status": "needs_response", "is_charge_refundable": False,
            })
            self._notify("charge.dispute.created", dispute, None)
            return dispute

    # The helpers below run with self._lock held.

    def _get(self, kind, object_id, param="id", status=404):
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise invalid(f"No such {kind}: '{object_id}'", param, "resource_missing", status)
        return obj

    def _put(self, obj):
        self._objects[obj["id"]] = obj
        return obj

    def _confirm(self, pi, key):
        """Ask the issuer (the test card) and move ``pi`` on; a decline raises a saved 402."""
        outcome = self._outcomes[pi["payment_method"]]
        manual = pi["capture_method"] == "manual"
        captured = outcome.approved and not manual
        charge = self._put({
            "id": new_id("ch"), "object": "charge", "amount": pi["amount"],
            "amount_captured": pi["amount"] if captured else 0, "amount_refunded": 0,
            "captured": captured, "currency": pi["currency"], "created": int(time.time()),
            "description": pi["description"], "disputed": False, "livemode": False,
            "metadata": pi["metadata"], "paid": outcome.approved, "payment_intent": pi["id"],
            "payment_method": pi["payment_method"], "refunded": False,
            "status": "succeeded" if outcome.approved else "failed",
            "failure_code": outcome.decline_code,
            "outcome": {"type": "authorized" if outcome.approved else "issuer_declined",
                        "network_status": "approved_by_network" if outcome.approved
                        else "declined_by_network"},
        })
        if not outcome.approved:
            error = _decline(outcome.decline_code, charge["id"], self._objects[pi["payment_method"]])
            pi = self._put({**pi, "status": "requires_payment_method", "latest_charge": charge["id"],
                            "last_payment_error": error})
            self._notify("payment_intent.payment_failed", pi, key)
            raise ApiError(402, {**error, "payment_intent": pi}, saved=True)
        pi = self._put({**pi, "status": "requires_capture" if manual else "succeeded",
                        "amount_capturable": pi["amount"] if manual else 0,
                        "amount_received": 0 if manual else pi["amount"],
                        "latest_charge": charge["id"], "last_payment_error": None})
        self._record("authorization", pi, pi["amount"], key)
        if manual:
            self._notify("payment_intent.amount_capturable_updated", pi, key)
        else:
            self._record("capture", pi, pi["amount"], key)
            self._notify("payment_intent.succeeded", pi, key)
        return pi

    def _record(self, type, pi, amount, key):
        self.ledger.record(type, amount=amount, currency=pi["currency"],
                           payment_id=pi["metadata"].get("payment_id"), idempotency_key=key,
                           gateway_reference=pi["id"])

    def _notify(self, type, obj, key):
        if self.webhooks:
            self.webhooks.send(type, obj, key)


class Webhooks:
    """Posts Stripe events to ``url``, signed as Stripe does, from one background thread.

    Best effort: a few attempts per event, then it is dropped; an API request never waits.
    """

    RETRY_DELAYS = (0.5, 2.0)

    def __init__(self, url, secret=None):
        self.url = url
        self.secret = secret
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid = None  # the app is built before gunicorn forks: start the thread in the worker

    def send(self, type, obj, idempotency_key):
        event = {
            "id": new_id("evt"), "object": "event", "api_version": API_VERSION,
            "created": int(time.time()), "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": idempotency_key},
            "type": type, "data": {"object": obj},
        }
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._deliver, name="stripe-webhooks", daemon=True).start()
        self._queue.put(event)

    def signature(self, payload, timestamp):
        """``Stripe-Signature`` for ``payload`` (bytes): ``t=<ts>,v1=<HMAC-SHA256 of "<ts>.<payload>">``."""
        mac = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
        return f"t={timestamp},v1={mac.hexdigest()}"

    def _deliver(self):
        session = requests.Session()
        while True:
            event = self._queue.get()
            try:
                payload = orjson.dumps(event)
                for delay in (*self.RETRY_DELAYS, None):
                    if self._post(session, payload) or delay is None:
                        break
                    time.sleep(delay)
            except Exception:  # one bad event must not end delivery for the rest
                log.exception("webhook %s not delivered", event["id"])

    def _post(self, session, payload):
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        if self.secret:
            headers["Stripe-Signature"] = self.signature(payload, int(time.time()))
        try:
            return session.post(self.url, data=payload, headers=headers, timeout=5).ok
        except requests.RequestException as exc:
            log.warning("webhook delivery to %s failed: %s", self.url, exc)
            return False


def _api_key(req):
    """The secret key from ``Authorization`` (Bearer, or Basic with the key as user)."""
    scheme, _, credentials = (req.get_header("Authorization") or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            credentials = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except ValueError:  # bad base64 or bad UTF-8
            credentials = ""
    elif scheme.lower() != "bearer":
        credentials = ""
    key = credentials.strip()
    if not key:
        raise ApiError(401, {"type": "invalid_request_error", "message": (
            "You did not provide an API key. You need to provide your API key in the Authorization "
            "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")})
    if not _TEST_KEY.fullmatch(key):
        masked = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "****"
        raise ApiError(401, {"type": "invalid_request_error",
                             "message": f"Invalid API Key provided: {masked}"})
    return key


def _expansions(kind, raw):
    fields = [] if raw is None else _param({"expand": raw}, "expand", list)
    for field in fields:
        if field not in EXPANDABLE.get(kind, ()):
            raise invalid(f"This property cannot be expanded ({field}).", "expand")
    return fields


def _write(resp, status, body):
    resp.set_header("Request-Id", new_id("req"))
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = body
    if status == 401:
        resp.set_header("WWW-Authenticate", 'Basic realm="Stripe"')


def _read_form(req):
    return parse_qsl(req.bounded_stream.read().decode("utf-8", "replace"), keep_blank_values=True)


class StripeApi:
    """The ``/v1`` routes: auth, form parsing, idempotent replay and rendering around ``Account``."""

    def __init__(self, account):
        self.account = account
        self.idempotency = IdempotencyCache()

    def on_post_payment_methods(self, req, resp):
        self._serve(req, resp, "payment_method", self.account.create_payment_method)

    def on_get_payment_method(self, req, resp, object_id):
        self._serve(req, resp, "payment_method", self.account.retrieve, "payment_method", object_id)

    def on_post_payment_intents(self, req, resp):
        self._serve(req, resp, "payment_intent", self.account.create_payment_intent)

    def on_get_payment_intent(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.retrieve, "payment_intent", object_id)

    def on_post_payment_intent(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.update_payment_intent, object_id)

    def on_post_confirm(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.confirm_payment_intent, object_id)

    def on_post_capture(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.capture_payment_intent, object_id)

    def on_post_cancel(self, req, resp, object_id):
        self._serve(req, resp, "payment_intent", self.account.cancel_payment_intent, object_id)

    def on_post_refunds(self, req, resp):
        self._serve(req, resp, "refund", self.account.create_refund)

    def on_get_refund(self, req, resp, object_id):
        self._serve(req, resp, "refund", self.account.retrieve, "refund", object_id)

    def _serve(self, req, resp, kind, operation, *args):
        resp.set_header("Stripe-Version", req.get_header("Stripe-Version") or API_VERSION)
        key = req.get_header("Idempotency-Key") if req.method == "POST" else None
        replayed = False
        try:
            api_key = _api_key(req)
            if req.method == "POST":
                if req.content_type and not req.content_type.startswith(falcon.MEDIA_URLENCODED):
                    raise invalid(f"Invalid request: unsupported Content-Type {req.content_type}. "
                                  "Use application/x-www-form-urlencoded.")
                pairs = _read_form(req)
            else:
                pairs = parse_qsl(req.query_string, keep_blank_values=True)
            params = parse_form(pairs)
            expand = _expansions(kind, params.pop("expand", None))

            def work():
                try:
                    obj = operation(*args, params, key)
                except ApiError as exc:
                    if not exc.saved:
                        raise
                    return exc.status, orjson.dumps(exc.body)
                return 200, orjson.dumps(self.account.expand(obj, expand) if expand else obj)

            # Keys are scoped per API key, and a key belongs to one endpoint and one set of params.
            fingerprint = (req.path, sorted(pairs))
            status, body, replayed = self.idempotency.run(api_key, key, fingerprint, work)
        except ApiError as exc:
            status, body = exc.status, orjson.dumps(exc.body)
        except Mismatch:
            status, body = 400, orjson.dumps({"error": {"type": "idempotency_error", "message": (
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.")}})
        except InFlight:
            status, body = 409, orjson.dumps({"error": {
                "type": "idempotency_error", "code": "idempotency_key_in_use", "message": (
                    "There is currently another in-progress request using this Idempotent Key "
                    "(that probably means you submitted twice, and the other request is still "
                    f"going through): {key}. Please try again later.")}})
        _write(resp, status, body)
        if key:
            resp.set_header("Idempotency-Key", key)
        if replayed:
            resp.set_header("Idempotent-Replayed", "true")


class DisputesResource:
    """``POST /_sandbox/disputes`` with ``payment_intent`` (form or JSON): dispute its charge."""

    def __init__(self, account):
        self.account = account

    def on_post(self, req, resp):
        try:
            if req.content_type and req.content_type.startswith(falcon.MEDIA_JSON):
                params = req.get_media()
                if not isinstance(params, dict):
                    raise invalid("The body must be a JSON object.")
            else:
                params = parse_form(_read_form(req))
            dispute = self.account.create_dispute(_param(params, "payment_intent", required=True))
            _write(resp, 200, orjson.dumps(dispute))
        except ApiError as exc:
            _write(resp, exc.status, orjson.dumps(exc.body))


ROUTES = (
    ("/v1/payment_methods", "payment_methods"),
    ("/v1/payment_methods/{object_id}", "payment_method"),
    ("/v1/payment_intents", "payment_intents"),
    ("/v1/payment_intents/{object_id}", "payment_intent"),
    ("/v1/payment_intents/{object_id}/confirm", "confirm"),
    ("/v1/payment_intents/{object_id}/capture", "capture"),
    ("/v1/payment_intents/{object_id}/cancel", "cancel"),
    ("/v1/refunds", "refunds"),
    ("/v1/refunds/{object_id}", "refund"),
)

_FAULT_ERRORS = {
    429: {"type": "invalid_request_error", "code": "rate_limit", "message": (
        "Too many requests hit the API too quickly. We recommend an exponential backoff of your "
        "requests.")},
    402: {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
          "message": "Your card was declined."},
}


def _render_fault(resp, status):
    """An injected error, in Stripe's envelope (``api_error`` unless the status says otherwise)."""
    if status == 429:
        resp.set_header("Retry-After", "1")
    error = _FAULT_ERRORS.get(status) or (
        {"type": "api_error", "message": "An unknown error occurred."} if status >= 500
        else {"type": "invalid_request_error", "message": "Injected sandbox fault."})
    _write(resp, status, orjson.dumps({"error": error}))


def _unrecognized_url(req, resp, ex, params):
    _write(resp, 404, orjson.dumps({"error": {"type": "invalid_request_error", "message": (
        f"Unrecognized request URL ({req.method}: {req.path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.")}}))


def _internal_error(req, resp, ex, params):
    log.exception("Stripe sandbox failed on %s %s", req.method, req.path)
    _write(resp, 500, orjson.dumps({"error": {"type": "api_error",
                                              "message": "An unknown error occurred."}}))


def create_app(faults=None, webhook_url=None, webhook_secret=None):
    """Build the Stripe sandbox.

    Parameters:
      faults: Live ``Faults`` settings (fresh defaults when None).
      webhook_url: Where events are POSTed; no events are built when None.
      webhook_secret: Signs them with ``Stripe-Signature`` when given.

    Returns:
      The ``falcon.App``: ``/v1`` as Stripe, plus ``/_sandbox/faults``, ``/_sandbox/ledger``
      and ``/_sandbox/disputes``.
    """
    faults = faults or Faults()
    ledger = Ledger()
    account = Account(ledger, Webhooks(webhook_url, webhook_secret) if webhook_url else None)
    app = falcon.App(middleware=[FaultMiddleware(faults, _render_fault)])
    api = StripeApi(account)
    for uri, suffix in ROUTES:
        app.add_route(uri, api, suffix=suffix)
    app.add_route("/_sandbox/faults", FaultsResource(faults))
    app.add_route("/_sandbox/ledger", LedgerResource(ledger))
    app.add_route("/_sandbox/disputes", DisputesResource(account))
    app.add_error_handler(Exception, _internal_error)
    app.add_error_handler(falcon.HTTPNotFound, _unrecognized_url)
    app.add_error_handler(falcon.HTTPMethodNotAllowed, _unrecognized_url)
    return app
