"""Fixtures shared by the whole suite: processes, ports, the real services."""

import os

import pytest

from shared.net import free_port, wait_http
from tests.support.processes import Process

# openapi-spec-validator switches to jsonschema-rs when it is installed (schemathesis brings it);
# its regex engine refuses patterns in PayPal's own documents that Python's accepts.
os.environ.setdefault("OPENAPI_SPEC_VALIDATOR_SCHEMA_VALIDATOR_BACKEND", "jsonschema")
pytest_plugins = ["tests.support.leakscan"]  # the run's leftovers and logs are scanned for card data


@pytest.fixture(scope="session")
def start_sandbox():
    """Factory: ``start_sandbox("stripe", "--latency-ms", "5") -> base URL``.

    Every sandbox started is stopped at the end of the session.
    """
    started = []

    def start(name, *flags):
        port = free_port()
        proc = Process(["sandbox", name, "--port", str(port), *flags]).start()
        started.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/_sandbox/faults", proc.proc)
        return url

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="session")
def sandboxes(start_sandbox):
    """Both gateway sandboxes, one process each, for the whole run."""
    return {"stripe": start_sandbox("stripe"), "paypal": start_sandbox("paypal")}


# --- the real services -------------------------------------------------------

import contextlib  # noqa: E402
import secrets  # noqa: E402

from tests.support import services  # noqa: E402


@pytest.fixture(scope="session")
def service_urls():
    with contextlib.ExitStack() as stack:
        try:
            yield {kind: services.locate(kind, stack) for kind in ("postgres", "redis", "rabbitmq")}
        except services.ServiceMissing as exc:
            pytest.exit(str(exc), returncode=3)


@pytest.fixture(scope="session")
def database_url(service_urls):
    from store.db import open_database
    from store.migrate import migrate

    with services.test_database(service_urls["postgres"]) as url:
        open_database(url)
        migrate()
        yield url


@pytest.fixture(scope="session")
def config(service_urls, database_url):
    """Configuration for this run: its own database, key prefix and queue prefix."""
    from shared.config import Config

    run = secrets.token_hex(4)
    cfg = Config.from_env(
        {},
        database_url=database_url,
        redis_url=service_urls["redis"],
        broker_url=service_urls["rabbitmq"],
        queue_prefix=f"test{run}.",
        cache_prefix=f"paywave-test-{run}:",
        retry_min_backoff_ms=50,
        retry_max_backoff_ms=400,
        gateway_read_timeout=3.0,
        gateway_connect_timeout=1.0,
        stuck_after_seconds=5,
        sweep_interval_seconds=1,
        # The suite sends bursts per merchant; the limiter's own tests (tests/ingress/test_ratelimit.py) set
        # low limits.
        rate_limit_read=100_000,
        rate_limit_write=100_000,
        rate_limit_webhooks_per_ip=100_000,
        login_attempts_per_ip=100_000,  # every test logs in from 127.0.0.1; test_sessions.py sets a low one
        # Cheap Argon2 for the many logins of the suite (tests/ingress/test_sessions.py checks the defaults).
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )
    yield cfg
    from shared.queues import POOLS

    services.delete_redis_prefix(cfg.redis_url, cfg.cache_prefix)
    services.delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])


@pytest.fixture
def db(database_url):
    """A connection to the database the store is bound to (this run's, or a package's own)."""
    from store.db import database

    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


@pytest.fixture
def merchant():
    """A merchant of its own for each test: tests never see each other's payments."""
    return "m_" + secrets.token_hex(6)


@pytest.fixture(scope="session")
def mint(config):
    from ingress.auth import Authenticator

    authenticator = Authenticator(config)

    def mint_(merchant_id, scopes=("payments:read", "payments:write"), ttl=600, livemode=True):
        return authenticator.mint(merchant_id, scopes, ttl, livemode)

    return mint_


@pytest.fixture
def auth(mint, merchant):
    return {"Authorization": f"Bearer {mint(merchant)}"}
