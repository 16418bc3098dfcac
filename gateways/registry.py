"""Gateway name -> adapter. Adding a gateway: its package, one line here, its settings."""

STRIPE_DEFAULT_BASE = "https://api.stripe.com"
PAYPAL_DEFAULT_BASE = "https://api-m.paypal.com"


def build_gateways(config, cache) -> dict:
    """Every configured gateway's adapter, sharing ``cache`` for cross-worker state
    (PayPal's OAuth token)."""
    from gateways.paypal.client import PayPalGateway
    from gateways.stripe.client import StripeGateway

    timeouts = {"connect_timeout": config.gateway_connect_timeout, "read_timeout": config.gateway_read_timeout}
    return {
        "stripe": StripeGateway(config.stripe_api_key, config.stripe_api_base or STRIPE_DEFAULT_BASE, **timeouts),
        "paypal": PayPalGateway(config.paypal_api_base or PAYPAL_DEFAULT_BASE, config.paypal_client_id,
                                config.paypal_client_secret, token_store=cache, **timeouts),
    }
