"""``:amount_in_usd:`` at the operator's rates (``PAYWAVE_USD_RATES``): each currency's exponent, rounding to
the nearest US cent with halves away from zero, and a setting that names what is wrong with it."""

import decimal

import pytest

from shared.config import Config, ConfigError
from shared.radar import usd


@pytest.mark.parametrize(
    "amount, currency, rate, cents",
    [
        (1050, "EUR", "1.08", 1134),  # 10.50 EUR
        (1000, "JPY", "0.0067", 670),  # no minor unit: 1000 yen
        (1234, "KWD", "3.25", 401),  # three decimals: 1.234 KWD = 4.0105 USD
        (5, "GBP", "1.27", 6),  # 6.35 cents
        (50, "EUR", "0.5", 25),
        (1, "EUR", "0.5", 1),  # half a cent rounds away from zero
        (999, "USD", "1", 999),
    ],
)
def test_amounts_convert_with_each_currencys_exponent(amount, currency, rate, cents):
    assert usd.to_cents(amount, currency, decimal.Decimal(rate)) == cents


def test_a_currency_without_a_rate_has_none_and_usd_is_one():
    rates = usd.parse(["eur:1.08"])
    assert usd.rate("EUR", rates) == decimal.Decimal("1.08") and usd.rate("GBP", rates) is None
    assert usd.rate("USD", {}) == 1


@pytest.mark.parametrize(
    "setting, named",
    [
        ("EUR:1.08,GBP", "'GBP'"),
        ("XYZ:1", "'XYZ:1'"),
        ("EUR:0", "'EUR:0'"),
        ("EUR:-1.2", "'EUR:-1.2'"),
        ("EUR:abc", "'EUR:abc'"),
        ("USD:1", "USD is 1"),
        ("EUR:1.08,EUR:1.1", "given twice"),
    ],
)
def test_a_bad_rate_is_a_config_error_naming_it(setting, named):
    with pytest.raises(ConfigError, match="PAYWAVE_USD_RATES") as raised:
        Config.from_env({"PAYWAVE_USD_RATES": setting})
    assert named in str(raised.value)


def test_the_setting_reads_as_rates():
    config = Config.from_env({"PAYWAVE_USD_RATES": "EUR:1.08, GBP:1.27"})
    assert usd.parse(config.usd_rates) == {"EUR": decimal.Decimal("1.08"), "GBP": decimal.Decimal("1.27")}
