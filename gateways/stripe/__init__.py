"""The Stripe gateway: ``client.py`` calls, ``transformers.py`` reads, ``errors.py`` maps failures."""
from gateways.stripe.client import StripeGateway

__all__ = ["StripeGateway"]
