"""The command line of the apps the bench serves beside PayWave (``bench.bare``, ``bench.accept_floor``):
``python -m bench.<app> --port P --workers W --threads T`` runs the app on gunicorn through the ingress's
own ``shared.server.serve``."""

import argparse
from collections.abc import Callable
from wsgiref.types import WSGIApplication


def main(create_app: Callable[[], WSGIApplication]) -> None:
    from shared.server import serve

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    serve(create_app, port=args.port, workers=args.workers, threads=args.threads)
