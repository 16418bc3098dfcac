"""The customer's return address: signed for one payment only, and the onward redirect to the merchant."""

import dataclasses

import pytest

from ingress.resources.actions import onward
from shared import returns


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://shop.example/done", "https://shop.example/done?payment_id=pay_1"),
        ("https://shop.example/done?order=42", "https://shop.example/done?order=42&payment_id=pay_1"),
        ("https://shop.example/done?a=1#receipt", "https://shop.example/done?a=1&payment_id=pay_1#receipt"),
    ],
)
def test_the_browser_goes_on_to_the_merchants_return_url_with_the_payment_id(given, expected):
    assert onward(given, "pay_1") == expected


def test_a_return_address_is_signed_for_its_payment_under_a_derived_key(config):
    url = returns.return_url(config, "pay_1")
    sig = returns.signature(config, "pay_1")
    assert url == f"{config.public_url}/v1/actions/pay_1/return?sig={sig}"
    assert returns.return_url(config, "pay_1") == url  # the same on every replay of a call
    assert returns.verify(config, "pay_1", sig)
    assert not returns.verify(config, "pay_2", sig)
    assert not returns.verify(config, "pay_1", None) and not returns.verify(config, "pay_1", sig[:-1])
    other = dataclasses.replace(config, api_key_digest_key="another key")
    assert not returns.verify(other, "pay_1", sig)
