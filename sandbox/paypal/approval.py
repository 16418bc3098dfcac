"""The buyer's side of a PayPal wallet order: the checkout page PayPal's ``payer-action`` link opens
(``/checkoutnow?token=<order id>``), where the buyer approves or cancels, and the redirect back to the
merchant's ``return_url`` or ``cancel_url`` as PayPal makes it.

The order's states change in ``PayPalSandbox.answer_buyer``; this module is the page, the buyer's
details, the redirect and the check of the ``experience_context`` that says where it goes.
"""

import html
import re
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import falcon

from sandbox.paypal.wire import Problem, text

PATH = "/checkoutnow"

#: ``payment_source.paypal.experience_context`` fields of PayPal's document with a closed set of values.
CHOICES = {
    "shipping_preference": ("GET_FROM_FILE", "NO_SHIPPING", "SET_PROVIDED_ADDRESS"),
    "landing_page": ("LOGIN", "GUEST_CHECKOUT", "NO_PREFERENCE"),
    "user_action": ("CONTINUE", "PAY_NOW"),
    "payment_method_preference": ("UNRESTRICTED", "IMMEDIATE_PAYMENT_REQUIRED"),
}
#: Its fields that are URLs the buyer's browser is sent to.
URLS = ("return_url", "cancel_url")
LOCALE = re.compile(r"[a-z]{2}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")  # PayPal's language
MERCHANT = "PayWave test merchant"  # the page's name for the merchant without a ``brand_name``
PAYER_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # PayPal's payer ids: 13 of these
BUYER = {"given_name": "Sandbox", "surname": "Buyer"}  # who approves every sandbox order

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>PayPal Checkout - sandbox</title>
<style>body{{margin:0;font-family:system-ui,Helvetica,Arial,sans-serif;background:#f5f7fa;color:#2c2e2f}}
header{{background:#fff;border-bottom:1px solid #dde;padding:1rem;text-align:center}}
.logo{{font:italic 700 1.8rem Verdana,sans-serif}}.pay{{color:#003087}}.pal{{color:#009cde}}
main{{max-width:26rem;margin:2rem auto;background:#fff;border-radius:.6rem;padding:1.5rem 2rem;
box-shadow:0 1px 4px #0002}}.amount{{font-size:1.8rem;font-weight:600;margin:.2rem 0 1rem}}
button{{width:100%;font-size:1.05rem;padding:.8rem;border-radius:2rem;border:0;cursor:pointer;margin:.4rem 0}}
#approve{{background:#0070ba;color:#fff}}#cancel{{background:none;color:#0070ba;text-decoration:underline}}
.note{{font-size:.8rem;color:#6c7378;text-align:center}}</style></head>
<body><header><span class="logo"><span class="pay">Pay</span><span class="pal">Pal</span></span>
<div class="note">Sandbox: no real money moves</div></header>
<main><p>Pay <strong id="merchant">{merchant}</strong></p>
<p class="amount" id="amount">{amount}</p>{description}
<p>Paying as <strong>{buyer}</strong> with the PayPal balance.</p>
<form method="post" action="{action}"><button id="approve" name="action" value="approve">{label}</button>
<button id="cancel" name="action" value="cancel">Cancel and return to {merchant}</button></form></main>
</body></html>
"""
DONE = "<!doctype html><p>{what}: the merchant gave no address to return to; you may close this window.</p>"


def payer_id():
    """A new PayPal payer id (``account_id``): 13 characters of ``PAYER_ID_ALPHABET``."""
    return "".join(secrets.choice(PAYER_ID_ALPHABET) for _ in range(13))


def buyer(account_id):
    """The sandbox's buyer as an approved order shows them: ``(payment_source.paypal, payer)``."""
    name = dict(BUYER)
    email = f"buyer-{account_id.lower()}@personal.example.com"
    wallet = {
        "email_address": email,
        "account_id": account_id,
        "account_status": "VERIFIED",
        "name": name,
        "address": {"country_code": "US"},
    }
    return wallet, {
        "name": name,
        "email_address": email,
        "payer_id": account_id,
        "address": {"country_code": "US"},
    }


def back_to(url, **params):
    """``url`` with ``params`` added to its query, as PayPal sends the buyer back."""
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *params.items()])
    return urlunsplit(parts._replace(query=query))


def wallet_context(source, key):
    """The ``experience_context`` of a PayPal wallet payment source, checked against PayPal's document;
    fields the sandbox does not model (``vault_id``, the payer's details...) are refused."""
    if not key:
        raise Problem(400, "PAYPAL_REQUEST_ID_REQUIRED")
    field = "/payment_source/paypal"
    _only(source, {"paypal"}, "/payment_source")  # one source at a time
    wallet = source["paypal"]
    if not isinstance(wallet, dict):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", field)
    _only(wallet, {"experience_context"}, field)
    context, field = wallet.get("experience_context", {}), f"{field}/experience_context"
    if not isinstance(context, dict):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", field)
    _only(context, {"brand_name", "locale", *CHOICES, *URLS}, field)
    for name, choices in CHOICES.items():
        if name in context and context[name] not in choices:
            raise Problem(400, "INVALID_PARAMETER_VALUE", f"{field}/{name}")
    if "brand_name" in context:
        text(context["brand_name"], f"{field}/brand_name", 127)
    if "locale" in context and not (
        isinstance(context["locale"], str) and LOCALE.fullmatch(context["locale"])
    ):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", f"{field}/locale")
    for name in URLS:
        if name in context and not _browser_url(context[name]):
            raise Problem(400, "INVALID_PARAMETER_SYNTAX", f"{field}/{name}")
    return context


def _only(body, known, field):
    """Refuse the first field of ``body`` not in ``known``."""
    unknown = sorted(set(body) - known)
    if unknown:
        raise Problem(400, "NOT_SUPPORTED", f"{field}/{unknown[0]}")


def _browser_url(value):
    """An absolute http(s) URL a browser can be sent to."""
    if not isinstance(value, str) or len(value) > 2048:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class ApprovalPage:
    """``GET /checkoutnow?token=<order id>``: the checkout page of an order waiting for its buyer;
    ``POST`` with ``action=approve|cancel`` answers it (``PayPalSandbox.answer_buyer``) and
    redirects (303) to ``return_url?token=<order id>&PayerID=<payer id>`` or ``cancel_url?token=<order id>``.
    """

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def on_get(self, req, resp):
        order, context = self.sandbox.waiting_order(req.get_param("token", required=True))
        unit = order["purchase_units"][0]
        merchant = html.escape(context.get("brand_name", MERCHANT))
        description = unit.get("description")
        resp.content_type = falcon.MEDIA_HTML
        resp.text = PAGE.format(
            merchant=merchant,
            amount=html.escape(f"{unit['amount']['value']} {unit['amount']['currency_code']}"),
            description=f'<p id="description">{html.escape(description)}</p>' if description else "",
            buyer=f"{BUYER['given_name']} {BUYER['surname']}",
            action=html.escape(f"{PATH}?{urlencode({'token': order['id']})}"),
            label="Pay Now" if context.get("user_action") == "PAY_NOW" else "Continue",
        )

    def on_post(self, req, resp):
        token = req.get_param("token", required=True)
        action = dict(parse_qsl(req.bounded_stream.read().decode("utf-8", "replace"))).get("action")
        if action not in ("approve", "cancel"):
            raise falcon.HTTPBadRequest(description="action must be approve or cancel")
        approved = action == "approve"
        account_id, context = self.sandbox.answer_buyer(token, approved, req.prefix)
        target = context.get("return_url" if approved else "cancel_url")
        if target is None:
            resp.content_type = falcon.MEDIA_HTML
            resp.text = DONE.format(what="Approved" if approved else "Canceled")
            return
        params = {"token": token, "PayerID": account_id} if approved else {"token": token}
        raise falcon.HTTPSeeOther(back_to(target, **params))
