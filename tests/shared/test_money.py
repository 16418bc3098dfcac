from decimal import Decimal

import pytest

from shared import money


@pytest.mark.parametrize(
    "currency,exp", [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("CLF", 4)]
)
def test_exponents(currency, exp):
    assert money.exponent(currency) == exp


def test_unknown_currency():
    with pytest.raises(money.UnknownCurrency):
        money.exponent("XYZ")


def test_exact_conversions():
    assert money.to_decimal(1050, "USD") == Decimal("10.50")
    assert money.to_decimal(1050, "JPY") == Decimal("1050")
    assert money.to_decimal(1050, "KWD") == Decimal("1.050")
    assert money.from_decimal("10.5", "USD") == 1050
    assert money.from_decimal("0.001", "KWD") == 1
    with pytest.raises(ValueError):
        money.from_decimal("10.505", "USD")


@pytest.mark.parametrize(
    "amount, currency, decimals, value",
    [
        (1050, "USD", None, "10.50"),
        (1050, "JPY", None, "1050"),
        (1050, "KWD", None, "1.050"),
        (1000, "HUF", 0, "10"),
    ],
)
def test_money_objects_convert_exactly(amount, currency, decimals, value):
    converted = money.to_money(amount, currency, decimals)

    assert converted == {"currency_code": currency, "value": value}
    assert money.from_money(converted) == amount


def test_a_fraction_finer_than_the_decimals_is_refused():
    with pytest.raises(ValueError):
        money.to_money(1050, "HUF", 0)
    with pytest.raises(ValueError):
        money.from_money({"currency_code": "JPY", "value": "10.5"})
