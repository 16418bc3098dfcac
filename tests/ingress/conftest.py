import pytest
from falcon import testing

from ingress.app import create_app
from shared.broker import build_broker, publisher, reachable
from shared.cache import RedisCache
from store.outbox import Relay
from store.vault import Vault


@pytest.fixture(scope="session")
def broker(config):
    return build_broker(config)


@pytest.fixture(scope="session")
def relay(config, broker, database_url):
    """Not started: tests that need jobs published call ``drain()``, so no background
    publisher races the tests that cut the broker off."""
    return Relay(publisher(broker, config.queue_prefix))


@pytest.fixture(scope="session")
def cache(config):
    return RedisCache(config.redis_url, config.cache_prefix, config.cache_ttl_seconds)


@pytest.fixture(scope="session")
def app(config, cache, relay, broker):
    return create_app(
        config,
        vault=Vault.from_config(config),
        cache=cache,
        relay=relay,
        broker_check=lambda: reachable(broker),
    )


@pytest.fixture
def client(app, db):
    return testing.TestClient(app)
