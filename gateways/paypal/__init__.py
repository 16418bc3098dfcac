"""PayPal: the ``PayPalGateway`` adapter (``client``), its shapes (``transformers``), error mapping
(``errors``) and its events in (``webhooks``)."""

from gateways.paypal.client import PayPalGateway
from gateways.paypal.webhooks import PayPalWebhooks
from shared.cache import Cache
from shared.config import Config

DEFAULT_BASE = "https://api-m.paypal.com"
WEBHOOKS = PayPalWebhooks()


def build(config: Config, cache: Cache) -> PayPalGateway:
    """The adapter for ``config``, keeping its OAuth token in ``cache`` (shared by the workers)."""
    return PayPalGateway(
        config.paypal_api_base or DEFAULT_BASE,
        config.paypal_client_id,
        config.paypal_client_secret,
        token_store=cache,
        connect_timeout=config.gateway_connect_timeout,
        read_timeout=config.gateway_read_timeout,
    )


__all__ = ["PayPalGateway", "PayPalWebhooks", "WEBHOOKS", "build"]
