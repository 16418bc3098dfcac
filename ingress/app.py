"""The ingress: validate, authenticate, store, enqueue. Never calls a gateway."""

import falcon
import orjson
from falcon import media

from ingress import checkout, errors
from ingress.auth import Authentication, Authenticator, KeyAuthenticator
from ingress.checkout.cors import Cors
from ingress.middleware import DatabaseSession, Idempotency, JSONBody, RequestContext
from ingress.openapi import OpenAPI
from ingress.ratelimit import RateLimit
from ingress.resources import (
    actions,
    admin,
    api_keys,
    audit_events,
    customers,
    events,
    gateway_events,
    health,
    merchant,
    notifications,
    payments,
    radar,
    reviews,
    sessions,
    tokens,
    users,
    webhook_endpoints,
)
from shared.ratelimit import Limiter
from shared.ttlcache import TTLCache
from store import merchants
from store.passwords import Passwords
from store.sessions import SessionCache


def create_app(config, *, vault, cache, relay, broker_check) -> falcon.App:
    """Build the WSGI app from its collaborators.

    Parameters:
      config: ``shared.config.Config``.
      vault: ``store.vault.Vault`` sealing card data and webhook signing secrets.
      cache: ``shared.cache.Cache`` for payment status.
      relay: ``store.outbox.Relay`` (``notify()`` after each commit that wrote a job).
      broker_check: ``f() -> bool``, the broker's reachability for ``/readyz``.
    """
    limiter = Limiter.from_config(config)
    deleted = TTLCache(merchants.is_deleted, config.credential_cache_seconds)  # merchants, per process
    keys = KeyAuthenticator(config)
    origins = TTLCache(merchants.checkout_origins, config.merchant_cache_seconds)  # for browsers, per process
    authentication = Authentication(
        Authenticator(config), keys, SessionCache(config.credential_cache_seconds), deleted
    )
    # Added after construction, not passed to App(): the OpenTelemetry Falcon instrumentation's App inserts
    # its middleware into that argument, which it requires to be a list.
    app = falcon.App()
    app.add_middleware(
        (  # a tuple: mypy checks each item against falcon's middleware protocols
            RequestContext(config.trusted_networks()),
            authentication,
            Cors(checkout.public_origin(config), origins),
            RateLimit(config, limiter),
            DatabaseSession(),
            JSONBody(config.max_body_bytes),
            Idempotency(config.idempotency_ttl_hours),
        )
    )
    json_handler = media.JSONHandler(dumps=lambda obj: orjson.dumps(obj).decode(), loads=orjson.loads)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.req_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    errors.install(app)

    rules = merchants.RulesCache(config.merchant_cache_seconds)
    app.add_route("/merchant", merchant.Merchant(rules, deleted, origins, config.production))
    app.add_route("/payments", payments.Collection(config, vault, cache, relay, rules))
    app.add_route("/payments/export", payments.Export())
    app.add_route("/payments/{payment_id}", payments.Item(cache, relay))
    app.add_route("/payments/{payment_id}/capture", payments.Action(cache, relay, "capture"))
    app.add_route("/payments/{payment_id}/cancel", payments.Action(cache, relay, "cancel"))
    app.add_route("/payments/{payment_id}/redact", payments.Redact(cache, relay))
    app.add_route("/payments/{payment_id}/refunds", payments.Refunds(relay))
    app.add_route("/payments/{payment_id}/refunds/{refund_id}", payments.Refund())
    customers.routes(app, cache)
    app.add_route("/webhook_endpoints", webhook_endpoints.Collection(config, vault))
    app.add_route("/webhook_endpoints/{endpoint_id}", webhook_endpoints.Item())
    app.add_route("/webhook_endpoints/{endpoint_id}/rotate_secret", webhook_endpoints.RotateSecret(vault))
    app.add_route(
        "/webhook_endpoints/{endpoint_id}/test",
        webhook_endpoints.Test(relay, limiter, config.redeliver_per_hour),
    )
    app.add_route("/events", events.Collection())
    app.add_route("/events/{event_id}", events.Item())
    app.add_route("/events/{event_id}/deliveries", events.Deliveries())
    app.add_route("/events/{event_id}/redeliver", events.Redeliver(relay, limiter, config.redeliver_per_hour))
    gateway_events.routes(app, config, relay)
    actions.routes(app, config, relay)
    admin.routes(app, cache, relay)
    api_keys.routes(app, config, keys)
    audit_events.routes(app)
    tokens.routes(app, config, vault)
    radar.routes(app)
    reviews.routes(app, cache, relay)
    notifications.routes(app, config)
    checkout.routes(app, config, keys, origins)
    passwords = Passwords.from_config(config)
    sessions.routes(app, config, authentication, limiter, passwords, vault)
    users.routes(app, config, passwords, vault)
    app.add_route("/openapi.json", OpenAPI())
    app.add_route("/healthz", health.Health())
    app.add_route("/readyz", health.Ready(cache, broker_check))
    app.add_sink(payments.not_found)  # type: ignore[arg-type]  # a sink without groups is passed no fields (kwargs)
    return app


def get_app(config=None):
    """The app with real collaborators built from ``config`` (default: the environment).

    Called once per gunicorn worker, after fork, so connections are per process.
    """
    from shared import tracing
    from shared.broker import build_broker, publisher, reachable
    from shared.cache import build_cache
    from shared.config import Config
    from shared.logging import configure
    from store.db import open_database
    from store.outbox import Relay
    from store.vault import Vault

    config = config or Config.from_env()
    configure(config.log_level, role="ingress")
    tracing.configure("ingress")  # before create_app: the Falcon instrumentation wraps apps built after it
    open_database(config.database_url, max_connections=config.web_threads + 2)
    broker = build_broker(config)
    relay = Relay(publisher(broker, config.queue_prefix)).start()
    return create_app(
        config,
        vault=Vault.from_config(config),
        cache=build_cache(config),
        relay=relay,
        broker_check=lambda: reachable(broker),
    )
