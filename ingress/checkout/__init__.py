"""What a customer's browser loads from PayWave: ``/v1/paywave.js`` (the client library a merchant's page
includes), the card fields it mounts in an iframe (``/v1/card-fields``, served from PayWave's origin so the
page around it cannot read the card number), CORS for ``POST /tokens`` (``cors``), and in development the
demo checkout (``demo``).
"""

import falcon

from ingress import validation
from ingress.checkout import demo
from ingress.checkout.assets import Asset, read
from ingress.errors import Problem
from ingress.permissions import TOKENS
from shared.ttlcache import TTLCache


def public_origin(config) -> str:
    """``PAYWAVE_PUBLIC_URL``'s origin: where the card fields live, always allowed ``POST /tokens``."""
    origin = validation.canonical_origin(config.public_url)
    if origin is None:
        raise ValueError(f"PAYWAVE_PUBLIC_URL is not an http(s) URL: {config.public_url!r}")
    return origin


class CardFields:
    """``GET /v1/card-fields?key=pk_…&origin=…``: the card fields' page, framed only by ``origin`` (one of
    the key's merchant's ``settings.checkout.allowed_origins``, or PayWave's own), the only window its
    script answers; it sends ``POST /tokens`` itself, so the card goes from this page to PayWave alone.

    Parameters:
      keys: The app's ``ingress.auth.KeyAuthenticator`` (the publishable key names the merchant).
      origins: ``store.merchants.checkout_origins`` per merchant, cached.
      own_origin: ``public_origin(config)``.
    """

    public = True

    def __init__(self, keys, origins: TTLCache[str, frozenset[str]], own_origin: str):
        self.keys = keys
        self.origins = origins
        self.own_origin = own_origin
        self.page = read("card-fields.html")

    def on_get(self, req, resp):
        key = req.get_param("key", required=True)
        origin = req.get_param("origin", required=True)
        if not key.startswith("pk_"):  # a secret key in a page's URL would be in its history and logs
            raise Problem(400, "Bad request", "key must be a publishable key (pk_...)", slug="bad-request")
        principal = self.keys.principal(key)
        if TOKENS not in principal.scopes:
            raise Problem(400, "Bad request", "key must be a publishable key (pk_...)", slug="bad-request")
        if origin != self.own_origin and origin not in self.origins.get(principal.merchant_id):
            raise origin_refused(origin)
        resp.data = self.page
        resp.content_type = falcon.MEDIA_HTML
        resp.cache_control = ("no-store",)  # it depends on the merchant's settings of now
        resp.set_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            f"frame-ancestors 'self' {origin}; base-uri 'none'; form-action 'none'",
        )
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "no-referrer")


def origin_refused(origin: str) -> Problem:
    return Problem(
        403,
        "Origin not allowed",
        f"{origin[:255]} is not among the merchant's settings.checkout.allowed_origins",
        slug="origin-not-allowed",
    )


def routes(app: falcon.App, config, keys, origins: TTLCache[str, frozenset[str]]) -> None:
    """Add ``/v1/paywave.js``, the card fields and (``PAYWAVE_DEMO_CHECKOUT``) the demo checkout."""
    for name in ("paywave.js", "card-fields.js", "card-fields.css"):
        app.add_route(f"/v1/{name}", Asset(name))
    app.add_route("/v1/card-fields", CardFields(keys, origins, public_origin(config)))
    if config.demo_checkout:
        demo.routes(app, config, public_origin(config))
