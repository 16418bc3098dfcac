"""``:amount_in_usd:`` of a payment in any currency, from the operator's rates (``PAYWAVE_USD_RATES``).

A rate is US dollars per one unit of the currency (``EUR:1.08``: one euro is 1.08 dollars).  The amount in
minor units is converted with both currencies' exponents (``shared.money``) and rounded to the nearest US
cent, halves away from zero: ``1000 EUR`` minor units (10.00 EUR) at 1.08 is ``1080`` US cents; ``1000 JPY``
at 0.0067 is ``670``.  A currency without a rate has no amount in US dollars (a rule over it does not match).
"""

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from shared import money


def parse(items: Iterable[str]) -> dict[str, Decimal]:
    """``("EUR:1.08", "GBP:1.27")`` as ``{"EUR": Decimal("1.08"), ...}``.

    Raises:
      ValueError: naming the entry: not ``CUR:rate``, a currency that is not ISO 4217 (or USD itself), a rate
        that is not a positive decimal, or a currency given twice.
    """
    rates: dict[str, Decimal] = {}
    for item in items:
        currency, _, text = item.partition(":")
        currency = currency.strip().upper()
        try:
            money.exponent(currency)
            rate = Decimal(text.strip())
        except (money.UnknownCurrency, InvalidOperation):
            raise ValueError(f"expected CUR:rate (an ISO 4217 code, USD per unit), got {item!r}") from None
        if currency == "USD" or not rate.is_finite() or rate <= 0 or currency in rates:
            why = "USD is 1" if currency == "USD" else "given twice" if currency in rates else "rate not > 0"
            raise ValueError(f"{item!r}: {why}")
        rates[currency] = rate
    return rates


def rate(currency: str, rates: Mapping[str, Decimal]) -> Decimal | None:
    """US dollars per unit of ``currency``: 1 for USD, None when no rate is given."""
    return Decimal(1) if currency == "USD" else rates.get(currency)


def to_cents(amount: int, currency: str, usd_rate: Decimal) -> int:
    """``amount`` minor units of ``currency`` in US cents at ``usd_rate``, rounded halves away from zero."""
    cents = Decimal(amount).scaleb(money.exponent("USD") - money.exponent(currency)) * usd_rate
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))
