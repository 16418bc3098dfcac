"""ISO 4217 currencies and their minor-unit exponents.

Amounts are always integers in minor units; this table says how many decimal
places a currency has (JPY 0, USD 2, KWD 3) for gateways that want decimals, and
``to_money``/``from_money`` convert exactly to and from a ``{"currency_code", "value"}`` money object.
"""

from decimal import Decimal

# Active ISO 4217 codes (list one, 2024) with exponents other than 2, then the rest.
_EXPONENT_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_EXPONENT_3 = "BHD IQD JOD KWD LYD OMR TND"
_EXPONENT_4 = "CLF UYW"
_EXPONENT_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
    "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR "
    "LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD "
    "PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL"
)

EXPONENTS = {
    code: exponent
    for exponent, codes in ((0, _EXPONENT_0), (2, _EXPONENT_2), (3, _EXPONENT_3), (4, _EXPONENT_4))
    for code in codes.split()
}


class UnknownCurrency(ValueError):
    pass


#: The largest amount in minor units a payment, a refund or a search can name (every door checks it).
MAX_AMOUNT = 99_999_999_999


def exponent(currency: str) -> int:
    """Minor-unit exponent of ``currency`` (upper-case ISO 4217 code).

    Raises:
      UnknownCurrency: for a code that is not an active ISO 4217 currency.
    """
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise UnknownCurrency(f"{currency!r} is not an ISO 4217 currency code") from None


def to_decimal(amount: int, currency: str) -> Decimal:
    """``1050, "USD"`` → ``Decimal("10.50")``; ``1050, "JPY"`` → ``Decimal("1050")``."""
    return Decimal(amount).scaleb(-exponent(currency))


def from_decimal(value: str | int | Decimal, currency: str) -> int:
    """``"10.50", "USD"`` → ``1050``.

    Raises:
      ValueError: when ``value`` has more decimals than the currency allows.
    """
    scaled = Decimal(str(value)).scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value} has more decimals than {currency} allows")
    return int(scaled)


def to_money(amount: int, currency: str, decimals: int | None = None) -> dict:
    """Minor units as a money object: ``(1050, "USD") → {"currency_code": "USD", "value": "10.50"}``.

    Parameters:
      decimals: how many decimals the value is written with; default the currency's exponent. A gateway
        that takes fewer than ISO 4217 gives (PayPal: whole forints) passes its own.

    Raises:
      UnknownCurrency: ``currency`` is not an ISO 4217 code.
      ValueError: the amount has a fraction finer than ``decimals`` (``1050, "HUF", 0``: 10.50 forints).
    """
    value = to_decimal(amount, currency)
    places = exponent(currency) if decimals is None else decimals
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"{value} {currency} cannot be written with {places} decimals")
    return {"currency_code": currency, "value": f"{value:.{places}f}"}


def from_money(value: dict) -> int:
    """A money object as minor units: ``{"currency_code": "JPY", "value": "1050"} → 1050``.

    Raises:
      UnknownCurrency: the currency is not an ISO 4217 code.
      ValueError: the value has more decimals than the currency allows.
    """
    return from_decimal(value["value"], value["currency_code"])
