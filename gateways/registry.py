"""Gateway name -> its package.  Adding a gateway: its package (``gateways/<name>/``), one ``register``
line here, its settings.

A gateway package provides ``build(config, cache) -> gateways.base.Gateway`` (its adapter, built once
per worker process; ``cache`` is shared by the workers, e.g. for an OAuth token) and ``WEBHOOKS``, its
``gateways.base.Webhooks`` (its events in, at ``POST /webhooks/<name>``).
"""

from importlib import import_module
from typing import Protocol

from gateways.base import Gateway, Webhooks
from shared.cache import Cache
from shared.config import Config


class GatewayPackage(Protocol):
    """What ``register`` takes: a gateway's package (its module), or any object with the same two names."""

    @property
    def WEBHOOKS(self) -> Webhooks: ...

    def build(self, config: Config, cache: Cache) -> Gateway: ...


#: Name -> package, in routing order.
PACKAGES: dict[str, GatewayPackage] = {}


def register(name: str, package: GatewayPackage) -> None:
    """Add a gateway.

    Parameters:
      name: Its name in payments, queues, events and ``/webhooks/<name>``.
      package: A module (or any object) with ``build`` and ``WEBHOOKS``.
    """
    PACKAGES[name] = package


register("stripe", import_module("gateways.stripe"))
register("paypal", import_module("gateways.paypal"))


def build_gateways(config: Config, cache: Cache, livemode: bool = True) -> dict[str, Gateway]:
    """Every registered gateway's adapter for one mode: ``{name: Gateway}``.

    Parameters:
      livemode: False: built from the test credentials only (``Config.for_mode``), so a test payment
        charged through them can never move real money.
    """
    mode_config = config.for_mode(livemode)
    return {name: package.build(mode_config, cache) for name, package in PACKAGES.items()}


def webhooks(name: str) -> Webhooks:
    """The ``Webhooks`` of gateway ``name``.

    Raises:
      KeyError: no such gateway is registered.
    """
    return PACKAGES[name].WEBHOOKS
