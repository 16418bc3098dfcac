"""Request validation: every problem collected and reported by field, nothing echoed
back that could be card data."""

import dataclasses
import datetime
import re
import urllib.parse
from collections.abc import Callable, Collection

from gateways import registry
from gateways.stripe.transformers import METADATA_MAX_KEYS as STRIPE_METADATA_MAX_KEYS
from gateways.stripe.transformers import PAYMENT_ID_KEY
from ingress.errors import ValidationFailed
from shared import money
from shared import notifications as notification_events
from shared.cards import find_pans, luhn_ok, mask_pans
from shared.notifications import render
from shared.queues import GATEWAYS
from shared.radar.attributes import normalize
from store.states import SETTLED, PaymentMethod

MAX_AMOUNT = money.MAX_AMOUNT
METADATA_MAX_KEYS = STRIPE_METADATA_MAX_KEYS - 1  # Stripe's limit counts our PAYMENT_ID_KEY
METADATA_KEY_MAX = 40
METADATA_VALUE_MAX = 500
DESCRIPTION_MAX = 1000
TEMPLATE_MAX = 20_000
REFERENCE_MAX = 255
CUSTOMER_ID = r"cus_[A-Za-z0-9]{24}"
RETURN_URL_MAX = 2048
ORIGIN_MAX, ORIGINS_MAX = 255, 20
#: An origin's characters: a DNS name (IDNs in punycode, as browsers send them) or an IP literal, a port.
ORIGIN = r"https?://([a-z0-9.-]+|\[[0-9a-f:.]+\])(:[0-9]{1,5})?"
LOCAL_HOSTS = ("localhost", "127.0.0.1")
EMAIL_MAX, NAME_MAX = 254, 255
#: A pragmatic address check (RFC 5321 allows more, no mail server does): one @, a dot in the domain.
EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s]+"
#: E.164: a plus, the country code, at most 15 digits in all.
PHONE = r"\+[1-9][0-9]{6,14}"
#: An address as Stripe shapes one (``billing_address``, ``shipping.address``).
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
ADDRESS_LINE_MAX, POSTAL_CODE_MAX = 200, 20
LIST_LIMIT_MAX = 100
DISPLAY_NAME_MAX = 255
#: Stripe's rules: 5 to 22 Latin characters, at least one letter, none of ``< > \ ' " *``.
DESCRIPTOR_MIN, DESCRIPTOR_MAX, DESCRIPTOR_FORBIDDEN = 5, 22, "<>\\'\"*"


class Errors:
    def __init__(self):
        self.items = []

    def add(self, field, reason):
        self.items.append({"field": field, "reason": reason})

    def raise_if_any(self):
        if self.items:
            raise ValidationFailed(self.items)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def amount(errors, value, field="amount"):
    if not _is_int(value):
        errors.add(field, "must be an integer in the currency's minor units (e.g. 1050 for 10.50 USD)")
    elif not 1 <= value <= MAX_AMOUNT:
        errors.add(field, f"must be between 1 and {MAX_AMOUNT}")
    else:
        return value
    return None


def string(errors, field, value, max_length, pattern=None):
    """``value`` when it is a string fit to store (no NUL, no card number), else None with the problem
    added."""
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a string")
    elif len(value) > max_length:
        errors.add(field, f"must be at most {max_length} characters")
    elif pattern and not re.fullmatch(pattern, value):
        errors.add(field, "has an invalid format")
    elif "\x00" in value:  # Postgres text cannot hold it
        errors.add(field, "must not contain NUL characters")
    elif find_pans(value):
        errors.add(field, "must not contain a card number")
    else:
        return value
    return None


def metadata(errors, value):
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.add("metadata", "must be an object of string keys to string values")
        return {}
    if len(value) > METADATA_MAX_KEYS:
        errors.add(
            "metadata",
            f"must have at most {METADATA_MAX_KEYS} keys "
            f"(Stripe holds {STRIPE_METADATA_MAX_KEYS}, one is ours)",
        )
    for key, item in value.items():
        if key == PAYMENT_ID_KEY:  # gateway events are checked against it: only we write it
            errors.add(f"metadata.{key}", "is reserved for PayWave's payment id")
        elif not key or len(key) > METADATA_KEY_MAX:
            errors.add(
                f"metadata.{key[:METADATA_KEY_MAX]}", f"keys must be 1 to {METADATA_KEY_MAX} characters"
            )
        elif not isinstance(item, str) or len(item) > METADATA_VALUE_MAX:
            errors.add(f"metadata.{key}", f"must be a string of at most {METADATA_VALUE_MAX} characters")
        elif "\x00" in key or "\x00" in item:  # Postgres text cannot hold it, nor its jsonb a \u0000
            errors.add(f"metadata.{key.replace(chr(0), '')}", "must not contain NUL characters")
        elif find_pans(item) or find_pans(key):
            errors.add(f"metadata.{mask_pans(key)}", "must not contain a card number")
    return value


def unknown(errors, body, allowed, prefix=""):
    """Add a problem for each field of ``body`` not in ``allowed``."""
    for key in body:
        if key not in allowed:
            errors.add(prefix + str(key)[:64], "is not a known field")


TOKEN_ID = r"tok_[A-Za-z0-9]{24}"
#: A Stripe PaymentMethod's id: ``pm_`` and Stripe's own letters (``pm_1Nx…``, ``pm_card_visa`` in test mode).
STRIPE_PAYMENT_METHOD_ID = r"pm_[A-Za-z0-9_]{1,255}"
PAYMENT_METHOD = (
    'must be {"type": "card", "card": {"number", "exp_month", "exp_year", "cvc"}},'
    ' {"type": "token", "token"}, {"type": "paypal"} or {"type": "stripe_payment_method", "id": "pm_…"}'
)
#: The only gateway that can charge each gateway-bound ``payment_method.type``: no fallback elsewhere.
METHOD_GATEWAYS: dict[str, str] = {
    PaymentMethod.PAYPAL: "paypal",
    PaymentMethod.STRIPE_PAYMENT_METHOD: "stripe",
}


@dataclasses.dataclass(frozen=True)
class MethodChoice:
    """``payment_method`` checked.

    Parameters:
      type: The API's ``payment_method.type``: ``card``, ``token``, ``paypal`` or ``stripe_payment_method``.
      card: A raw card's ``(number, exp_month, exp_year, cvc)`` (never in the repr).
      token: A token's id (``tok_…``).
      id: A Stripe PaymentMethod's id (``pm_…``).
    """

    type: str
    card: tuple | None = dataclasses.field(default=None, repr=False)
    token: str | None = None
    id: str | None = None

    @property
    def gateway(self) -> str | None:
        """The one gateway this method can be charged at; None: any gateway (a card)."""
        return METHOD_GATEWAYS.get(self.type)


def is_raw_card(value) -> bool:
    """Whether ``payment_method`` sends card data (``type: card``), however well formed."""
    return isinstance(value, dict) and value.get("type") == "card"


def payment_method(errors, value, today=None) -> MethodChoice | None:
    """Validate ``payment_method``: a raw card, a token, PayPal's wallet or a Stripe PaymentMethod.

    Returns:
      The method, or None with the problems added.
    """
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "token":
        unknown(errors, value, ("type", "token"), "payment_method.")
        token = value.get("token")
        if isinstance(token, str) and re.fullmatch(TOKEN_ID, token):
            return MethodChoice("token", token=token)
        errors.add("payment_method.token", "must be a token id (tok_ and 24 letters or digits): POST /tokens")
        return None
    if kind == PaymentMethod.PAYPAL:
        unknown(errors, value, ("type",), "payment_method.")
        return MethodChoice(PaymentMethod.PAYPAL)
    if kind == PaymentMethod.STRIPE_PAYMENT_METHOD:
        unknown(errors, value, ("type", "id"), "payment_method.")
        pm = value.get("id")
        if isinstance(pm, str) and re.fullmatch(STRIPE_PAYMENT_METHOD_ID, pm):
            return MethodChoice(PaymentMethod.STRIPE_PAYMENT_METHOD, id=pm)
        errors.add("payment_method.id", "must be a Stripe PaymentMethod id (pm_ and letters, digits or _)")
        return None
    if kind != PaymentMethod.CARD or not isinstance(value.get("card"), dict):
        errors.add("payment_method", PAYMENT_METHOD)
        return None
    unknown(errors, value, ("type", "card"), "payment_method.")
    checked = card(errors, value["card"], "payment_method.card", today)
    return None if checked is None else MethodChoice(PaymentMethod.CARD, card=checked)


def card(errors, c, field, today=None):
    """Validate a card object ``{number, exp_month, exp_year, cvc}`` at ``field``.

    Returns:
      ``(number, exp_month, exp_year, cvc)``, or None with the problems added.
    """
    if not isinstance(c, dict):
        errors.add(field, "must be an object {number, exp_month, exp_year, cvc}")
        return None
    unknown(errors, c, ("number", "exp_month", "exp_year", "cvc"), f"{field}.")
    before = len(errors.items)
    number = c.get("number")
    if isinstance(number, str):
        number = number.replace(" ", "").replace("-", "")
    if not isinstance(number, str) or not number.isdigit() or not 12 <= len(number) <= 19:
        errors.add(f"{field}.number", "must be a string of 12 to 19 digits")
    elif not luhn_ok(number):
        errors.add(f"{field}.number", "is not a valid card number (checksum)")
    month, year = c.get("exp_month"), c.get("exp_year")
    if not _is_int(month) or not 1 <= month <= 12:
        errors.add(f"{field}.exp_month", "must be an integer from 1 to 12")
    if not _is_int(year) or not 2000 <= year <= 2100:
        errors.add(f"{field}.exp_year", "must be a four-digit year")
    if len(errors.items) == before:
        today = today or datetime.date.today()
        if (year, month) < (today.year, today.month):
            errors.add(f"{field}.exp_year", "the card has expired")
    cvc = c.get("cvc")
    if cvc is not None and (not isinstance(cvc, str) or not cvc.isdigit() or not 3 <= len(cvc) <= 4):
        errors.add(f"{field}.cvc", "must be a string of 3 or 4 digits")
    if len(errors.items) > before:
        return None
    return number, month, year, cvc


def currency(errors, field, value):
    """``value`` upper-cased when it is an ISO 4217 code (any case), else None with the problem added."""
    if not isinstance(value, str):
        errors.add(field, "must be an ISO 4217 code such as USD")
        return None
    try:
        money.exponent(value.upper())
    except money.UnknownCurrency:
        errors.add(field, f"{value[:8]!r} is not an ISO 4217 currency code")
        return None
    return value.upper()


def payment_create(body: dict, accepted: Collection[str] | None = None, local_return_urls: bool = False):
    """Returns ``(fields, method)`` for ``store.payments.create``: ``method`` a ``MethodChoice``.

    A method only one gateway can charge (``MethodChoice.gateway``) refuses a ``gateway`` preference for
    another; PayPal's wallet needs ``return_url`` (the buyer comes back there from PayPal's page).

    Parameters:
      accepted: The merchant's accepted currencies; None: every ISO 4217 currency.
      local_return_urls: Accept ``http://localhost`` and ``http://127.0.0.1`` return URLs (development).

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = Errors()
    unknown(
        errors,
        body,
        (
            "amount",
            "currency",
            "payment_method",
            "capture",
            "gateway",
            "description",
            "metadata",
            "customer",
            "return_url",
            "customer_details",
            "billing_address",
            "shipping",
        ),
    )
    fields = {"amount": amount(errors, body.get("amount"))}
    fields["currency"] = currency(errors, "currency", body.get("currency"))
    if fields["currency"] and accepted is not None and fields["currency"] not in accepted:
        errors.add(
            "currency", f"is not among the merchant's accepted currencies ({', '.join(sorted(accepted))})"
        )
    capture = body.get("capture", "automatic")
    if capture not in ("automatic", "manual"):
        errors.add("capture", "must be automatic or manual")
    fields["capture"] = capture
    gateway = body.get("gateway")
    if gateway is not None and gateway not in GATEWAYS:
        errors.add("gateway", f"must be one of {', '.join(GATEWAYS)}")
    fields["gateway_preference"] = gateway
    fields["description"] = string(errors, "description", body.get("description"), DESCRIPTION_MAX)
    fields["customer"] = customer_id(errors, "customer", body.get("customer"))
    fields["metadata"] = metadata(errors, body.get("metadata"))
    fields["return_url"] = return_url(errors, body.get("return_url"), local_return_urls)
    fields["customer_details"] = customer_details(errors, body.get("customer_details"))
    fields["billing_address"] = address(errors, "billing_address", body.get("billing_address"))
    fields["shipping"] = shipping(errors, body.get("shipping"))
    method = payment_method(errors, body.get("payment_method"))
    if method is not None and method.gateway and gateway not in (None, method.gateway):
        errors.add("gateway", f"must be {method.gateway} (or left out) for a {method.type} payment_method")
    if method is not None and method.type == PaymentMethod.PAYPAL and body.get("return_url") is None:
        errors.add("return_url", "is required with a paypal payment_method: the buyer comes back there")
    errors.raise_if_any()
    return fields, method


def return_url(errors, value, local):
    """``value`` when it is where a customer's browser may be sent back (https; http to this machine when
    ``local``), else None with the problem added."""
    checked = string(errors, "return_url", value, RETURN_URL_MAX)
    if checked is None:
        return None
    try:
        parts = urllib.parse.urlsplit(checked)
        scheme, host = parts.scheme, parts.hostname
    except ValueError:  # a malformed IPv6 literal
        scheme = host = None
    secure = scheme == "https" or (local and scheme == "http" and host in LOCAL_HOSTS)
    if not (host and secure) or any(c.isspace() or ord(c) < 32 for c in checked):
        errors.add(
            "return_url",
            "must be an https URL" + (" (or http://localhost, http://127.0.0.1)" if local else ""),
        )
        return None
    return checked


def _object(errors, field, value, allowed) -> dict | None:
    """``value`` when it is an object of no fields but ``allowed``, else None with the problem added."""
    if value is None:
        return None
    if not isinstance(value, dict):
        errors.add(field, "must be an object")
        return None
    unknown(errors, value, allowed, prefix=field + ".")
    return value


def customer_details(errors, value) -> dict | None:
    """The customer as the payment names them, for fraud rules (``:email:``, ``:ip_address:``): ``email``,
    ``ip_address`` (stored compressed), ``name``, ``phone`` (E.164), each optional; None when not given."""
    given = _object(errors, "customer_details", value, ("email", "ip_address", "name", "phone"))
    if given is None:
        return None
    field = "customer_details."
    details = {
        "email": formatted(
            errors, field + "email", given.get("email"), EMAIL_MAX, EMAIL, "must be an email address"
        ),
        "ip_address": None,
        "name": string(errors, field + "name", given.get("name"), NAME_MAX),
        "phone": formatted(
            errors, field + "phone", given.get("phone"), 16, PHONE, "must be E.164: +14155550123"
        ),
    }
    ip = string(errors, field + "ip_address", given.get("ip_address"), 45)
    if ip is not None:
        try:
            details["ip_address"] = normalize("ip_address", ip)
        except ValueError as exc:
            errors.add(field + "ip_address", str(exc))
    return _given(details)


def address(errors, field, value) -> dict | None:
    """An address as Stripe shapes one (``line1``, ``line2``, ``city``, ``state``, ``postal_code``,
    ``country`` as ISO 3166 alpha-2, stored uppercase), each optional; None when not given."""
    given = _object(errors, field, value, ADDRESS_FIELDS)
    if given is None:
        return None
    found = {
        name: string(errors, f"{field}.{name}", given.get(name), ADDRESS_LINE_MAX)
        for name in ("line1", "line2", "city", "state")
    }
    found["postal_code"] = string(errors, f"{field}.postal_code", given.get("postal_code"), POSTAL_CODE_MAX)
    country = string(errors, f"{field}.country", given.get("country"), 2)
    found["country"] = None
    if country is not None:
        try:
            found["country"] = normalize("country", country)
        except ValueError as exc:
            errors.add(f"{field}.country", str(exc))
    return _given(found)


def shipping(errors, value) -> dict | None:
    """Where the goods go: ``{name?, address}`` (``address`` required, as Stripe's ``shipping``)."""
    given = _object(errors, "shipping", value, ("name", "address"))
    if given is None:
        return None
    if given.get("address") is None:
        errors.add("shipping.address", "is required")
    return _given(
        {
            "name": string(errors, "shipping.name", given.get("name"), NAME_MAX),
            "address": address(errors, "shipping.address", given.get("address")),
        }
    )


def _given(fields: dict) -> dict:
    """``fields`` without those not given (stored and shown as the merchant sent them)."""
    return {name: value for name, value in fields.items() if value is not None}


def customer_id(errors, field, value):
    """``value`` when it has the form of a customer id (``cus_…``), else None with the problem added."""
    if value is not None and not (isinstance(value, str) and re.fullmatch(CUSTOMER_ID, value)):
        errors.add(
            field, "must be a customer id (cus_ and 24 letters or digits): create one with POST /customers"
        )
        return None
    return value


def formatted(errors, field, value, max_length, pattern, reason):
    """``value`` when it is a storable string (``string``) matching ``pattern``, else None with the problem
    (``reason`` when only the pattern fails) added."""
    checked = string(errors, field, value, max_length)
    if checked is not None and not re.fullmatch(pattern, checked):
        errors.add(field, reason)
        return None
    return checked


def customer_fields(body: dict) -> dict:
    """A customer as ``POST /customers`` creates it and ``PUT /customers/{id}`` replaces it: ``email`` and
    ``name`` required, ``phone`` (E.164) and ``metadata`` optional.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = Errors()
    unknown(errors, body, ("email", "name", "phone", "metadata"))
    for field in ("email", "name"):
        if body.get(field) is None:
            errors.add(field, "is required")
    fields = {
        "email": formatted(errors, "email", body.get("email"), EMAIL_MAX, EMAIL, "must be an email address"),
        "name": string(errors, "name", body.get("name"), NAME_MAX),
        "phone": formatted(errors, "phone", body.get("phone"), 16, PHONE, "must be E.164: +14155550123"),
        "metadata": metadata(errors, body.get("metadata")),
    }
    if fields["name"] is not None and not fields["name"].strip():
        errors.add("name", "must not be blank")
    errors.raise_if_any()
    return fields


def payment_update(body: dict):
    errors = Errors()
    unknown(errors, body, ("description", "metadata", "amount"))
    changes = {}
    if "description" in body:
        changes["description"] = string(errors, "description", body["description"], DESCRIPTION_MAX)
    if "metadata" in body:
        changes["metadata"] = metadata(errors, body["metadata"])
    if "amount" in body:
        changes["amount"] = amount(errors, body["amount"])
    if not body:
        errors.add("body", "give at least one of description, metadata, amount")
    errors.raise_if_any()
    return changes


def _distinct(errors, field, value, item):
    """None (not set), or a non-empty list of distinct entries, each checked by ``item``."""
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        errors.add(field, "must be a non-empty list, or null")
        return None
    entries = [item(errors, f"{field}[{i}]", entry) for i, entry in enumerate(value)]
    if None not in entries and len(set(entries)) < len(entries):
        errors.add(field, "must not name an entry twice")
    return entries


def gateway_name(errors, field, value):
    """``value`` when a gateway of that name is registered (``gateways.registry``), else None."""
    if isinstance(value, str) and value in registry.PACKAGES:
        return value
    errors.add(field, f"must be one of {', '.join(registry.PACKAGES)}")
    return None


def display_name(errors, value):
    """Required: 1 to ``DISPLAY_NAME_MAX`` characters, not only spaces."""
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add("display_name", f"must be 1 to {DISPLAY_NAME_MAX} characters")
        return None
    return string(errors, "display_name", value, DISPLAY_NAME_MAX)


def statement_descriptor(errors, value):
    """Stripe's rules for what a card statement shows (``DESCRIPTOR_*``); None clears it."""
    field = "statement_descriptor"
    text = string(errors, field, value, DESCRIPTOR_MAX)
    if text is None:
        return None
    if len(text) < DESCRIPTOR_MIN:
        errors.add(field, f"must be {DESCRIPTOR_MIN} to {DESCRIPTOR_MAX} characters")
    elif not (text.isascii() and text.isprintable()):
        errors.add(field, "must be printable Latin characters (ASCII)")
    elif not any(c.isalpha() for c in text):
        errors.add(field, "must contain at least one letter")
    elif any(c in DESCRIPTOR_FORBIDDEN for c in text):
        errors.add(field, f"must not contain any of {' '.join(DESCRIPTOR_FORBIDDEN)}")
    return text


def canonical_origin(text: str) -> str | None:
    """``text``'s origin as a browser's ``Origin`` header spells it (lower case, no default port), or None
    when ``text`` is no http(s) URL with a host."""
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:  # a malformed IPv6 literal or port
        return None
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    if not parts.hostname or default_port is None:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + ("" if port in (None, default_port) else f":{port}")


def origin(errors, field, value, production):
    """``value`` when it is an origin exactly as browsers send it (``scheme://host[:port]``: no path, no
    user, no default port), https (or http outside ``production``), else None with the problem added."""
    schemes = ("https",) if production else ("https", "http")
    if (
        not isinstance(value, str)
        or len(value) > ORIGIN_MAX
        or not re.fullmatch(ORIGIN, value)  # nothing a header (CSP, CORS) could read as more than one origin
        or canonical_origin(value) != value
    ):
        errors.add(field, f"must be an origin {' or '.join(schemes)}://host[:port], as browsers send it")
        return None
    if urllib.parse.urlsplit(value).scheme not in schemes:
        errors.add(field, "must be an https origin in production")
        return None
    return value


def checkout_settings(errors, field, value, production):
    """``{allowed_origins: [origin, ...]}``: the merchant's pages that may mount the card fields and send
    ``POST /tokens`` from a browser (``ingress.checkout``)."""
    if not isinstance(value, dict):
        errors.add(field, "must be an object {allowed_origins: [...]}, or null")
        return None
    unknown(errors, value, ("allowed_origins",), f"{field}.")
    origins = value.get("allowed_origins")
    if not isinstance(origins, list) or len(origins) > ORIGINS_MAX:
        errors.add(f"{field}.allowed_origins", f"must be a list of at most {ORIGINS_MAX} origins")
        return None
    entries = [origin(errors, f"{field}.allowed_origins[{i}]", o, production) for i, o in enumerate(origins)]
    if None not in entries and len(set(entries)) < len(entries):
        errors.add(f"{field}.allowed_origins", "must not name an origin twice")
    return {"allowed_origins": entries}


def notifications_settings(errors, field, value, production):
    """What the merchant's customers are told of by email (issue 16, ``store.notifications``):
    ``enabled_events`` (of ``shared.notifications.EVENTS``), ``from_name``, ``reply_to``, ``locale`` (one
    babel knows), ``return_url`` (where a ``payment.requires_action`` notice sends a payment without its
    own) and ``templates`` ``{event: {locale: {subject, text, html}}}``, each tried in the sandbox when
    saved."""
    allowed = ("enabled_events", "from_name", "reply_to", "locale", "return_url", "templates")
    if not isinstance(value, dict):
        errors.add(field, f"must be an object of {', '.join(allowed)}, or null")
        return None
    unknown(errors, value, allowed, f"{field}.")
    events = value.get("enabled_events", [])
    if not isinstance(events, list):
        errors.add(f"{field}.enabled_events", "must be a list of " + ", ".join(notification_events.EVENTS))
        events = []
    for i, event in enumerate(events):
        if event not in notification_events.EVENTS:
            errors.add(
                f"{field}.enabled_events[{i}]", f"must be one of {', '.join(notification_events.EVENTS)}"
            )
    string(errors, f"{field}.from_name", value.get("from_name"), NAME_MAX)
    string(errors, f"{field}.reply_to", value.get("reply_to"), EMAIL_MAX, EMAIL)
    locale = value.get("locale")
    if locale is not None and not (isinstance(locale, str) and render.is_locale(locale)):
        errors.add(f"{field}.locale", "must be a locale, e.g. en, fr, de_CH")
    url = string(errors, f"{field}.return_url", value.get("return_url"), RETURN_URL_MAX)
    if url is not None and not _web_page(url, production):
        errors.add(f"{field}.return_url", "must be an https URL" + ("" if production else " (or http)"))
    notification_templates(errors, f"{field}.templates", value.get("templates", {}))
    return value


def notification_templates(errors, field, templates):
    """``{event: {locale: {subject, text, html}}}``: each template rendered once on a sample in the sandbox,
    so one that does not compile, names an unknown variable or reaches for Python internals
    (``jinja2.sandbox.SecurityError``) is refused now, with its line, not when a customer should get it."""
    if not isinstance(templates, dict):
        errors.add(field, "must be an object {event: {locale: {subject, text, html}}}")
        return
    for event, locales in templates.items():
        where = f"{field}.{event[:64]}"
        if event not in notification_events.EVENTS or not isinstance(locales, dict):
            errors.add(
                where, f"must name one of {', '.join(notification_events.EVENTS)}: {{locale: {{...}}}}"
            )
            continue
        for locale_name, kinds in locales.items():
            if not render.is_locale(locale_name) or not isinstance(kinds, dict):
                errors.add(f"{where}.{locale_name[:32]}", "must name a locale: {subject, text, html}")
                continue
            unknown(errors, kinds, render.KINDS, f"{where}.{locale_name}.")
            for kind in render.KINDS:
                source = string(errors, f"{where}.{locale_name}.{kind}", kinds.get(kind), TEMPLATE_MAX)
                problem = source and render.template_error(event, kind, source)
                if problem:
                    errors.add(f"{where}.{locale_name}.{kind}", problem)


def _web_page(url, production):
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    schemes = ("https",) if production else ("https", "http")
    return parts.scheme in schemes and bool(parts.hostname) and not any(c.isspace() for c in url)


#: ``settings`` sections, each with its check ``f(errors, field, value, production) -> value``: later issues
#: add theirs (notifications, risk) here and none needs a migration (the column holds any JSON object).  A
#: section not listed is refused, so a misspelt one is never stored as a setting nobody reads.
SETTINGS_SECTIONS: dict[str, Callable] = {
    "checkout": checkout_settings,
    "notifications": notifications_settings,
}


def settings(errors, value, production):
    """The sections to replace; a section set to null is removed (``store.merchants.update``)."""
    if not isinstance(value, dict):
        errors.add("settings", "must be an object of settings sections")
        return None
    checked = {}
    for name, section in value.items():
        check = SETTINGS_SECTIONS.get(name)
        if check is None:
            errors.add(f"settings.{name[:64]}", "is not a known setting")
        else:
            checked[name] = (
                None if section is None else check(errors, f"settings.{name}", section, production)
            )
    return checked


#: What ``PATCH /merchant`` may change, each field's check ``f(errors, value, production) -> value``.
MERCHANT_FIELDS: dict[str, Callable] = {
    "display_name": lambda errors, value, production: display_name(errors, value),
    "default_currency": lambda errors, value, production: currency(errors, "default_currency", value),
    "accepted_currencies": lambda errors, value, production: _distinct(
        errors, "accepted_currencies", value, currency
    ),
    "route": lambda errors, value, production: _distinct(errors, "route", value, gateway_name),
    "statement_descriptor": lambda errors, value, production: statement_descriptor(errors, value),
    "settings": settings,
}


#: What ``GET /merchant`` shows that ``PATCH /merchant`` may not change, and why.
MERCHANT_READ_ONLY = {
    "raw_card_data": "is read-only: an operator allows raw card numbers (paywave admin set-raw-cards)",
}


def merchant_changes(body: dict, production: bool = True) -> dict:
    """The fields of ``body`` checked (``MERCHANT_FIELDS``), for ``store.merchants``.

    Parameters:
      production: Check as production does (e.g. https origins only).

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = Errors()
    unknown(errors, {k: v for k, v in body.items() if k not in MERCHANT_READ_ONLY}, MERCHANT_FIELDS)
    for field in MERCHANT_READ_ONLY.keys() & body.keys():
        errors.add(field, MERCHANT_READ_ONLY[field])
    if not body:
        errors.add("body", f"give at least one of {', '.join(MERCHANT_FIELDS)}")
    changes = {
        field: check(errors, body[field], production)
        for field, check in MERCHANT_FIELDS.items()
        if field in body
    }
    errors.raise_if_any()
    return changes


def resolution(body: dict):
    """An operator's settlement (``POST /admin/payments/{id}/resolve``, ``paywave admin resolve``).

    Returns:
      ``(status, reference, reason)``.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = Errors()
    unknown(errors, body, ("status", "reference", "reason"))
    status = body.get("status")
    if status not in SETTLED:
        errors.add("status", f"must be {' or '.join(SETTLED)}")
    reference = string(errors, "reference", body.get("reference"), REFERENCE_MAX)
    if not reference and not any(e["field"] == "reference" for e in errors.items):
        errors.add("reference", "give the gateway's id or a ticket that proves the outcome")
    reason = string(errors, "reason", body.get("reason"), DESCRIPTION_MAX)
    errors.raise_if_any()
    return status, reference, reason


def optional_amount(body: dict, allowed=("amount",)):
    errors = Errors()
    unknown(errors, body, allowed)
    value = amount(errors, body["amount"]) if "amount" in body else None
    if "reason" in allowed:
        string(errors, "reason", body.get("reason"), 255)
    errors.raise_if_any()
    return value
