"""The sandboxes stand apart from what they fake: no code shared with the adapters, no fake in production
code."""

import ast
import configparser
import pathlib

import pytest

from sandbox.paypal.money import decimals, minor_units, paypal_money

ROOT = pathlib.Path(__file__).resolve().parents[2]


def production_packages():
    """The top-level packages the wheel ships (setup.cfg)."""
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    return sorted({name.split(".")[0] for name in setup["options.packages.find"]["include"].split()})


def imported(path, lazy=True):
    """Every module ``path`` imports; with ``lazy``, also those imported inside functions."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if lazy else tree.body:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_the_sandboxes_import_nothing_from_the_adapters_they_fake():
    shared = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "sandbox").rglob("*.py")
        for name in imported(path)
        if name.split(".")[0] == "gateways"
    }
    assert not shared


def test_the_wheel_ships_no_sandbox_and_its_modules_import_none():
    """Only ``paywave sandbox`` imports one, when it runs (from a dev install: ``make install``)."""
    packages = production_packages()
    assert "sandbox" not in packages
    users = {
        str(path.relative_to(ROOT))
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if any(name.split(".")[0] == "sandbox" for name in imported(path, lazy=False))
    }
    assert not users


@pytest.mark.parametrize(
    "money, minor",
    [
        ({"currency_code": "USD", "value": "10.50"}, 1050),
        ({"currency_code": "JPY", "value": "1050"}, 1050),
        ({"currency_code": "HUF", "value": "10"}, 1000),  # ISO 4217: two decimals, PayPal: whole forints
        ({"currency_code": "TWD", "value": "7"}, 700),
    ],
)
def test_paypal_money_follows_iso_exponents_and_paypal_whole_unit_currencies(money, minor):
    assert minor_units(money) == minor
    assert paypal_money(minor, money["currency_code"]) == money
    assert decimals(money["currency_code"]) == (2 if money["currency_code"] == "USD" else 0)
