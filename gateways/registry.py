"""Gateway name -> its package.  Adding a gateway: its package (``gateways/<name>/``), one ``register``
line here, its settings.

A gateway package provides ``build(config, cache) -> gateways.base.Gateway`` (its adapter, built once
per worker process; ``cache`` is shared by the workers, e.g. for an OAuth token) and ``WEBHOOKS``, its
``gateways.base.Webhooks`` (its events in, at ``POST /webhooks/<name>``).
"""
from importlib import import_module

from gateways.base import Webhooks

#: Name -> package, in routing order.
PACKAGES = {}


def register(name, package):
    """Add a gateway.

    Parameters:
      name: Its name in payments, queues, events and ``/webhooks/<name>``.
      package: A module (or any object) with ``build`` and ``WEBHOOKS``.
    """
    PACKAGES[name] = package


register("stripe", import_module("gateways.stripe"))
register("paypal", import_module("gateways.paypal"))


def build_gateways(config, cache) -> dict:
    """Every registered gateway's adapter: ``{name: Gateway}``."""
    return {name: package.build(config, cache) for name, package in PACKAGES.items()}


def webhooks(name) -> Webhooks:
    """The ``Webhooks`` of gateway ``name``.

    Raises:
      KeyError: no such gateway is registered.
    """
    return PACKAGES[name].WEBHOOKS
