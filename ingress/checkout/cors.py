"""CORS for ``POST /tokens`` alone: a merchant's checkout page (one of its
``settings.checkout.allowed_origins``) or PayWave's own card fields (``PAYWAVE_PUBLIC_URL``'s origin) may
send it from a browser.  No other route answers a browser of another origin.

A preflight carries no credential, so it cannot tell whose origins apply: it is granted to any origin for a
POST with the headers ``POST /tokens`` reads, and the origin is enforced on the request itself once the
publishable key names the merchant: 403, before anything is written, when the ``Origin`` is not allowed.  A
request without an ``Origin`` is no browser's cross-origin request (a server, curl) and passes as before.
"""

from ingress.checkout import origin_refused
from shared.ttlcache import TTLCache

ROUTES = ("/tokens",)
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
#: Seconds a browser may reuse a preflight's answer.
PREFLIGHT_MAX_AGE = 600


class Cors:
    """Middleware, after ``Authentication`` (it reads the principal's merchant).

    Parameters:
      own_origin: ``ingress.checkout.public_origin(config)``, always allowed.
      origins: ``store.merchants.checkout_origins`` per merchant, cached.
    """

    def __init__(self, own_origin: str, origins: TTLCache[str, frozenset[str]]):
        self.own_origin = own_origin
        self.origins = origins

    def process_request(self, req, resp):
        if req.path not in ROUTES:
            return
        resp.vary = ("Origin",)  # caches must not hand one origin's answer to another
        origin = req.get_header("Origin")
        if req.method != "OPTIONS" or not origin or not req.get_header("Access-Control-Request-Method"):
            return
        if req.get_header("Access-Control-Request-Method") == "POST":
            resp.set_header("Access-Control-Allow-Origin", origin)
            resp.set_header("Access-Control-Allow-Methods", "POST")
            resp.set_header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
            resp.set_header("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE))
        resp.status = 204
        resp.complete = True  # answered: no credential to check, no responder

    def process_resource(self, req, resp, resource, params):
        origin = req.get_header("Origin")
        if req.path not in ROUTES or origin is None:
            return
        merchant_id = req.context.principal.merchant_id
        if origin != self.own_origin and origin not in self.origins.get(merchant_id):
            raise origin_refused(origin)
        resp.set_header("Access-Control-Allow-Origin", origin)
