"""The dashboard's WSGI app: ``create_app`` takes its collaborators as ``ingress.app.create_app`` does."""

import pathlib

import falcon

from dashboard import PREFIX
from dashboard.pages import (
    api_keys,
    auth,
    customers,
    developers,
    home,
    payments,
    radar,
    reviews,
    team,
    value_lists,
)
from dashboard.session import Sessions, Signer
from dashboard.web import Context, Guard, crash_page, error_page, not_found
from shared.ratelimit import Limiter
from store import errors as store_errors
from store.passwords import Passwords
from store.sessions import SessionCache

STATIC = pathlib.Path(__file__).with_name("static")


class Root:
    """``GET /dashboard``: to ``/dashboard/``, the home page (relative links need the slash)."""

    public = True

    def on_get(self, req, resp):
        raise falcon.HTTPMovedPermanently(f"{PREFIX}/")


class Health:
    """``GET /dashboard/healthz``: the process answers (the liveness and readiness probes); no database, so
    a database outage does not restart every pod."""

    public = True
    uses_database = False

    def on_get(self, req, resp):
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "ok"


class NotFound:
    """Any other path: the 404 page (signed in or not: it tells nothing)."""

    public = True

    def on_get(self, req, resp, **_):
        raise falcon.HTTPNotFound()

    on_post = on_get


def create_app(config, *, vault, cache, relay, limiter: Limiter | None = None) -> falcon.App:
    """Build the dashboard from its collaborators.

    Parameters:
      config: ``shared.config.Config``.
      vault: ``store.vault.Vault`` (opens users' TOTP secrets).
      cache: ``shared.cache.Cache`` of payments, updated by the changes made here as by the API's.
      relay: ``store.outbox.Relay``: ``notify()`` after a commit that wrote a job (a capture, a refund).
      limiter: Login attempts and redeliveries, counted with the API's (default: from ``config``).
    """
    signer = Signer.from_config(config)
    sessions = Sessions(config, signer, SessionCache(config.credential_cache_seconds))
    # the static files first: the 404 sink under /dashboard/ would take their paths too
    app = falcon.App(sink_before_static_route=False)
    # added after construction, as the API's: the OpenTelemetry Falcon instrumentation's App inserts its
    # middleware into App()'s argument, which it requires to be a list
    app.add_middleware((Context(signer, config.trusted_networks()), Guard(sessions)))
    app.add_error_handler(Exception, crash_page)
    app.add_error_handler(falcon.HTTPError, error_page)
    app.add_error_handler(store_errors.NotFound, not_found)
    app.add_sink(NotFound().on_get, f"{PREFIX}/")
    app.add_static_route(f"{PREFIX}/static", str(STATIC))
    app.add_route(f"{PREFIX}/healthz", Health())
    app.add_route(PREFIX, Root())
    app.add_route(f"{PREFIX}/", home.Home())
    limiter = limiter or Limiter.from_config(config)
    auth.routes(app, config, sessions, limiter, Passwords.from_config(config), vault)
    payments.routes(app, cache, relay)
    reviews.routes(app, cache, relay)
    customers.routes(app, cache)
    api_keys.routes(app, config)
    developers.routes(app, config, vault, relay, limiter)
    radar.routes(app)
    value_lists.routes(app)
    team.routes(app, config)
    return app


def get_app(config=None):
    """The app with real collaborators built from ``config`` (default: the environment), once per gunicorn
    worker after fork, as ``ingress.app.get_app``."""
    from shared import tracing
    from shared.broker import build_broker, publisher
    from shared.cache import build_cache
    from shared.config import Config
    from shared.logging import configure
    from store.db import open_database
    from store.outbox import Relay
    from store.vault import Vault

    config = config or Config.from_env()
    configure(config.log_level, role="dashboard")
    # as the ingress: before create_app, whose falcon.App the Falcon instrumentation must wrap; a no-op
    # unless OTEL_* names an exporter, and under ``paywave ingress --with-dashboard`` already done
    tracing.configure("dashboard")
    open_database(config.database_url, max_connections=config.web_threads + 2)
    relay = Relay(publisher(build_broker(config), config.queue_prefix)).start()
    return create_app(config, vault=Vault.from_config(config), cache=build_cache(config), relay=relay)
