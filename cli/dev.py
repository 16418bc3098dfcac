"""``paywave dev`` (and ``make run``): the whole service from one command.

With no ``PAYWAVE_BROKER_URL`` everything runs in one process: SQLite, an
in-process broker and workers, an in-process cache.  With real services
configured, each role runs as its own child process in this process group.
Gateway sandboxes start as children unless their API base is configured.
"""

import dataclasses
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import urllib.parse

import peewee

from ingress.auth import Authenticator
from ingress.checkout.demo import CUSTOMER_EMAIL
from shared.net import free_port, wait_http
from shared.notifications import EVENTS
from shared.queues import POOLS
from shared.server import serve
from store.db import open_database

SANDBOX_PORTS = {"stripe": 12111, "paypal": 12112}
DEV_MERCHANT = "acme"
DEMO_EMAIL = "owner@example.test"
DEMO_KEY_NAME = "demo checkout"
EXAMPLE = json.dumps(
    {
        "amount": 1050,
        "currency": "USD",
        "payment_method": {
            "type": "card",
            "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"},
        },
        "customer_details": {"email": CUSTOMER_EMAIL},
    }
)
#: Where caught mail is kept when ``PAYWAVE_DEV_MAIL_DIR`` is unset: beside the SQLite database.
MAIL_DIR = "paywave-mail"


def _child(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "cli", *args], env={**os.environ, **(env or {})})


def busy_ports(host, ports) -> list:
    """The ``ports`` something already listens on at ``host``."""
    busy = []
    for port in ports:
        with socket.socket() as s:
            s.setsockopt(
                socket.SOL_SOCKET, socket.SO_REUSEADDR, 1
            )  # as the servers do: a TIME_WAIT is no owner
            try:
                s.bind((host, port))
            except OSError:
                busy.append(port)
    return busy


def metrics_ports(config) -> dict:
    """``{pool: port}``: each pool's Prometheus port, counted up from ``PAYWAVE_METRICS_PORT``
    (the pools run side by side here, where a deployment gives each its own pod)."""
    return {pool: config.metrics_port + i for i, pool in enumerate(POOLS)}


def check_database(url):
    """Connect once, so that a wrong URL or a database not created yet is one line here
    rather than a traceback in each process that needs it.

    Raises:
      SystemExit: naming the database (without its password) and the reason.
    """
    db = open_database(url)
    try:
        db.connect()
    except peewee.DatabaseError as exc:
        parts = urllib.parse.urlsplit(url)
        shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SystemExit(
            f"cannot open the database {shown}: {reason} "
            "(is the server up and the database created? `createdb NAME`)"
        ) from None
    getattr(db, "manual_close", db.close)()  # a pool would keep it for the process about to fork


def start_sandboxes(config):
    """Start a sandbox for each gateway without a configured API base; returns (config, children)."""
    children, bases = [], {}
    for name, port in SANDBOX_PORTS.items():
        if getattr(config, f"{name}_api_base"):
            continue
        proc = _child("sandbox", name, "--port", str(port))
        wait_http(f"http://127.0.0.1:{port}/_sandbox/faults", proc)
        children.append(proc)
        bases[f"{name}_api_base"] = f"http://127.0.0.1:{port}"
    return dataclasses.replace(config, **bases), children


def start_mail_catcher(config):
    """Unless ``PAYWAVE_SMTP_URL`` is set: an SMTP server in this process (``aiosmtpd``) that keeps every mail
    in a Maildir (``PAYWAVE_DEV_MAIL_DIR``, default ``paywave-mail``) the ingress shows at ``/_dev/mail``.

    Returns:
      ``(config, controller)``: the config sending there, and the server to stop (None: none started).
    """
    if config.smtp_url:
        return config, None
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Mailbox

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # its lines name every address, in full
    directory = os.path.abspath(config.dev_mail_dir or MAIL_DIR)
    controller = Controller(Mailbox(directory), hostname="127.0.0.1", port=free_port())
    controller.start()
    url = f"smtp://127.0.0.1:{controller.port}"
    return dataclasses.replace(config, smtp_url=url, dev_mail_dir=directory), controller


def demo_owner(config, merchant_id=DEV_MERCHANT) -> str:
    """Make ``DEMO_EMAIL`` the owner of the dev merchant with a new random password (created the first time,
    its password replaced at each start: only this terminal knows it).  Returns the password."""
    import secrets

    from store import merchants, users
    from store.migrate import migrate
    from store.passwords import Passwords
    from store.unit import Unit

    open_database(config.database_url)
    migrate()
    merchants.ensure(merchant_id)
    password, passwords = secrets.token_urlsafe(12), Passwords.from_config(config)
    with Unit():
        user = users.find(DEMO_EMAIL)
        if user is None:
            user = users.create(DEMO_EMAIL, passwords.hash(password))
        else:
            users.set_password(user, passwords.hash(password))
        if not any(m.merchant_id == merchant_id for m in users.memberships(user.id)):
            users.join(user, merchant_id, "owner")
    return password


def demo_checkout(config, merchant_id=DEV_MERCHANT):
    """Turn the demo checkout on for the dev merchant: a new test publishable key and secret key (the previous
    demo keys revoked, so keys do not pile up one pair per start), the demo page's origin among its
    ``settings.checkout.allowed_origins`` (the origins set there before are kept), and every payer
    notification on (unless it has ``settings.notifications`` of its own).

    Returns:
      ``config`` with ``demo_checkout`` and its keys set.
    """
    import getpass

    from ingress.permissions import READ, TOKENS, WRITE
    from store import api_keys, merchants
    from store.migrate import migrate
    from store.models import ApiKey, Merchant
    from store.unit import Unit

    open_database(config.database_url)
    migrate()
    merchants.ensure(merchant_id)
    origin = demo_url(config).removesuffix("/checkout/demo")
    created_by = f"cli:{getpass.getuser()}"
    with Unit():
        for key in ApiKey.select().where(
            (ApiKey.merchant_id == merchant_id) & (ApiKey.name == DEMO_KEY_NAME) & ApiKey.revoked_at.is_null()
        ):
            api_keys.revoke(merchant_id, key.id)
        specs = [
            api_keys.KeySpec(DEMO_KEY_NAME, False, scopes, type=kind)
            for kind, scopes in (("publishable", [TOKENS]), ("secret", [READ, WRITE]))  # what a shop needs
        ]
        publishable, secret = (
            api_keys.create(merchant_id, s, created_by, config.api_key_digest_key) for s in specs
        )
        origins = merchants.checkout_origins(merchant_id) | {origin}
        sections: dict = {"checkout": {"allowed_origins": sorted(origins)}}
        if "notifications" not in Merchant.get_by_id(merchant_id).settings:  # the merchant's own are kept
            sections["notifications"] = {"enabled_events": list(EVENTS), "return_url": demo_url(config)}
        merchants.update(merchant_id, {"settings": sections})
    return dataclasses.replace(
        config,
        demo_checkout=True,
        demo_publishable_key=publishable["secret"],
        demo_secret_key=secret["secret"],
    )


def demo_url(config) -> str:
    """Where the demo checkout's page is (``ingress.checkout.demo.demo_origin``)."""
    from ingress.checkout import public_origin
    from ingress.checkout.demo import demo_origin

    return demo_origin(public_origin(config)) + "/checkout/demo"


def banner(config, port):
    token = Authenticator(config).mint(DEV_MERCHANT, ttl_seconds=30 * 86400)
    password = demo_owner(config)
    base = f"http://127.0.0.1:{port}"
    mail = (
        f"  and its receipt, as {CUSTOMER_EMAIL} got it:\n    {base}/_dev/mail\n"
        if config.dev_mail_dir
        else ""
    )
    print(
        f"""
PayWave is running at {base}
  demo checkout (pay with 4242 4242 4242 4242):
    {demo_url(config)}
  dashboard (sign in as the demo owner below; the demo's payments are in test mode):
    {base}/dashboard
  dev token (merchant {DEV_MERCHANT}, 30 days):
    export TOKEN={token}
  or log in as the demo owner ({DEMO_EMAIL}, password {password}):
    curl -s -X POST {base}/auth/login -H 'Content-Type: application/json' \\
      --data '{{"email": "{DEMO_EMAIL}", "password": "{password}"}}'
  create a payment:
    curl -s -X POST {base}/payments -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
      -H "Idempotency-Key: $(date +%s%N)" \\
      -d '{EXAMPLE}'
  then poll it:
    curl -s {base}/payments/<id> -H "Authorization: Bearer $TOKEN"
{mail}""",
        flush=True,
    )


def with_dashboard(api, dashboard_app):
    """One WSGI app on one port: ``/dashboard`` and below to the dashboard, anything else to the API, so a new
    user finds the dashboard where the API is (a deployment routes the path to the dashboard's own pods)."""
    from dashboard import PREFIX

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        target = dashboard_app if path == PREFIX or path.startswith(PREFIX + "/") else api
        return target(environ, start_response)

    return app


def _embedded_app(config):
    import dramatiq

    from dashboard.app import create_app as create_dashboard
    from ingress.app import create_app
    from shared import tracing
    from shared.broker import reachable
    from shared.logging import configure
    from store.db import open_database
    from store.migrate import migrate
    from store.vault import Vault
    from workers import runtime

    configure(config.log_level, role="dev")
    tracing.configure("dev")  # after gunicorn's fork, before the broker's middleware and the app are built
    open_database(config.database_url)
    migrate()
    rt = runtime.build(config, sweeper=True, heartbeat=False)
    worker = dramatiq.Worker(rt.broker, worker_threads=config.worker_threads)
    worker.start()
    vault = Vault.from_config(config)
    api = create_app(
        config, vault=vault, cache=rt.context.cache, relay=rt.relay, broker_check=lambda: reachable(rt.broker)
    )
    return with_dashboard(api, create_dashboard(config, vault=vault, cache=rt.context.cache, relay=rt.relay))


def run(config, port, host="127.0.0.1"):
    """Serve until SIGINT or SIGTERM.

    Raises:
      SystemExit: one line, before anything starts, when a port it needs is taken or the
        database cannot be opened.
    """
    ports = [port] + [p for name, p in SANDBOX_PORTS.items() if not getattr(config, f"{name}_api_base")]
    if config.broker_url:
        ports += [config.ingress_metrics_port, *metrics_ports(config).values()]
    busy = busy_ports(host, ports)
    if busy:
        raise SystemExit(
            f"port {', '.join(map(str, busy))} on {host} already in use: is PayWave running already? "
            "(another port: --port, PAYWAVE_METRICS_PORT, PAYWAVE_INGRESS_METRICS_PORT)"
        )
    check_database(config.database_url)
    config.warn_dev_defaults()
    config, children = start_sandboxes(config)
    if "PAYWAVE_PUBLIC_URL" not in os.environ:  # where this command serves, not the default port
        config = dataclasses.replace(config, public_url=f"http://127.0.0.1:{port}")
    config = demo_checkout(config)
    config, catcher = start_mail_catcher(config)
    env = {
        name: config.as_environ()[name]
        for name in (
            "PAYWAVE_STRIPE_API_BASE",
            "PAYWAVE_PAYPAL_API_BASE",
            "PAYWAVE_PUBLIC_URL",
            "PAYWAVE_DEMO_CHECKOUT",
            "PAYWAVE_DEMO_PUBLISHABLE_KEY",
            "PAYWAVE_DEMO_SECRET_KEY",
            "PAYWAVE_SMTP_URL",
            "PAYWAVE_DEV_MAIL_DIR",
        )
    }
    os.environ.update(env)
    try:
        if not config.broker_url:
            banner(config, port)
            serve(lambda: _embedded_app(config), host=host, port=port, workers=1, threads=config.web_threads)
            return
        if subprocess.run([sys.executable, "-m", "cli", "migrate"]).returncode:
            raise SystemExit("the migration failed (above)")
        children.append(_child("ingress", "--host", host, "--port", str(port), "--with-dashboard"))
        children += [
            _child("worker", "--pool", pool, env={"PAYWAVE_METRICS_PORT": str(metrics)})
            for pool, metrics in metrics_ports(config).items()
        ]
        wait_http(f"http://{host}:{port}/healthz", children[-len(POOLS) - 1])
        banner(config, port)
        # Blocked, so sigwait takes them: unblocked, SIGTERM would kill this process before ``finally``
        # and leave the children running. Blocked only now: children inherit the mask.
        stop = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)
        signal.sigwait(stop)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(30)
        if catcher is not None:
            catcher.stop()
