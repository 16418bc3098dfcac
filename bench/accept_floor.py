"""The durable accept floor: what a ``POST /payments`` cannot avoid. A Falcon endpoint that parses the JSON
body and writes one payment-shaped row to Postgres in one INSERT, committed (autocommit: the statement is
its own transaction, durable when Postgres answers), then answers 202. One connection per thread, opened
once. ``make bench`` runs it on gunicorn in each of a few worker setups and keeps the best.

The row goes to ``floor_payment`` (the ``payment`` table's columns and indexes, made by ``make bench``), with
the columns a new PayWave payment sets from its request.
"""

import datetime
import os
import secrets
import threading

import falcon
import orjson
import psycopg2

COLUMNS = (
    "id, merchant_id, livemode, status, amount, currency, capture, route, method, card_brand, card_last4,"
    " card_exp_month, card_exp_year, metadata, version, created_at, updated_at"
)
INSERT = f"INSERT INTO floor_payment ({COLUMNS}) VALUES ({', '.join(['%s'] * 17)})"


class Accept:
    def __init__(self, url: str) -> None:
        self.url = url
        self.local = threading.local()

    def cursor(self):
        if getattr(self.local, "cursor", None) is None:
            connection = psycopg2.connect(self.url)
            connection.autocommit = True
            self.local.cursor = connection.cursor()
        return self.local.cursor

    def on_post(self, req, resp):
        body = orjson.loads(req.bounded_stream.read())
        card = body["payment_method"]["card"]
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        payment_id = "pay_" + secrets.token_hex(12)
        self.cursor().execute(
            INSERT,
            (
                payment_id,
                "floor",
                True,
                "pending",
                body["amount"],
                body["currency"],
                "automatic",
                "stripe,paypal",
                "card",
                "visa",
                card["number"][-4:],
                card["exp_month"],
                card["exp_year"],
                "{}",
                1,
                now,
                now,
            ),
        )
        resp.status = 202
        resp.data = orjson.dumps({"id": payment_id, "object": "payment", "status": "pending"})
        resp.content_type = falcon.MEDIA_JSON


def create_app():
    app = falcon.App()
    app.add_route("/payments", Accept(os.environ["PAYWAVE_DATABASE_URL"]))
    return app


if __name__ == "__main__":
    from bench.served import main

    main(create_app)
