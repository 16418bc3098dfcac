"""PayPal: the ``PayPalGateway`` adapter (``client``), its shapes (``transformers``) and error mapping (``errors``)."""
from gateways.paypal.client import PayPalGateway

__all__ = ["PayPalGateway"]
