"""PayPal's money as PayPal documents it, written apart from the adapter's own conversion:
a fake that shared the client's code would agree with the client's bugs.

PayPal sends amounts as decimal strings (``{"currency_code": "USD", "value": "10.50"}``); the
ledger counts ISO 4217 minor units, as PayWave does.
"""

from decimal import Decimal

#: The currencies PayPal's REST API takes (its "Currency codes" reference) → their ISO 4217 exponent.
ISO_EXPONENTS = {
    "JPY": 0,
    **dict.fromkeys(
        [
            "AUD",
            "BRL",
            "CAD",
            "CHF",
            "CNY",
            "CZK",
            "DKK",
            "EUR",
            "GBP",
            "HKD",
            "HUF",
            "ILS",
            "INR",
            "MXN",
            "MYR",
            "NOK",
            "NZD",
            "PHP",
            "PLN",
            "SEK",
            "SGD",
            "THB",
            "TWD",
            "USD",
        ],
        2,
    ),
}
#: Taken by PayPal in whole units only, whatever ISO says (HUF and TWD have two ISO decimals).
WHOLE_UNITS = frozenset({"HUF", "JPY", "TWD"})


def decimals(currency: str) -> int:
    """How many decimals PayPal accepts in a ``value`` of ``currency`` (one it takes)."""
    return 0 if currency in WHOLE_UNITS else ISO_EXPONENTS[currency]


def minor_units(money: dict) -> int:
    """``{"currency_code": "HUF", "value": "10"}`` → ``1000`` (ISO minor units)."""
    return int(Decimal(money["value"]).scaleb(ISO_EXPONENTS[money["currency_code"]]))


def paypal_money(amount: int, currency: str) -> dict:
    """``(1000, "HUF")`` → ``{"currency_code": "HUF", "value": "10"}``: ISO minor units as PayPal writes
    them."""
    value = Decimal(amount).scaleb(-ISO_EXPONENTS[currency])
    return {"currency_code": currency, "value": f"{value:.{decimals(currency)}f}"}
