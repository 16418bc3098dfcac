"""A notification's subject, text and HTML from Jinja2 templates: PayWave's defaults (``templates/<language>/
<event>.<kind>``), or the merchant's (``settings.notifications.templates``), every one rendered in a
``SandboxedEnvironment`` (a merchant's template reaches no Python object) with ``StrictUndefined`` (a
misspelt variable is an error, found when the merchant saves the template: ``template_error``).

What a template sees (``context``) is built here and only here: amounts formatted for the currency and the
locale, the card as brand and last four digits, a failure as a reason a customer may read.
"""

import datetime
import functools
import importlib.resources
import traceback
from typing import Any

import babel
import babel.dates
import babel.numbers
import jinja2
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from shared import money

KINDS = ("subject", "text", "html")
#: Languages PayWave ships templates in; another locale gets English words with its own number format.
LANGUAGES = ("en", "fr")
DEFAULT_LOCALE = "en"
_NAME = "<template>"  # the file name tracebacks give a merchant's template: where its errors are
#: Bounds that keep a merchant's template cheap to render (it runs in the ingress when saved): no number past
#: this, in the source or computed, and no string or list longer than ``MAX_LENGTH`` made by ``*``.
MAX_NUMBER, MAX_LENGTH = 1_000_000, 100_000


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no attribute of Python's internals), and no unbounded work either: no ``range``,
    ``lipsum``, ``namespace`` (nothing accumulates across a loop), no macro (no recursion), no loop inside a
    loop, and ``*``/``**`` checked (``_bounded``)."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(undefined=jinja2.StrictUndefined, **options)
        for name in ("range", "lipsum", "namespace", "cycler", "joiner"):
            self.globals.pop(name, None)

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        """Raises:
        SecurityError: a number past ``MAX_NUMBER`` or a sequence past ``MAX_LENGTH`` would be made.
        """
        if operator == "**" and not (isinstance(right, int) and abs(right) <= 64):
            raise SecurityError("an exponent is at most 64")
        result = super().call_binop(context, operator, left, right)
        too_big = (
            len(result) > MAX_LENGTH if isinstance(result, str | list | tuple) else abs(result) > MAX_NUMBER
        )
        if too_big:
            raise SecurityError(f"{operator} makes a value too large for a notification")
        return result


def _check(tree: jinja2.nodes.Template) -> None:
    """Raises:
    TemplateSyntaxError: a macro, a call block, a loop inside a loop, or a number past ``MAX_NUMBER``.
    """
    for node in tree.find_all((jinja2.nodes.Macro, jinja2.nodes.CallBlock)):
        raise jinja2.TemplateSyntaxError("macros are not available in notifications", node.lineno, _NAME)
    for loop in tree.find_all(jinja2.nodes.For):
        for inner in loop.find_all(jinja2.nodes.For):
            raise jinja2.TemplateSyntaxError("a loop inside a loop is not available", inner.lineno, _NAME)
    for const in tree.find_all(jinja2.nodes.Const):
        if isinstance(const.value, int | float) and abs(const.value) > MAX_NUMBER:
            raise jinja2.TemplateSyntaxError(f"numbers are at most {MAX_NUMBER}", const.lineno, _NAME)


_TEXT = _Sandbox(keep_trailing_newline=True)
_HTML = _Sandbox(autoescape=True)
BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover"}
#: Failure codes a customer may be told about; any other (a gateway's internals, a fraud rule: ``blocked``)
#: is just ``declined``.
REASONS = {
    "en": {
        "declined": "your bank declined the payment",
        "insufficient_funds": "the card has insufficient funds",
        "expired_card": "the card has expired",
        "incorrect_cvc": "the card's security code was incorrect",
        "authentication_failed": "the card could not be authenticated",
        "action_expired": "the payment was not completed in time",
    },
    "fr": {
        "declined": "votre banque a refusé le paiement",
        "insufficient_funds": "le solde de la carte est insuffisant",
        "expired_card": "la carte a expiré",
        "incorrect_cvc": "le code de sécurité de la carte était incorrect",
        "authentication_failed": "la carte n'a pas pu être authentifiée",
        "action_expired": "le paiement n'a pas été finalisé à temps",
    },
}


class TemplateFailed(ValueError):
    """A template does not compile or render; the message names the line."""


def is_locale(text: str) -> bool:
    """Whether babel knows ``text`` (``en``, ``fr_CA``, ``de-DE``)."""
    try:
        babel.Locale.parse(text, sep="-" if "-" in text else "_")
    except (ValueError, babel.UnknownLocaleError):
        return False
    return True


def _locale(text: str) -> babel.Locale:
    return babel.Locale.parse(text, sep="-" if "-" in text else "_")


def _language(locale: str) -> str:
    language = _locale(locale).language
    return language if language in LANGUAGES else DEFAULT_LOCALE


@functools.cache
def default_source(event_type: str, kind: str, language: str) -> str:
    return (
        importlib.resources.files(__package__)
        .joinpath("templates", language, f"{event_type}.{kind}")
        .read_text(encoding="utf-8")
    )


@functools.lru_cache(maxsize=512)
def _compile(kind: str, source: str) -> jinja2.Template:
    env = _HTML if kind == "html" else _TEXT
    tree = env.parse(source, name=_NAME)
    _check(tree)
    return env.from_string(tree)


def _line(exc: Exception) -> int | None:
    """The template line ``exc`` was raised at (jinja puts the template's frames in the traceback)."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == _NAME]
    return getattr(exc, "lineno", None) or (lines[-1] if lines else None)


def _render(kind: str, source: str, context: dict) -> str:
    """Raises:
    TemplateFailed: naming the line and what is wrong (a syntax error, an undefined name, an unsafe
      attribute: ``jinja2.sandbox.SecurityError``).
    """
    try:
        return _compile(kind, source).render(context)
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as exc:
        line = _line(exc)
        where = f"line {line}: " if line else ""
        text = (exc.message if isinstance(exc, jinja2.TemplateError) else None) or str(exc)
        raise TemplateFailed(f"{where}{type(exc).__name__}: {text}"[:300]) from None


def money_text(amount: int, currency: str, locale: str) -> str:
    """``1050, "EUR", "fr"`` → ``10,50 €``: minor units through the currency's exponent, then babel."""
    return babel.numbers.format_currency(money.to_decimal(amount, currency), currency, locale=_locale(locale))


def reason(failure_code: str | None, locale: str) -> str:
    """A failure a customer may read: never a gateway's wording, never which fraud rule said no."""
    texts = REASONS[_language(locale)]
    return texts.get(failure_code or "", texts["declined"])


def context(
    event_type: str,
    payment: dict,
    merchant_name: str,
    locale: str,
    *,
    refund_amount: int = 0,
    action_url: str | None = None,
    when: datetime.datetime,
) -> dict:
    """What every template sees, every name always present (``StrictUndefined``).

    Parameters:
      payment: The payment's object as the event holds it (``store.objects.payment_object``).
      refund_amount: What this refund gave back (``payment.refunded``), in minor units.
      action_url: Where the customer completes the payment (``payment.requires_action``): the merchant's.
    """
    card = payment.get("card")
    currency = payment["currency"]
    return {
        "event_type": event_type,
        "merchant_name": merchant_name,
        "payment_id": payment["id"],
        "amount": money_text(payment["amount"], currency, locale),
        "amount_refunded": money_text(payment["amount_refunded"], currency, locale),
        "refund_amount": money_text(refund_amount, currency, locale),
        "fully_refunded": payment["amount_refunded"] >= (payment["amount_captured"] or payment["amount"]),
        "card": {"brand": BRANDS.get(card["brand"], str(card["brand"]).title()), "last4": card["last4"]}
        if card
        else None,
        "paypal": payment.get("method") == "paypal",
        "description": payment.get("description"),
        "failure_reason": reason(payment.get("failure_code"), locale),
        "action_url": action_url,
        "date": babel.dates.format_date(when, "long", locale=_locale(locale)),
    }


def sample(event_type: str, locale: str = DEFAULT_LOCALE) -> dict:
    """A context of the same shape as a real one, to try a merchant's template on when it is saved."""
    payment = {
        "id": "pay_sample",
        "amount": 1050,
        "amount_captured": 1050,
        "amount_refunded": 500,
        "currency": "USD",
        "card": {"brand": "visa", "last4": "4242"},
        "method": "card",
        "description": "Order 1001",
        "failure_code": "card_declined",
    }
    return context(
        event_type,
        payment,
        "Sample shop",
        locale,
        refund_amount=500,
        action_url="https://shop.example/checkout",
        when=datetime.datetime(2026, 1, 1),
    )


def template_error(event_type: str, kind: str, source: str) -> str | None:
    """Why a merchant's template for ``event_type`` cannot be used (syntax, unknown name, unsafe access), or
    None."""
    try:
        _render(kind, source, sample(event_type))
    except TemplateFailed as exc:
        return str(exc)
    return None


def render(event_type: str, context: dict, locale: str, overrides: dict) -> dict:
    """``{subject, text, html}``: the merchant's template for this event and locale where it has one, else
    PayWave's in the locale's language (English when PayWave has none).

    Parameters:
      overrides: ``settings.notifications.templates`` (``{event: {locale: {kind: source}}}``).

    Raises:
      TemplateFailed.
    """
    mine = overrides.get(event_type, {}).get(locale, {})
    rendered = {
        kind: _render(kind, mine.get(kind) or default_source(event_type, kind, _language(locale)), context)
        for kind in KINDS
    }
    # One header line whatever the template did (babel's no-break spaces kept).
    rendered["subject"] = " ".join(line.strip() for line in rendered["subject"].splitlines() if line.strip())
    return rendered
