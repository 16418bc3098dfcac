"""The Stripe gateway: ``client.py`` calls, ``transformers.py`` reads, ``errors.py`` maps failures,
``webhooks.py`` takes its events in."""

from gateways.stripe.client import StripeGateway
from gateways.stripe.webhooks import StripeWebhooks
from shared.cache import Cache
from shared.config import Config

DEFAULT_BASE = "https://api.stripe.com"
WEBHOOKS = StripeWebhooks()


def build(config: Config, cache: Cache) -> StripeGateway:
    """The adapter for ``config`` (``cache`` unused: Stripe keys need no shared state)."""
    return StripeGateway(
        config.stripe_api_key,
        config.stripe_api_base or DEFAULT_BASE,
        connect_timeout=config.gateway_connect_timeout,
        read_timeout=config.gateway_read_timeout,
    )


__all__ = ["StripeGateway", "StripeWebhooks", "WEBHOOKS", "build"]
