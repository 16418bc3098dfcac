"""Worker pools and the queues each consumes: the layout the ingress publishes to and the workers read.

One pool per gateway so each scales on its own queue; ``fallback`` routes a
payment whose gateway gave up to the next gateway in its route; ``ops`` runs
captures, cancels, refunds, update propagation and the sweeper; ``webhooks``
delivers events to merchants; ``notifications`` emails their customers
(issue 16).  Queue names here are base names: the broker
prefixes them with ``PAYWAVE_QUEUE_PREFIX``.
"""

GATEWAYS = ("stripe", "paypal")

POOLS = {
    "stripe": ("payments.stripe",),
    "paypal": ("payments.paypal",),
    "fallback": ("payments.fallback",),
    "ops": ("ops",),
    "webhooks": ("webhooks",),
    "notifications": ("notifications",),
}


def gateway_queue(gateway: str) -> str:
    """The queue of the pool that charges through ``gateway``."""
    if gateway not in GATEWAYS:
        raise ValueError(f"unknown gateway {gateway!r}")
    return POOLS[gateway][0]
