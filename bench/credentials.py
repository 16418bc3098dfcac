"""``python -m bench.credentials``: what authenticating one request costs, a cached service token (JWT)
beside a cached API key, in this process (no HTTP, no database after the first read: a scratch SQLite file).

Prints microseconds per ``Authentication.principal`` call, the median of several rounds.
"""

import statistics
import tempfile
import time

from ingress import permissions
from ingress.auth import Authentication, Authenticator, KeyAuthenticator
from shared.config import Config
from shared.ttlcache import TTLCache
from store import api_keys, merchants
from store.db import open_database
from store.migrate import migrate
from store.sessions import SessionCache

CALLS, ROUNDS = 20_000, 7


def per_call_us(authenticate, credential: str) -> float:
    """The median over ``ROUNDS`` of the microseconds one ``authenticate(credential)`` takes."""
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(CALLS):
            authenticate(credential)
        rounds.append((time.perf_counter() - start) / CALLS * 1e6)
    return statistics.median(rounds)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        config = Config.from_env(
            {}, database_url=f"sqlite:///{scratch}/bench.db", credential_cache_seconds=60
        )
        open_database(config.database_url)
        migrate()
        spec = api_keys.KeySpec("bench", False, permissions.SCOPES)
        secret = api_keys.create("mer_bench", spec, "bench:bench", config.api_key_digest_key)["secret"]
        authenticator = Authenticator(config)
        auth = Authentication(
            authenticator, KeyAuthenticator(config), SessionCache(60), TTLCache(merchants.is_deleted, 60)
        )
        token = authenticator.mint("mer_bench", ttl_seconds=3600)
        for credential in (token, secret):  # the first call of each reads (or verifies) and caches
            auth.principal(credential)
        jwt_us, key_us = per_call_us(auth.principal, token), per_call_us(auth.principal, secret)
    print(f"cached service token (JWT): {jwt_us:.2f} µs per request")
    print(f"cached API key (sk_…):      {key_us:.2f} µs per request ({key_us / jwt_us:.1f}x)")


if __name__ == "__main__":
    main()
