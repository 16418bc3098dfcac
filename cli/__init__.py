"""The ``paywave`` command: one entry point for every role, and the composition root.

The only package allowed to import every layer (``ingress``, ``workers``, ``store``, ``gateways``,
``shared``): it wires them together per command.  ``python -m cli`` runs it without the console script.
"""

import argparse
import importlib.metadata
import os
import sys
import tempfile
import time


def _config():
    from shared.config import Config, ConfigError

    try:
        return Config.from_env()
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def _multiprocess_metrics_dir(role):
    """Prometheus multi-process mode: one fresh directory per role, set before any fork."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=f"paywave-{role}-metrics-")
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _ingress(args):
    config = _config()
    config.warn_dev_defaults()
    _multiprocess_metrics_dir("ingress")
    from shared.server import serve

    def load():
        from ingress.app import get_app

        if not args.with_dashboard:
            return get_app(config)
        from cli.dev import with_dashboard
        from dashboard.app import get_app as get_dashboard

        return with_dashboard(get_app(config), get_dashboard(config))

    serve(
        load,
        host=args.host,
        port=args.port,
        workers=args.workers or config.web_workers,
        threads=config.web_threads,
        metrics_port=config.ingress_metrics_port,
    )


def _dashboard(args):
    config = _config()
    config.warn_dev_defaults()
    from shared.server import serve

    def load():
        from dashboard.app import get_app

        return get_app(config)

    serve(
        load,
        host=args.host,
        port=args.port,
        workers=args.workers or config.web_workers,
        threads=config.web_threads,
    )


def _worker(args):
    config = _config()
    from shared.queues import POOLS

    threads = args.threads or config.worker_threads
    metrics_dir = _multiprocess_metrics_dir(f"worker-{args.pool}")
    env = {
        **os.environ,
        "PAYWAVE_POOL": args.pool,
        # prefetch = threads: a slow worker does not hoard messages others could run (delayed
        # retries keep Dramatiq's large default: they wait in memory until they are due)
        "dramatiq_queue_prefetch": str(threads),
        "dramatiq_prom_db": metrics_dir,
        "dramatiq_prom_port": str(config.metrics_port),
    }
    queues = [config.queue_prefix + q for q in POOLS[args.pool]]
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "workers.main",
        "--processes",
        str(args.processes or config.worker_processes),
        "--threads",
        str(threads),
        "--queues",
        *queues,
    ]
    os.execvpe(sys.executable, argv, env)


def _migrate(args):
    config = _config()
    from store.db import open_database
    from store.migrate import migrate

    open_database(config.database_url)
    applied = migrate()
    print(f"applied {', '.join(applied)}" if applied else "schema is up to date")


def _token(args):
    from ingress.auth import SCOPES, Authenticator

    scopes = args.scopes.split(",") if args.scopes else SCOPES
    print(Authenticator(_config()).mint(args.merchant, scopes, args.ttl, livemode=not args.test))


def _heartbeat(args):
    path = _config().heartbeat_file
    try:
        age = time.time() - os.path.getmtime(path)
    except OSError:
        raise SystemExit(f"no heartbeat at {path}") from None
    if age > args.max_age:
        raise SystemExit(f"heartbeat is {age:.0f}s old (max {args.max_age}s)")
    print(f"alive ({age:.0f}s)")


def _vault_keygen(args):
    from store.vault import generate_key_pair

    public, private = generate_key_pair(args.key_id)
    print(
        f"# ingress (and anything that seals cards): put this key first\nPAYWAVE_VAULT_PUBLIC_KEYS={public}\n"
        f"# charging workers only (stripe, paypal, fallback pools); keep the old private keys after it\n"
        f"PAYWAVE_VAULT_PRIVATE_KEYS={private}"
    )


def _dev(args):
    from cli import dev

    dev.run(_config(), args.port, args.host)


def _sandbox(args):
    try:
        from sandbox.faults import Faults
        from sandbox.server import run
    except ImportError:  # a production install: the sandboxes are a distribution of their own
        raise SystemExit(
            "the gateway sandboxes are a development tool, not installed here: "
            "`pip install -e ./sandbox` (make install does)"
        ) from None

    faults = Faults(
        error_rate=args.error_rate,
        error_status=args.error_status,
        latency_ms=args.latency_ms,
        timeout_rate=args.timeout_rate,
        drop_response_rate=args.drop_response_rate,
    )
    run(
        args.name,
        host=args.host,
        port=args.port,
        threads=args.threads,
        faults=faults,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )


def _admin(args):
    from cli import admin

    admin.run(_config(), args)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Options show their defaults (one defaulting to a setting names it instead); epilogs keep their
    lines."""

    def _get_help_string(self, action):
        return action.help if action.default is None else super()._get_help_string(action)


def _command(sub, name, help, reads=None, **kwargs):
    """A subcommand whose ``--help`` ends with the ``PAYWAVE_*`` variables it reads (``reads``: field
    names; ``None``: all of them; ``()``: none)."""
    from shared.config import settings_help

    epilog = (
        ("environment (default after =, range in parentheses):\n" + settings_help(reads))
        if reads != ()
        else None
    )
    return sub.add_parser(
        name, help=help, description=help, epilog=epilog, formatter_class=_HelpFormatter, **kwargs
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="paywave",
        formatter_class=_HelpFormatter,
        description="Payment orchestration service. Settings come from PAYWAVE_* environment variables; "
        "`paywave COMMAND --help` lists those COMMAND reads, with their defaults.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {importlib.metadata.version('paywave')}"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    dev = _command(sub, "dev", "run everything in one command (what `make run` does)")
    dev.add_argument("--host", default="127.0.0.1", help="address to serve the API on")
    dev.add_argument("--port", type=int, default=8000, help="port to serve the API on")
    dev.set_defaults(func=_dev)

    ingress = _command(sub, "ingress", "serve the HTTP API (gunicorn)")
    ingress.add_argument("--host", default="127.0.0.1", help="address to listen on")
    ingress.add_argument("--port", type=int, default=8000, help="port to listen on")
    ingress.add_argument("--workers", type=int, default=None, help="processes (default: PAYWAVE_WEB_WORKERS)")
    ingress.add_argument(
        "--with-dashboard",
        action="store_true",
        help="also serve the dashboard at /dashboard (as `paywave dev`)",
    )
    ingress.set_defaults(func=_ingress)

    dashboard = _command(sub, "dashboard", "serve the merchant dashboard at /dashboard (gunicorn)")
    dashboard.add_argument("--host", default="127.0.0.1", help="address to listen on")
    dashboard.add_argument("--port", type=int, default=8001, help="port to listen on")
    dashboard.add_argument(
        "--workers", type=int, default=None, help="processes (default: PAYWAVE_WEB_WORKERS)"
    )
    dashboard.set_defaults(func=_dashboard)

    from shared.queues import POOLS

    worker = _command(sub, "worker", "run one worker pool (Dramatiq)")
    worker.add_argument("--pool", required=True, choices=sorted(POOLS), help="the pool, hence its queues")
    worker.add_argument("--processes", type=int, default=None, help="default: PAYWAVE_WORKER_PROCESSES")
    worker.add_argument("--threads", type=int, default=None, help="default: PAYWAVE_WORKER_THREADS")
    worker.set_defaults(func=_worker)

    _command(sub, "migrate", "apply database migrations (idempotent)", reads=("database_url",)).set_defaults(
        func=_migrate
    )

    token = _command(
        sub,
        "token",
        "mint a merchant token; prints the token alone",
        reads=("jwt_secret", "jwt_private_key", "jwt_algorithms", "jwt_issuer", "jwt_audience", "jwt_leeway"),
    )
    token.add_argument("--merchant", required=True, help="the token's subject")
    token.add_argument(
        "--scopes", default=None, help="comma-separated (default: payments:read,payments:write)"
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds")
    token.add_argument(
        "--test",
        action="store_true",
        help="a test-mode token: test objects only, sandbox gateway credentials",
    )
    token.set_defaults(func=_token)

    keygen = _command(
        sub,
        "vault-keygen",
        "print a new card-vault key pair (X25519) as PAYWAVE_VAULT_*_KEYS lines",
        reads=(),
    )
    keygen.add_argument("--key-id", default=time.strftime("v%Y%m%d"), help="key id stored beside each record")
    keygen.set_defaults(func=_vault_keygen)

    heartbeat = _command(
        sub,
        "heartbeat",
        "exit 0 when this worker's heartbeat is fresh (liveness probe)",
        reads=("heartbeat_file",),
    )
    heartbeat.add_argument("--max-age", type=int, default=60, help="seconds")
    heartbeat.set_defaults(func=_heartbeat)

    sandbox = _command(sub, "sandbox", "run a local Stripe or PayPal sandbox", reads=())
    sandbox.add_argument("name", choices=["stripe", "paypal"])
    sandbox.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sandbox.add_argument("--port", type=int, required=True)
    sandbox.add_argument("--threads", type=int, default=16, help="request threads")
    sandbox.add_argument(
        "--error-rate", type=float, default=0.0, help="share of calls answered with --error-status"
    )
    sandbox.add_argument("--error-status", type=int, default=500, help="HTTP status of injected errors")
    sandbox.add_argument("--latency-ms", type=int, default=0, help="added to every call")
    sandbox.add_argument("--timeout-rate", type=float, default=0.0, help="share of calls answered too late")
    sandbox.add_argument(
        "--drop-response-rate", type=float, default=0.0, help="share of calls carried out, answer dropped"
    )
    sandbox.add_argument("--webhook-url", default=None, help="where to send the vendor's webhook events")
    sandbox.add_argument("--webhook-secret", default=None, help="signing secret for those events")
    sandbox.set_defaults(func=_sandbox)

    from cli import admin

    admin.add_parser(sub).set_defaults(func=_admin)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args) or 0
