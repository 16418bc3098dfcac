"""The web framework's ceiling: a bare Falcon endpoint that parses a JSON body and answers 202,
served by the same ``shared.server.serve`` (gunicorn) settings as the ingress."""

import argparse

import falcon
import orjson


class Bare:
    def on_post(self, req, resp):
        body = orjson.loads(req.bounded_stream.read())
        resp.status = 202
        resp.data = orjson.dumps({"id": "pay_bare", "object": "payment", "amount": body.get("amount")})
        resp.content_type = falcon.MEDIA_JSON


def create_app():
    app = falcon.App()
    app.add_route("/payments", Bare())
    return app


if __name__ == "__main__":
    from shared.server import serve

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    serve(create_app, port=args.port, workers=args.workers, threads=args.threads)
