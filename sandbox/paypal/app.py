"""PayPal sandbox: OAuth2, Orders v2, Payments v2 and webhooks, in memory.

Modelled on PayPal's published OpenAPI documents and its card-testing guide: a
card order completes on create, and an issuer's refusal is a COMPLETED order
whose capture is DECLINED (authorization DENIED) with the issuer's
``processor_response.response_code``.  The test cards of ``cards.py`` give the
same issuer outcome as at the Stripe sandbox.  A PayPal wallet order
(``payment_source.paypal``) waits in PAYER_ACTION_REQUIRED until its buyer
approves on the checkout page (``approval.py``), then APPROVED until
``/v2/checkout/orders/{id}/capture`` (or ``/authorize``) completes it, unless
PayPal's negative-testing header asks for an error of that operation
(``PayPal-Mock-Response: {"mock_application_codes": "INSTRUMENT_DECLINED"}``).  PayPal's
error envelope and issue texts are in ``wire.py``.

``PayPal-Request-Id`` replays the saved answer without comparing bodies, as
PayPal does.  The ledger gets one entry per money movement with ``payment_id``
= the order's ``custom_id``, ``idempotency_key`` = the ``PayPal-Request-Id`` and
``gateway_reference`` = the order id (the reference our adapter keeps).

Sandbox controls besides ``/_sandbox/faults`` and ``/_sandbox/ledger``:
``/_sandbox/oauth`` (GET counts, POST ``{"expires_in": s}``, DELETE revokes
every token) and ``POST /_sandbox/disputes {"capture_id": ...}``.
"""

import base64
import hashlib
import hmac
import os
import queue
import re
import secrets
import threading
import time
import uuid
import zlib
from decimal import Decimal

import falcon
import orjson
import requests

from sandbox import cards
from sandbox.faults import FaultMiddleware, Faults, FaultsResource
from sandbox.idempotency import IdempotencyCache, InFlight
from sandbox.ledger import CREDENTIAL, Ledger, LedgerResource
from sandbox.paypal import approval
from sandbox.paypal.money import ISO_EXPONENTS, decimals, minor_units, paypal_money
from sandbox.paypal.wire import ORDER_ACTION_ISSUES, Problem, issues, required, text
from shared.cards import luhn_ok

#: Issuer outcome of ``cards.py`` → PayPal processor response, as PayPal's card-testing triggers give them.
RESPONSE_CODES = {
    "generic_decline": "5100",  # CCREJECT-BANK_ERROR
    "do_not_honor": "0500",  # CCREJECT-REFUSED
    "insufficient_funds": "5120",  # CCREJECT-IF
    "lost_card": "9520",  # CCREJECT-LS: LOST_OR_STOLEN
    "stolen_card": "9520",
    "expired_card": "5400",  # CCREJECT-EC
    "incorrect_cvc": "00N7",  # CCREJECT-CVV_F
    "fraudulent": "9500",  # CCREJECT-SF
    "processing_error": "9100",  # DECLINED_PLEASE_RETRY
}
LUHN_FAILURE = "5180"  # CCREJECT-IRC: INVALID_OR_RESTRICTED_CARD
MATCHED = {"avs_code": "Y", "cvv_code": "M"}
UNCHECKED = {"avs_code": "G", "cvv_code": "P"}  # what PayPal's rejection triggers return

VALUE = re.compile(r"^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$")  # PayPal's money.value pattern
PATCH_PATH = re.compile(
    r"/purchase_units/@reference_id=='([^']*)'/(description|custom_id|invoice_id|soft_descriptor)"
)
TEXT_MAX = {"description": 127, "custom_id": 127, "invoice_id": 127, "soft_descriptor": 22}
AUTHORIZATION_DAYS = 29
_EVENTS = {"COMPLETED": "COMPLETED", "DECLINED": "DENIED"}  # capture status → webhook event
TOKEN_LIFETIME = 32400


def render_error(resp, status):
    """PayPal's error envelope for an injected fault; 429 and 503 say when to come back."""
    _reply(resp, status, Problem(status).body())
    if status in (429, 503):
        resp.set_header("Retry-After", "1")


def create_app(faults=None, webhook_url=None, webhook_secret=None):
    """The PayPal sandbox as a Falcon app.

    Parameters:
      faults: Live ``Faults`` (a fresh one when None).
      webhook_url: Where to POST webhook events; none are sent when None.
      webhook_secret: The webhook id events are signed for (PayPal's ``webhook_id``).
    """
    faults = faults or Faults()
    sandbox = PayPalSandbox(Webhooks(webhook_url, webhook_secret or "SANDBOXWEBHOOK"))
    app = falcon.App(middleware=[FaultMiddleware(faults, render_error), sandbox])
    app.add_error_handler(
        Problem, lambda req, resp, problem, params: _reply(resp, problem.status, problem.body(issues(req)))
    )
    app.add_route("/_sandbox/faults", FaultsResource(faults))
    app.add_route("/_sandbox/ledger", LedgerResource(sandbox.ledger))
    app.add_route("/_sandbox/oauth", sandbox, suffix="oauth")
    app.add_route("/_sandbox/disputes", sandbox, suffix="disputes")
    app.add_route("/v1/oauth2/token", sandbox, suffix="token")
    app.add_route("/v1/notifications/verify-webhook-signature", sandbox, suffix="verify")
    app.add_route("/v2/checkout/orders", sandbox, suffix="orders")
    app.add_route("/v2/checkout/orders/{order_id}", sandbox, suffix="order")
    for action in ("capture", "authorize"):
        app.add_route(f"/v2/checkout/orders/{{order_id}}/{action}", sandbox, suffix=f"order_{action}")
    app.add_route(approval.PATH, approval.ApprovalPage(sandbox))
    for kind in ("authorization", "capture", "refund"):
        app.add_route(f"/v2/payments/{kind}s/{{payment_id}}", sandbox, suffix=kind)
    app.add_route("/v2/payments/authorizations/{payment_id}/capture", sandbox, suffix="capture_authorization")
    app.add_route("/v2/payments/authorizations/{payment_id}/void", sandbox, suffix="void")
    app.add_route("/v2/payments/captures/{payment_id}/refund", sandbox, suffix="refund_capture")
    return app


class PayPalSandbox:
    """State and responders; also the middleware that checks Bearer tokens."""

    def __init__(self, webhooks):
        self.webhooks = webhooks
        self.ledger = Ledger()
        self.replays = IdempotencyCache()
        self.lock = threading.Lock()  # guards orders, contexts, index and invoices
        self.orders = {}
        self.contexts = {}  # wallet order id → its experience_context (where the buyer goes back)
        self.index = {}  # authorization / capture / refund id → (kind, order id)
        self.refunded = {}  # capture id → minor units refunded
        self.invoices = set()
        self.tokens = {}  # access token → (expiry (monotonic), the client id it was issued to)
        self.token_lifetime = TOKEN_LIFETIME
        self.tokens_issued = 0

    # -- OAuth2 --------------------------------------------------------------------------------

    def process_resource(self, req, resp, resource, params):
        if resource is not self or req.path.startswith("/_sandbox") or req.path == "/v1/oauth2/token":
            return
        kind, _, token = (req.auth or "").partition(" ")
        expiry, client_id = self.tokens.get(token, (0, None))
        if kind != "Bearer" or expiry < time.monotonic():
            _reply(
                resp,
                401,
                {"error": "invalid_token", "error_description": "Token signature verification failed"},
            )
            resp.complete = True
        CREDENTIAL.set(client_id)

    def on_post_token(self, req, resp):
        kind, _, encoded = (req.auth or "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if kind != "Basic" or not client_id or not secret:
            return _reply(
                resp, 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
            )
        form = req.get_media(default_when_empty={}) if req.content_type else {}
        if form.get("grant_type") != "client_credentials":
            return _reply(
                resp, 400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
            )
        token, now = "A21AA" + secrets.token_urlsafe(48), time.monotonic()
        with self.lock:
            self.tokens = {t: entry for t, entry in self.tokens.items() if entry[0] > now}
            self.tokens[token] = (now + self.token_lifetime, client_id)
            self.tokens_issued += 1
        _reply(
            resp,
            200,
            {
                "scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-SANDBOX",
                "expires_in": self.token_lifetime,
                "nonce": f"{_now()}{secrets.token_hex(8)}",
            },
        )

    def on_get_oauth(self, req, resp):
        resp.media = {"tokens_issued": self.tokens_issued, "expires_in": self.token_lifetime}

    def on_post_oauth(self, req, resp):
        lifetime = (req.get_media() or {}).get("expires_in")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
            raise falcon.HTTPBadRequest(title="expires_in must be a positive integer")
        self.token_lifetime = lifetime
        self.on_get_oauth(req, resp)

    def on_delete_oauth(self, req, resp):
        with self.lock:
            self.tokens = {}
        self.on_get_oauth(req, resp)

    # -- Orders v2 -----------------------------------------------------------------------------

    def on_post_orders(self, req, resp):
        def work(key):
            order = self._new_order(_json(req), key, req.prefix)
            with self.lock:
                self.orders[order["id"]] = order
                for kind in ("authorization", "capture"):
                    for payment in _payments(order["purchase_units"][0], kind):
                        self.index[payment["id"]] = (kind, order["id"])
                        if payment["status"] in ("CREATED", "COMPLETED"):  # the issuer said yes
                            self._record(kind, order, payment["amount"], key)
                        if kind == "capture":
                            self.webhooks.emit(
                                req.prefix,
                                f"PAYMENT.CAPTURE.{_EVENTS[payment['status']]}",
                                "capture",
                                self._payment_view(order, kind, payment),
                            )
                return 201, orjson.dumps(order if _representation(req) else _minimal(order))

        self._replayable(req, resp, ("orders", None), work, replay_status=200)

    def on_get_order(self, req, resp, order_id):
        with self.lock:
            _reply(resp, 200, self._order(order_id))

    def on_patch_order(self, req, resp, order_id):
        operations = _json(req)
        if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
            raise Problem(400, "MALFORMED_REQUEST_JSON")
        with self.lock:
            order = self._order(order_id)
            if order["status"] not in ("CREATED", "APPROVED"):
                raise Problem(
                    422, "ORDER_ALREADY_COMPLETED" if order["status"] == "COMPLETED" else "NOT_PATCHABLE"
                )
            order["purchase_units"][0] = _patched(order["purchase_units"][0], operations)
            order["update_time"] = _now()
        resp.status = 204

    def _new_order(self, body, key, prefix):
        """The order a create request makes (validated; the issuer's answer for a card)."""
        if not isinstance(body, dict):
            raise Problem(400, "MALFORMED_REQUEST_JSON")
        intent = required(body, "intent", "/intent")
        if intent not in ("CAPTURE", "AUTHORIZE"):
            raise Problem(400, "INVALID_PARAMETER_VALUE", "/intent")
        units = required(body, "purchase_units", "/purchase_units")
        if not isinstance(units, list) or not units:
            raise Problem(400, "INVALID_ARRAY_MIN_ITEMS", "/purchase_units")
        if len(units) > 1 or not isinstance(units[0], dict):
            raise Problem(400, "NOT_SUPPORTED", "/purchase_units")  # the sandbox keeps to one unit
        request_unit = units[0]
        amount = _money(request_unit.get("amount"), "/purchase_units/0/amount")
        unit = {
            "reference_id": text(
                request_unit.get("reference_id", "default"), "/purchase_units/0/reference_id", 256
            ),
            "amount": amount,
        }
        for field in TEXT_MAX:
            if field in request_unit:
                unit[field] = text(request_unit[field], f"/purchase_units/0/{field}", TEXT_MAX[field])
        source = body.get("payment_source")
        wallet = isinstance(source, dict) and "paypal" in source
        context = approval.wallet_context(source, key) if wallet else None
        card = _card(source, key) if source is not None and not wallet else None
        order_id, now = _id(), _now()
        self_link = f"{prefix}/v2/checkout/orders/{order_id}"
        order = {
            "id": order_id,
            "intent": intent,
            "status": "CREATED",
            "purchase_units": [unit],
            "create_time": now,
            "update_time": now,
            "links": [_link(self_link, "self")],
        }
        if context is not None:  # the buyer approves on the checkout page first
            order.update(status="PAYER_ACTION_REQUIRED", payment_source={"paypal": {}})
            order["links"].append(_link(f"{prefix}{approval.PATH}?token={order_id}", "payer-action"))
            with self.lock:
                self.contexts[order_id] = context
            return order
        if card is None:  # waits for a payer (the checkout page); no money moves
            order["links"] += [
                _link(f"{prefix}{approval.PATH}?token={order_id}", "approve"),
                _link(self_link, "update", "PATCH"),
                _link(f"{self_link}/{intent.lower()}", intent.lower(), "POST"),
            ]
            return order
        if "invoice_id" in unit:
            with self.lock:
                if unit["invoice_id"] in self.invoices:
                    raise Problem(422, "DUPLICATE_INVOICE_ID", "/purchase_units/0/invoice_id")
                self.invoices.add(unit["invoice_id"])
        number, expiry, brand = card
        response_code = _issuer(number)
        approved = response_code == "0000"
        kind = "capture" if intent == "CAPTURE" else "authorization"
        status = {"capture": ("COMPLETED", "DECLINED"), "authorization": ("CREATED", "DENIED")}[kind][
            not approved
        ]
        payment = _new_payment(kind, status, unit, prefix, self_link)
        payment["processor_response"] = {
            **(MATCHED if approved else UNCHECKED),
            "response_code": response_code,
        }
        unit["payments"] = {kind + "s": [payment]}
        order.update(
            status="COMPLETED",
            payment_source={
                "card": {"last_digits": number[-4:], "brand": brand, "type": "CREDIT", "expiry": expiry}
            },
        )
        return order

    def on_post_order_capture(self, req, resp, order_id):
        self._complete_order(req, resp, order_id, "CAPTURE")

    def on_post_order_authorize(self, req, resp, order_id):
        self._complete_order(req, resp, order_id, "AUTHORIZE")

    def _complete_order(self, req, resp, order_id, intent):
        """Capture or authorize (``intent``) all of an order its buyer approved; it is then COMPLETED."""

        def work(key):
            with self.lock:
                order = self._order(order_id)
                mocked = _mock_issue(req)
                if mocked in ORDER_ACTION_ISSUES[intent.lower()]:
                    raise Problem(422, mocked)
                if order["intent"] != intent:
                    raise Problem(422, "ACTION_DOES_NOT_MATCH_INTENT")
                if order["status"] != "APPROVED":
                    done = "ORDER_ALREADY_CAPTURED" if intent == "CAPTURE" else "ORDER_ALREADY_AUTHORIZED"
                    raise Problem(422, done if order["status"] == "COMPLETED" else "ORDER_NOT_APPROVED")
                kind = "capture" if intent == "CAPTURE" else "authorization"
                unit, self_link = order["purchase_units"][0], order["links"][0]["href"]
                status = "COMPLETED" if kind == "capture" else "CREATED"
                payment = _new_payment(kind, status, unit, req.prefix, self_link)
                unit["payments"] = {kind + "s": [payment]}
                order.update(
                    status="COMPLETED", update_time=payment["update_time"], links=[order["links"][0]]
                )
                self.index[payment["id"]] = (kind, order_id)
                self._record(kind, order, payment["amount"], key)
                if kind == "capture":
                    view = self._payment_view(order, kind, payment)
                    self.webhooks.emit(req.prefix, "PAYMENT.CAPTURE.COMPLETED", "capture", view)
                return 201, orjson.dumps(order if _representation(req) else _minimal(order))

        self._replayable(req, resp, (f"order_{intent}", order_id), work, replay_status=200)

    # -- the buyer (approval.py's page) ----------------------------------------------------------

    def waiting_order(self, order_id):
        """``(order, experience_context)`` of an order waiting for its buyer.

        Raises:
          falcon.HTTPNotFound, falcon.HTTPConflict: no such order, or it waits for no one.
        """
        with self.lock:
            return self._waiting(order_id)

    def answer_buyer(self, order_id, approved, prefix):
        """The buyer's answer on the checkout page: an approved order is APPROVED with their details,
        and CHECKOUT.ORDER.APPROVED is sent; a canceled one still waits, as at PayPal.

        Returns:
          ``(payer id or None when canceled, the order's experience_context)``.
        """
        with self.lock:
            order, context = self._waiting(order_id)
            if not approved:
                return None, context
            account_id = approval.payer_id()
            wallet, payer = approval.buyer(account_id)
            self_link, action = order["links"][0]["href"], order["intent"].lower()
            order.update(
                status="APPROVED",
                update_time=_now(),
                payment_source={"paypal": wallet},
                payer=payer,
                links=[
                    _link(self_link, "self"),
                    _link(self_link, "update", "PATCH"),
                    _link(f"{self_link}/{action}", action, "POST"),
                ],
            )
            self.webhooks.emit(prefix, "CHECKOUT.ORDER.APPROVED", "checkout-order", order)
            return account_id, context

    def _waiting(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            raise falcon.HTTPNotFound(description=f"No order {order_id}")
        if order["status"] not in ("CREATED", "PAYER_ACTION_REQUIRED"):
            raise falcon.HTTPConflict(description=f"The order is {order['status']}: no buyer action waits")
        return order, self.contexts.get(order_id, {})

    # -- Payments v2 ---------------------------------------------------------------------------

    def on_get_authorization(self, req, resp, payment_id):
        self._get_payment(resp, "authorization", payment_id)

    def on_get_capture(self, req, resp, payment_id):
        self._get_payment(resp, "capture", payment_id)

    def on_get_refund(self, req, resp, payment_id):
        self._get_payment(resp, "refund", payment_id)

    def on_post_capture_authorization(self, req, resp, payment_id):
        def work(key):
            body = _json(req) or {}
            with self.lock:
                order, authorization = self._payment("authorization", payment_id)
                if authorization["status"] not in ("CREATED", "PARTIALLY_CAPTURED"):
                    raise Problem(
                        422,
                        {"VOIDED": "AUTHORIZATION_VOIDED", "DENIED": "AUTHORIZATION_DENIED"}.get(
                            authorization["status"], "AUTHORIZATION_ALREADY_CAPTURED"
                        ),
                    )
                unit = order["purchase_units"][0]
                left = _uncaptured(unit, authorization)
                amount = _amount_within(
                    body,
                    authorization["amount"],
                    left,
                    "AUTH_CAPTURE_CURRENCY_MISMATCH",
                    "MAX_CAPTURE_AMOUNT_EXCEEDED",
                )
                capture_id, now = _id(), _now()
                capture = {
                    "id": capture_id,
                    "status": "COMPLETED",
                    "amount": amount,
                    "final_capture": bool(body.get("final_capture", False)),
                    "create_time": now,
                    "update_time": now,
                    "links": _capture_links(req.prefix, capture_id, authorization["links"][0]["href"]),
                }
                if "custom_id" in unit:
                    capture["custom_id"] = unit["custom_id"]
                done = capture["final_capture"] or minor_units(amount) == left
                authorization.update(status="CAPTURED" if done else "PARTIALLY_CAPTURED", update_time=now)
                unit.setdefault("payments", {}).setdefault("captures", []).append(capture)
                self.index[capture["id"]] = ("capture", order["id"])
                self._record("capture", order, amount, key)
                view = self._payment_view(order, "capture", capture)
                self.webhooks.emit(req.prefix, "PAYMENT.CAPTURE.COMPLETED", "capture", view)
                return 201, orjson.dumps(view if _representation(req) else _minimal(view))

        self._replayable(req, resp, ("capture", payment_id), work)

    def on_post_void(self, req, resp, payment_id):
        def work(key):
            with self.lock:
                order, authorization = self._payment("authorization", payment_id)
                if authorization["status"] not in ("CREATED", "PARTIALLY_CAPTURED"):
                    raise Problem(
                        422,
                        {"CAPTURED": "PREVIOUSLY_CAPTURED", "VOIDED": "PREVIOUSLY_VOIDED"}.get(
                            authorization["status"], "CANNOT_BE_VOIDED"
                        ),
                    )
                left = _uncaptured(order["purchase_units"][0], authorization)
                authorization.update(status="VOIDED", update_time=_now())
                self._record("void", order, paypal_money(left, authorization["amount"]["currency_code"]), key)
                if not _representation(req):
                    return 204, b""
                return 200, orjson.dumps(self._payment_view(order, "authorization", authorization))

        self._replayable(req, resp, ("void", payment_id), work)

    def on_post_refund_capture(self, req, resp, payment_id):
        def work(key):
            body = _json(req) or {}
            custom_id = text(body["custom_id"], "/custom_id", 127) if "custom_id" in body else None
            with self.lock:
                order, capture = self._payment("capture", payment_id)
                if capture["status"] not in ("COMPLETED", "PARTIALLY_REFUNDED"):
                    raise Problem(
                        422,
                        {"REFUNDED": "CAPTURE_FULLY_REFUNDED", "PENDING": "PENDING_CAPTURE"}.get(
                            capture["status"], "REFUND_NOT_ALLOWED"
                        ),
                    )
                unit = order["purchase_units"][0]
                left = minor_units(capture["amount"]) - self.refunded.get(payment_id, 0)
                amount = _amount_within(
                    body, capture["amount"], left, "CURRENCY_MISMATCH", "REFUND_AMOUNT_EXCEEDED"
                )
                now = _now()
                refund = {
                    "id": _id(),
                    "status": "COMPLETED",
                    "amount": amount,
                    "create_time": now,
                    "update_time": now,
                }
                refund["links"] = [
                    _link(f"{req.prefix}/v2/payments/refunds/{refund['id']}", "self"),
                    _link(f"{req.prefix}/v2/payments/captures/{capture['id']}", "up"),
                ]
                if custom_id or "custom_id" in unit:
                    refund["custom_id"] = custom_id or unit["custom_id"]
                self.refunded[payment_id] = self.refunded.get(payment_id, 0) + minor_units(amount)
                capture.update(
                    status="REFUNDED" if minor_units(amount) == left else "PARTIALLY_REFUNDED",
                    update_time=now,
                )
                unit.setdefault("payments", {}).setdefault("refunds", []).append(refund)
                self.index[refund["id"]] = ("refund", order["id"])
                self._record("refund", order, amount, key, payment_id=refund.get("custom_id"))
                self.webhooks.emit(req.prefix, "PAYMENT.CAPTURE.REFUNDED", "refund", refund)
                return 201, orjson.dumps(refund if _representation(req) else _minimal(refund))

        self._replayable(req, resp, ("refund", payment_id), work)

    # -- Webhooks ------------------------------------------------------------------------------

    def on_post_verify(self, req, resp):
        body = _json(req)
        verified = isinstance(body, dict) and self.webhooks.verify(body)
        _reply(resp, 200, {"verification_status": "SUCCESS" if verified else "FAILURE"})

    def on_post_disputes(self, req, resp):
        capture_id = (req.get_media() or {}).get("capture_id")
        with self.lock:
            _, capture = self._payment("capture", capture_id)
        now, dispute_id = _now(), f"PP-D-{secrets.randbelow(10**8):08d}"
        dispute = {
            "dispute_id": dispute_id,
            "create_time": now,
            "update_time": now,
            "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED",
            "status": "OPEN",
            "dispute_life_cycle_stage": "INQUIRY",
            "dispute_amount": capture["amount"],
            "disputed_transactions": [
                {
                    "seller_transaction_id": capture_id,
                    "create_time": capture["create_time"],
                    "custom": capture.get("custom_id"),
                    "gross_amount": capture["amount"],
                }
            ],
            "links": [_link(f"{req.prefix}/v1/customer/disputes/{dispute_id}", "self")],
        }
        self.webhooks.emit(req.prefix, "CUSTOMER.DISPUTE.CREATED", "dispute", dispute, resource_version="1.1")
        resp.status, resp.media = falcon.HTTP_201, dispute

    # -- helpers -------------------------------------------------------------------------------

    def _replayable(self, req, resp, scope, work, replay_status=None):
        """Run ``work(key) -> (status, body bytes)`` once per ``PayPal-Request-Id`` and reply."""
        key = req.get_header("PayPal-Request-Id")

        def answer():
            try:
                return work(key)
            except Problem as problem:
                return problem.status, orjson.dumps(problem.body(issues(req)))

        try:
            status, body, replayed = self.replays.run(scope, key, None, answer)
        except InFlight:
            raise Problem(409, "PREVIOUS_REQUEST_IN_PROGRESS") from None
        resp.status = replay_status if replayed and replay_status and status == 201 else status
        if body:
            resp.content_type, resp.data = falcon.MEDIA_JSON, body

    def _order(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            raise Problem(404, "INVALID_RESOURCE_ID", location="path")
        return order

    def _payment(self, kind, payment_id):
        """``(order, payment)`` for an authorization, capture or refund id (call under the lock)."""
        found_kind, order_id = self.index.get(payment_id, (None, None))
        if found_kind != kind:
            raise Problem(404, "INVALID_RESOURCE_ID", location="path")
        order = self.orders[order_id]
        return order, next(p for p in _payments(order["purchase_units"][0], kind) if p["id"] == payment_id)

    def _get_payment(self, resp, kind, payment_id):
        with self.lock:
            order, payment = self._payment(kind, payment_id)
            _reply(resp, 200, self._payment_view(order, kind, payment))

    @staticmethod
    def _payment_view(order, kind, payment):
        """A Payments v2 resource: the object plus the ids it belongs to."""
        if kind == "refund":
            return payment
        related = {"order_id": order["id"]}
        authorizations = _payments(order["purchase_units"][0], "authorization")
        if kind == "capture" and authorizations:
            related["authorization_id"] = authorizations[0]["id"]
        return {**payment, "supplementary_data": {"related_ids": related}}

    def _record(self, kind, order, amount, key, payment_id=None):
        self.ledger.record(
            kind,
            amount=minor_units(amount),
            currency=amount["currency_code"],
            payment_id=payment_id or order["purchase_units"][0].get("custom_id"),
            idempotency_key=key,
            gateway_reference=order["id"],
        )


class Webhooks:
    """Delivers PayPal-style webhook events from one background thread.

    Each delivery is signed over ``transmission_id|transmission_time|webhook_id|crc32(body)``
    as PayPal does, with an HMAC key that never leaves the sandbox (standing in for
    PayPal's certificate): a receiver can only check it through verify-webhook-signature.
    """

    AUTH_ALGO = "HMACSHA256"
    RETRY_DELAYS = (0, 0.2, 1.0)

    def __init__(self, url, webhook_id):
        self.url, self.webhook_id = url, webhook_id
        self._key = secrets.token_bytes(32)
        self._queue = queue.Queue()
        self._thread = None
        self._lock = threading.Lock()

    def emit(self, prefix, event_type, resource_type, resource, resource_version="2.0"):
        if not self.url:
            return
        event_id = f"WH-{_id()}"
        self._queue.put(
            (
                prefix,
                _canonical(
                    {  # serialized now: the resource changes later
                        "id": event_id,
                        "event_version": "1.0",
                        "create_time": _now(),
                        "resource_type": resource_type,
                        "resource_version": resource_version,
                        "event_type": event_type,
                        "summary": (
                            f"{event_type} for {resource_type} "
                            f"{resource.get('id') or resource.get('dispute_id')}"
                        ),
                        "resource": resource,
                        "links": [_link(f"{prefix}/v1/notifications/webhooks-events/{event_id}", "self")],
                    }
                ),
            )
        )
        with self._lock:  # started lazily: threads do not survive gunicorn's fork
            if self._thread is None:
                self._thread = threading.Thread(target=self._deliver, name="paypal-webhooks", daemon=True)
                self._thread.start()

    def signature(self, transmission_id, transmission_time, webhook_id, body: bytes) -> str:
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}"
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def verify(self, request: dict) -> bool:
        """The verify-webhook-signature check: our signature, our webhook id, the event unmodified."""
        fields = ("auth_algo", "transmission_id", "transmission_time", "webhook_id", "transmission_sig")
        if not all(isinstance(request.get(f), str) for f in fields) or not isinstance(
            request.get("webhook_event"), dict
        ):
            return False
        expected = self.signature(
            request["transmission_id"],
            request["transmission_time"],
            request["webhook_id"],
            _canonical(request["webhook_event"]),
        )
        return (
            request["webhook_id"] == self.webhook_id
            and request["auth_algo"] == self.AUTH_ALGO
            and hmac.compare_digest(expected, request["transmission_sig"])
        )

    def _deliver(self):
        session = requests.Session()
        while True:
            prefix, body = self._queue.get()
            transmission_id, transmission_time = str(uuid.uuid4()), _now()
            headers = {
                "Content-Type": "application/json",
                "PAYPAL-TRANSMISSION-ID": transmission_id,
                "PAYPAL-TRANSMISSION-TIME": transmission_time,
                "PAYPAL-TRANSMISSION-SIG": self.signature(
                    transmission_id, transmission_time, self.webhook_id, body
                ),
                "PAYPAL-CERT-URL": f"{prefix}/v1/notifications/certs/CERT-SANDBOX",
                "PAYPAL-AUTH-ALGO": self.AUTH_ALGO,
            }
            for delay in self.RETRY_DELAYS:  # PayPal retries failed deliveries too, for longer
                time.sleep(delay)
                try:
                    if session.post(self.url, data=body, headers=headers, timeout=5).ok:
                        break
                except requests.RequestException:
                    pass


# -- request parsing ------------------------------------------------------------------------------


def _json(req):
    raw = req.bounded_stream.read()
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Problem(400, "MALFORMED_REQUEST_JSON") from None


def _money(value, field):
    """Validated PayPal money."""
    if not isinstance(value, dict):
        raise Problem(
            400, "MISSING_REQUIRED_PARAMETER" if value is None else "INVALID_PARAMETER_SYNTAX", field
        )
    currency = required(value, "currency_code", f"{field}/currency_code")
    amount = required(value, "value", f"{field}/value")
    if not isinstance(currency, str) or not re.fullmatch("[A-Z]{3}", currency):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", f"{field}/currency_code")
    if not isinstance(amount, str) or not VALUE.match(amount) or len(amount) > 32:
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", f"{field}/value")
    if currency not in ISO_EXPONENTS:
        raise Problem(422, "INVALID_CURRENCY_CODE", f"{field}/currency_code")
    if Decimal(amount) <= 0:
        raise Problem(422, "CANNOT_BE_ZERO_OR_NEGATIVE", f"{field}/value")
    if len(amount.partition(".")[2]) > decimals(currency):
        raise Problem(422, "DECIMAL_PRECISION", f"{field}/value")
    return {"currency_code": currency, "value": amount}


def _amount_within(body, limit_money, left, mismatch_issue, exceeded_issue):
    """The amount asked for (default: all that is left), checked against ``left`` minor units."""
    if "amount" not in body:
        return paypal_money(left, limit_money["currency_code"])
    amount = _money(body["amount"], "/amount")
    if amount["currency_code"] != limit_money["currency_code"]:
        raise Problem(422, mismatch_issue, "/amount/currency_code")
    if minor_units(amount) > left:
        raise Problem(422, exceeded_issue, "/amount/value")
    return amount


def _uncaptured(unit, authorization):
    """Minor units of ``authorization`` not captured yet."""
    return minor_units(authorization["amount"]) - sum(
        minor_units(c["amount"]) for c in _payments(unit, "capture")
    )


def _card(source, key):
    """``(number, expiry, brand)`` of a card payment source."""
    if not key:
        raise Problem(400, "PAYPAL_REQUEST_ID_REQUIRED")
    card = source.get("card") if isinstance(source, dict) else None
    if not isinstance(card, dict):
        raise Problem(400, "NOT_SUPPORTED", "/payment_source")  # the sandbox takes cards only
    number = required(card, "number", "/payment_source/card/number")
    expiry = required(card, "expiry", "/payment_source/card/expiry")
    if not isinstance(number, str) or not re.fullmatch("[0-9]{13,19}", number):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", "/payment_source/card/number")
    if not isinstance(expiry, str) or not re.fullmatch("[0-9]{4}-(0[1-9]|1[0-2])", expiry):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", "/payment_source/card/expiry")
    code = card.get("security_code")
    if code is not None and not (isinstance(code, str) and re.fullmatch("[0-9]{3,4}", code)):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", "/payment_source/card/security_code")
    if expiry < time.strftime("%Y-%m", time.gmtime()):
        raise Problem(422, "CARD_EXPIRED", "/payment_source/card/expiry")
    return number, expiry, cards.outcome(number).brand.upper()


def _mock_issue(req):
    """The issue PayPal's negative testing asks for in ``PayPal-Mock-Response``, if any."""
    try:
        mock = orjson.loads(req.get_header("PayPal-Mock-Response") or "{}")
    except orjson.JSONDecodeError:
        raise Problem(400, "MALFORMED_REQUEST_JSON", "PayPal-Mock-Response", location="header") from None
    issue = mock.get("mock_application_codes") if isinstance(mock, dict) else None
    return issue if isinstance(issue, str) else None


def _issuer(number):
    """The processor response code the issuer gives ``number``."""
    if not luhn_ok(number):
        return LUHN_FAILURE
    outcome = cards.outcome(number)
    return "0000" if outcome.approved else RESPONSE_CODES.get(outcome.decline_code, "5100")


def _patched(unit, operations):
    """A copy of ``unit`` with PayPal's JSON Patch ``operations`` applied, all or nothing."""
    unit = dict(unit)
    for i, operation in enumerate(operations):
        if "path" not in operation:
            raise Problem(422, "PATCH_PATH_REQUIRED", f"/{i}/path")
        match = PATCH_PATH.fullmatch(str(operation["path"]))
        if not match or match.group(1) != unit.get("reference_id"):
            raise Problem(400, "FIELD_NOT_PATCHABLE", f"/{i}/path")
        field, op = match.group(2), operation.get("op")
        if op not in ("add", "replace", "remove") or (op == "add") == (field in unit):
            raise Problem(400, "INVALID_PATCH_OPERATION", f"/{i}/op")
        if op == "remove":
            del unit[field]
        elif "value" not in operation:
            raise Problem(422, "PATCH_VALUE_REQUIRED", f"/{i}/value")
        else:
            unit[field] = text(operation["value"], f"/{i}/value", TEXT_MAX[field])
    return unit


# -- rendering ------------------------------------------------------------------------------------


def _reply(resp, status, body):
    resp.status = status
    resp.content_type = falcon.MEDIA_JSON
    resp.data = orjson.dumps(body)


def _representation(req):
    return "return=representation" in (req.get_header("Prefer") or "")


def _minimal(resource):
    return {"id": resource["id"], "status": resource["status"], "links": resource["links"]}


def _link(href, rel, method="GET"):
    return {"href": href, "rel": rel, "method": method}


def _capture_links(prefix, capture_id, up):
    return [
        _link(f"{prefix}/v2/payments/captures/{capture_id}", "self"),
        _link(f"{prefix}/v2/payments/captures/{capture_id}/refund", "refund", "POST"),
        _link(up, "up"),
    ]


def _authorization_links(prefix, authorization_id, up):
    href = f"{prefix}/v2/payments/authorizations/{authorization_id}"
    return [
        _link(href, "self"),
        _link(f"{href}/capture", "capture", "POST"),
        _link(f"{href}/void", "void", "POST"),
        _link(up, "up"),
    ]


def _new_payment(kind, status, unit, prefix, order_link):
    """A new capture or authorization of the whole of ``unit``."""
    now = _now()
    payment = {
        "id": _id(),
        "status": status,
        "amount": unit["amount"],
        "create_time": now,
        "update_time": now,
    }
    if "custom_id" in unit:
        payment["custom_id"] = unit["custom_id"]
    if kind == "capture":
        payment.update(final_capture=True, links=_capture_links(prefix, payment["id"], order_link))
    else:
        payment.update(
            expiration_time=_now(AUTHORIZATION_DAYS * 86400),
            links=_authorization_links(prefix, payment["id"], order_link),
        )
    return payment


def _payments(unit, kind):
    return unit.get("payments", {}).get(kind + "s", [])


def _canonical(event):
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def _id():
    """A PayPal-style id: 17 upper-case letters and digits."""
    return base64.b32encode(os.urandom(11)).decode()[:17]


def _now(offset=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))
