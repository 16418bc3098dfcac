"""A scratch Postgres database for a benchmark: created, migrated and bound to the store, dropped after."""

import contextlib
import secrets
import urllib.parse
from collections.abc import Iterator

import psycopg2

from store.db import database, open_database
from store.migrate import migrate


@contextlib.contextmanager
def scratch_database(postgres: str, prefix: str) -> Iterator[str]:
    """A new database ``<prefix>_<random>`` on the server of ``postgres`` (an admin URL); yields its URL.

    Dropped at the end ``WITH (FORCE)``, whatever connections are left to it.
    """
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = psycopg2.connect(postgres)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE DATABASE {name}")
    try:
        url = urllib.parse.urlparse(postgres)._replace(path="/" + name).geturl()
        open_database(url)
        migrate()  # its pooled connection is ended by the DROP ... WITH (FORCE)
        yield url
    finally:
        with contextlib.suppress(Exception):
            database.close()
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
