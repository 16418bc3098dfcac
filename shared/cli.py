"""The ``paywave`` command."""
import argparse
import sys


def _sandbox(args):
    from gateways.sandbox.faults import Faults
    from gateways.sandbox.server import run

    faults = Faults(error_rate=args.error_rate, error_status=args.error_status,
                    latency_ms=args.latency_ms, timeout_rate=args.timeout_rate,
                    drop_response_rate=args.drop_response_rate)
    run(args.name, host=args.host, port=args.port, threads=args.threads, faults=faults,
        webhook_url=args.webhook_url, webhook_secret=args.webhook_secret)


def build_parser():
    parser = argparse.ArgumentParser(prog="paywave", description="Payment orchestration service.")
    sub = parser.add_subparsers(dest="command", required=True)

    sandbox = sub.add_parser("sandbox", help="run a local Stripe or PayPal sandbox")
    sandbox.add_argument("name", choices=["stripe", "paypal"])
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, required=True)
    sandbox.add_argument("--threads", type=int, default=16)
    sandbox.add_argument("--error-rate", type=float, default=0.0)
    sandbox.add_argument("--error-status", type=int, default=500)
    sandbox.add_argument("--latency-ms", type=int, default=0)
    sandbox.add_argument("--timeout-rate", type=float, default=0.0)
    sandbox.add_argument("--drop-response-rate", type=float, default=0.0)
    sandbox.add_argument("--webhook-url", default=None, help="where to send the vendor's webhook events")
    sandbox.add_argument("--webhook-secret", default=None, help="signing secret for those events (Stripe)")
    sandbox.set_defaults(func=_sandbox)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
