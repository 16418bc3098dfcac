"""How amounts and moments read on every page."""

import decimal

from shared import money


def amount(value: int | None, currency: str) -> str:
    """Minor units as a merchant reads them: ``1050, "USD"`` → ``10.50 USD``."""
    if value is None:
        return ""
    return f"{money.to_decimal(value, currency):,} {currency}"


def moment(value: str | None) -> str:
    """An API timestamp (``2026-12-02T13:49:42.123Z``) to the second, in UTC."""
    return value[:19].replace("T", " ") + " UTC" if value else ""


def parse_amount(text: str, currency: str) -> int:
    """What a merchant types (``10.50``) in minor units of ``currency``.

    Raises:
      ValueError: not a number, negative, beyond ``money.MAX_AMOUNT``, or more decimals than the currency has.
    """
    try:
        value = money.from_decimal(text.strip().replace(",", ""), currency)
    except (decimal.InvalidOperation, OverflowError):
        raise ValueError(text) from None
    if not 0 <= value <= money.MAX_AMOUNT:
        raise ValueError(text)
    return value
