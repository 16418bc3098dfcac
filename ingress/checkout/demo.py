"""The demo checkout (``PAYWAVE_DEMO_CHECKOUT``, development only): a shop's page and the shop's server side.

``GET /checkout/demo`` is the page a customer sees: a product, PayWave's card fields (``/v1/paywave.js``),
a Pay and a PayPal button, and the payment's status.  It is served from ``demo_origin``, not PayWave's own
origin, so the card fields' iframe is as cross-origin to it as to any merchant's page.

``POST /checkout/demo/pay`` and ``GET /checkout/demo/payments/{id}`` play the merchant's server: they take a
token (never a card), and call ``POST /payments`` and ``GET /payments/{id}`` over HTTP at
``PAYWAVE_PUBLIC_URL`` with the demo's secret key, exactly as a merchant's server would.  Each call to
``POST /payments`` is logged (``demo_checkout_payment``) with the body it sent.
"""

import dataclasses
import html
import re
import string
import urllib.parse

import falcon
import orjson
import requests

from ingress import validation
from ingress.checkout import assets
from ingress.errors import Problem, ValidationFailed
from ingress.resources.common import PAYMENT_ID
from shared.ids import new_id
from shared.logging import get_logger
from shared.notifications import mask_email

log = get_logger(__name__)


@dataclasses.dataclass(frozen=True)
class Product:
    name: str
    amount: int  # minor units
    currency: str


#: What the demo shop sells: its server, not the page, decides the price.
PRODUCT = Product("Aurora desk lamp", 4900, "USD")
#: The demo shop's customer: its receipt is caught by ``paywave dev``'s mail catcher (``/_dev/mail``).
CUSTOMER_EMAIL = "customer@example.test"
#: What the page shows of a payment (``GET /payments/{id}``'s fields).
SHOWN = ("id", "status", "amount", "currency", "failure_code", "failure_message", "next_action")
TIMEOUT = (3.05, 30)
#: Each loopback name and the other one: the same server, another origin.
LOOPBACK_TWIN = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def demo_origin(own_origin: str) -> str:
    """The origin the demo page is served from: PayWave's own with ``localhost`` and ``127.0.0.1`` swapped
    (the ingress answers both), so the page is another origin than the card fields; PayWave's own when its
    host is neither."""
    parts = urllib.parse.urlsplit(own_origin)
    twin = LOOPBACK_TWIN.get(parts.hostname or "")
    return own_origin if twin is None else own_origin.replace(f"//{parts.hostname}", f"//{twin}", 1)


def _page(api: str, publishable_key: str) -> bytes:
    template = string.Template(assets.read("demo.html").decode())
    return template.substitute(
        paywave=html.escape(api),
        key=html.escape(publishable_key),
        product=html.escape(PRODUCT.name),
        price=f"${PRODUCT.amount // 100}.{PRODUCT.amount % 100:02d}",
    ).encode()


class Page:
    """``GET /checkout/demo``: the shop's page (redirected to ``demo_origin`` when asked at another)."""

    public = True

    def __init__(self, api: str, own_origin: str, publishable_key: str):
        self.own_origin = own_origin
        self.origin = demo_origin(own_origin)
        self.body = _page(api, publishable_key)

    def on_get(self, req, resp):
        if f"{req.scheme}://{req.netloc}" != self.origin:
            query = f"?{req.query_string}" if req.query_string else ""
            raise falcon.HTTPFound(f"{self.origin}{req.path}{query}")
        resp.data = self.body
        resp.content_type = falcon.MEDIA_HTML
        resp.cache_control = ("no-store",)
        resp.set_header(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self' {self.own_origin}; frame-src {self.own_origin}; "
            "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )


class _Shop:
    """What the shop's server needs: PayWave's address (``api``), the secret key, and the page's origin (the
    only one its endpoints answer, a cheap stand-in for a shop's CSRF protection)."""

    public = True

    def __init__(self, api: str, own_origin: str, secret_key: str):
        self.api = api
        self.origin = demo_origin(own_origin)
        self.headers = {"Authorization": f"Bearer {secret_key}"}

    def same_origin(self, req) -> None:
        if req.get_header("Origin") not in (None, self.origin):
            raise Problem(403, "Forbidden", "the demo shop answers its own page only", slug="forbidden")

    def call(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        """PayWave's answer to the shop's call: ``(status, body)``.

        Raises:
          Problem: 502 when PayWave did not answer with JSON (the outcome is unknown: the page says so; asking
            again with the same token cannot pay twice, a token pays once).
        """
        try:
            answer = requests.request(method, self.api + path, timeout=TIMEOUT, **kwargs)
            return answer.status_code, answer.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("demo_checkout_unanswered", method=method, error=type(exc).__name__)
            raise Problem(502, "Bad gateway", "PayWave did not answer the shop", slug="bad-gateway") from None

    def answer(self, resp, status: int, body: dict) -> None:
        """PayWave's answer as the page sees it: the payment's shown fields, or the problem as it is."""
        resp.status = status
        shown = {field: body.get(field) for field in SHOWN} if status < 400 else body
        resp.data = orjson.dumps(shown)
        resp.content_type = falcon.MEDIA_JSON if status < 400 else "application/problem+json"


def pay_method(body: dict) -> dict:
    """The demo page's ``{token}`` or ``{paypal: true}`` as a ``payment_method``.

    Raises:
      ValidationFailed: anything else (a card number above all: the shop never takes one).
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("token", "paypal"))
    if body.get("paypal") is True and "token" not in body:
        errors.raise_if_any()
        return {"type": "paypal"}
    token = body.get("token")
    if not (isinstance(token, str) and re.fullmatch(validation.TOKEN_ID, token)):
        errors.add("token", "must be a card token (tok_...) from the card fields, or send paypal: true")
    errors.raise_if_any()
    return {"type": "token", "token": token}


class Pay(_Shop):
    """``POST /checkout/demo/pay`` ``{token}`` or ``{paypal: true}``: the shop's server creates a payment."""

    def on_post(self, req, resp):
        self.same_origin(req)
        method = pay_method(req.context.body)
        order = new_id("ord")
        body = {
            "amount": PRODUCT.amount,
            "currency": PRODUCT.currency,
            "description": PRODUCT.name,
            "payment_method": method,
            "return_url": f"{self.origin}/checkout/demo",
            "customer_details": {"email": CUSTOMER_EMAIL},
        }
        headers = {**self.headers, "Idempotency-Key": order, "X-Request-Id": f"demo-{order}"}
        status, answer = self.call("POST", "/payments", json=body, headers=headers)
        log.info(
            "demo_checkout_payment",
            request_id=headers["X-Request-Id"],
            # what a merchant's server sends: a token, never a card; the customer's address never in a log
            sent={**body, "customer_details": {"email": mask_email(CUSTOMER_EMAIL)}},
            status=status,
            payment_id=answer.get("id"),
        )
        self.answer(resp, status, answer)


class Payment(_Shop):
    """``GET /checkout/demo/payments/{payment_id}``: the shop's server reads the payment for its page."""

    def on_get(self, req, resp, payment_id):
        self.same_origin(req)
        if not PAYMENT_ID.fullmatch(payment_id):
            raise ValidationFailed([{"field": "payment_id", "reason": "must be a payment id (pay_...)"}])
        self.answer(resp, *self.call("GET", f"/payments/{payment_id}", headers=self.headers))


def routes(app: falcon.App, config, own_origin: str) -> None:
    """Add the demo shop's page, assets and server side to ``app``.

    Parameters:
      own_origin: ``PAYWAVE_PUBLIC_URL``'s origin.
    """
    api = config.public_url.rstrip("/")
    app.add_route("/checkout/demo", Page(api, own_origin, config.demo_publishable_key))
    for name in ("demo.js", "demo.css"):
        app.add_route(f"/checkout/demo/{name}", assets.Asset(name))
    app.add_route("/checkout/demo/pay", Pay(api, own_origin, config.demo_secret_key))
    app.add_route("/checkout/demo/payments/{payment_id}", Payment(api, own_origin, config.demo_secret_key))
