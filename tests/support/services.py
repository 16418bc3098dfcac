"""The real services the suite runs against: Postgres, Redis, RabbitMQ.

Each comes from an environment URL, else the local default port, else a
testcontainers container when Docker is present, else a clear error.  Every
run isolates itself: its own database, its own Redis key prefix, its own queue
prefix, all removed at the end, and each scanned for card data just before (``leakscan``).
"""

import contextlib
import os
import secrets
import socket
import threading
import urllib.parse

import pika
import psycopg2
import redis

from tests.support import leakscan

DEFAULTS = {
    "postgres": os.environ.get("PAYWAVE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    "redis": os.environ.get("PAYWAVE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("PAYWAVE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
}
IMAGES = {
    "postgres": "postgres:16-alpine",
    "redis": "redis:7-alpine",
    "rabbitmq": "rabbitmq:3.13-management-alpine",
}


class ServiceMissing(RuntimeError):
    pass


def _reachable(url):
    parsed = urllib.parse.urlparse(url)
    port = parsed.port or {"postgresql": 5432, "redis": 6379, "amqp": 5672}[parsed.scheme]
    try:
        with socket.create_connection((parsed.hostname, port), timeout=1):
            return True
    except OSError:
        return False


def _docker_available():
    try:
        import docker

        docker.from_env().ping()
        return True
    except Exception:
        return False


def _container(kind, stack):
    from testcontainers.core.container import DockerContainer  # noqa: F401 (presence check)

    if kind == "postgres":
        from testcontainers.postgres import PostgresContainer

        c = stack.enter_context(
            PostgresContainer(IMAGES[kind], username="postgres", password="postgres", dbname="postgres")
        )
        return (
            f"postgresql://postgres:postgres@{c.get_container_host_ip()}:{c.get_exposed_port(5432)}/postgres"
        )
    if kind == "redis":
        from testcontainers.redis import RedisContainer

        c = stack.enter_context(RedisContainer(IMAGES[kind]))
        return f"redis://{c.get_container_host_ip()}:{c.get_exposed_port(6379)}/0"
    from testcontainers.rabbitmq import RabbitMqContainer

    c = stack.enter_context(RabbitMqContainer(IMAGES[kind]))
    return f"amqp://guest:guest@{c.get_container_host_ip()}:{c.get_exposed_port(5672)}/%2F"


def locate(kind, stack):
    """URL of a reachable ``kind`` service (starting a container if need be)."""
    url = DEFAULTS[kind]
    if _reachable(url):
        return url
    if _docker_available():
        return _container(kind, stack)
    raise ServiceMissing(
        f"{kind} is not reachable at {url} and Docker is not available for testcontainers. "
        f"Start {kind} locally or set PAYWAVE_TEST_{kind.upper()}_URL."
    )


@contextlib.contextmanager
def test_database(server_url):
    """A fresh database on the server, dropped afterwards."""
    name = "paywave_test_" + secrets.token_hex(4)
    admin = psycopg2.connect(server_url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    url = urllib.parse.urlparse(server_url)._replace(path="/" + name).geturl()
    try:
        yield url
    finally:
        from store.db import database

        if database.obj is not None and hasattr(database.obj, "close_all"):
            database.obj.close_all()
        leakscan.record(f"database {name}", leakscan.scan_database, url)
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def delete_redis_prefix(url, prefix):
    leakscan.record(f"redis {prefix}*", leakscan.scan_redis, url, prefix)
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)


def delete_queues(url, names):
    leakscan.record("rabbitmq", leakscan.scan_queues, url, names)
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    for name in names:
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(name + suffix)
    connection.close()


def queue_depth(url, name):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return connection.channel().queue_declare(name, passive=True).method.message_count
    finally:
        connection.close()


def dump_database(url) -> str:
    """Every row of every table of the database at ``url``, as text (for "nothing in clear" checks)."""
    import json

    conn = psycopg2.connect(url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        dump = []
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT * FROM "{table}"')
            dump.append(json.dumps(cur.fetchall(), default=str))
        return "\n".join(dump)
    finally:
        conn.close()


@contextlib.contextmanager
def own_run(config, server_url, tag, **overrides):
    """A configuration with a database, queue prefix and key prefix of its own, bound as the store's
    database while it lasts; everything is removed and the run's database bound again afterwards."""
    import dataclasses

    from shared.queues import POOLS
    from store.db import open_database
    from store.migrate import migrate

    with test_database(server_url) as url:
        open_database(url)
        migrate()
        run = secrets.token_hex(3)
        cfg = dataclasses.replace(
            config,
            database_url=url,
            queue_prefix=f"{tag}{run}.",
            cache_prefix=f"paywave-{tag}-{run}:",
            **overrides,
        )
        try:
            yield cfg
        finally:
            delete_queues(cfg.broker_url, [cfg.queue_prefix + q for qs in POOLS.values() for q in qs])
            delete_redis_prefix(cfg.redis_url, cfg.cache_prefix)
    open_database(config.database_url)


@contextlib.contextmanager
def serving(server):
    """``server`` (a ``socketserver`` server) answering in a thread until the block ends."""
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
