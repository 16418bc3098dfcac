"""The web framework's ceiling: a bare Falcon endpoint that parses a JSON body and answers 202 (``POST``), or
answers a payment-shaped JSON object it holds (``GET``, the ceiling of ``GET /payments/{id}`` on a cache hit),
served by the same ``shared.server.serve`` (gunicorn) settings as the ingress."""

import falcon
import orjson

#: About the size of a payment object as ``GET /payments/{id}`` answers it.
PAYMENT = orjson.dumps(
    {
        "id": "pay_bare",
        "object": "payment",
        "livemode": True,
        "status": "succeeded",
        "amount": 1050,
        "amount_captured": 1050,
        "currency": "USD",
        "gateway": "stripe",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031},
        "metadata": {},
        "attempts": [{"gateway": "stripe", "operation": "charge", "status": "succeeded", "latency_ms": 3}],
    }
)


class Bare:
    def on_get(self, req, resp, payment_id=None):
        resp.data = PAYMENT
        resp.content_type = falcon.MEDIA_JSON

    def on_post(self, req, resp):
        body = orjson.loads(req.bounded_stream.read())
        resp.status = 202
        resp.data = orjson.dumps({"id": "pay_bare", "object": "payment", "amount": body.get("amount")})
        resp.content_type = falcon.MEDIA_JSON


def create_app():
    app = falcon.App()
    app.add_route("/payments", Bare())
    app.add_route("/payments/{payment_id}", Bare())
    return app


if __name__ == "__main__":
    from bench.served import main

    main(create_app)
