"""The run's leftovers hold no card data in clear: every database, Redis key, queued message
and log line it produced is scanned for card numbers and CVCs, and every span the traced tests exported
(``tests/tracing``) for those and for email addresses; any finding fails the run.

``tests.support.services`` scans each database, key prefix and queue just before removing
it (``record``); the JSON logs of this process and of the worker processes go to files in
``LOG_DIR`` (``log_file``), scanned when the session finishes.  A pytest plugin
(``pytest_plugins`` in ``tests/conftest.py``; PYTEST_DONT_REWRITE, as it is imported before).
"""

import json
import logging
import os
import re
import shutil
import sys
import tempfile

import pika
import psycopg2
import pytest
import redis

from sandbox.cards import CARDS
from shared.cards import luhn_ok
from shared.logging import configure

# A digit run not glued to letters or digits (hex and base62 ids never match), starting like the card
# networks' numbers (2-6: epoch-millisecond timestamps start with 1).
_RUN = re.compile(r"(?<![0-9A-Za-z])[2-6]\d{12,18}(?![0-9A-Za-z])")
_Q = r"""[\\"'\]]*"""  # quotes, escaped quotes or a bracket between a field name and its value
_CVC = re.compile(rf"(?<![\w])(cvc|security_code){_Q}\s*[:=]\s*{_Q}\d{{3,4}}(?!\d)", re.IGNORECASE)

FINDINGS = []
LOG_DIR = None  # made by the first log_file()


def _mask(number):
    return f"{number[:6]}…{number[-4:]}"


def find(text: str) -> list[str]:
    """What in ``text`` is card data: a test card's number, any Luhn-valid 13-19 digit run, a CVC field."""
    hits = {f"card number {_mask(n)}" for n in CARDS if n in text}
    hits |= {f"card number {_mask(m.group())}" for m in _RUN.finditer(text) if luhn_ok(m.group())}
    hits |= {f"CVC in a {m.group(1)} field" for m in _CVC.finditer(text)}
    return sorted(hits)


def scan_database(url) -> list[str]:
    """Every row of every table, as ``column: value`` JSON."""
    hits = []
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT * FROM "{table}"')
            names = [c.name for c in cur.description]
            rows = cur.fetchall()
            for index, name in enumerate(names):  # per column: a finding names where it is
                text = "\n".join(json.dumps({name: row[index]}, default=str) for row in rows)
                hits += [f"table {table}, column {name}: {hit}" for hit in find(text)]
    conn.close()
    return hits


_READ = {
    b"string": lambda c, k: c.get(k),
    b"hash": lambda c, k: c.hgetall(k),
    b"list": lambda c, k: c.lrange(k, 0, -1),
    b"set": lambda c, k: c.smembers(k),
    b"zset": lambda c, k: c.zrange(k, 0, -1),
}


def scan_redis(url, prefix) -> list[str]:
    """Every key under ``prefix``: its name and its value, whatever its type."""
    client = redis.Redis.from_url(url)
    hits = []
    for key in client.scan_iter(match=prefix + "*", count=1000):
        value = _READ.get(client.type(key), lambda c, k: None)(client, key)
        hits += [f"key {key.decode(errors='replace')}: {hit}" for hit in find(repr(key) + repr(value))]
    return hits


def scan_queues(url, names, limit=100_000) -> list[str]:
    """Every message in ``names`` (and their ``.DQ``/``.XQ``), peeked: never acknowledged, so requeued."""
    hits, pika_log = [], logging.getLogger("pika")
    connection, level = pika.BlockingConnection(pika.URLParameters(url)), pika_log.level
    pika_log.setLevel(logging.CRITICAL)  # an absent queue's 404 is expected
    try:
        for name in (n + suffix for n in names for suffix in ("", ".DQ", ".XQ")):
            channel = connection.channel()
            try:
                for _ in range(limit):
                    method, _, body = channel.basic_get(name, auto_ack=False)
                    if method is None:
                        break
                    hits += [f"queue {name}: {hit}" for hit in find(body.decode(errors="replace"))]
                channel.close()
            except pika.exceptions.ChannelClosedByBroker:  # no such queue
                pass
    finally:
        connection.close()  # unacknowledged messages go back to their queues
        pika_log.setLevel(level)
    return hits


def scan_logs(paths) -> list[str]:
    hits = []
    for path in paths:
        with open(path, errors="replace") as f:
            for number, line in enumerate(f, 1):
                hits += [f"{os.path.basename(path)} line {number}: {hit}" for hit in find(line)]
    return hits


_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def scan_spans(spans) -> list[str]:
    """Every exported span (``opentelemetry.sdk.trace.ReadableSpan``): its name, attributes and events, for
    card data and for full email addresses (a span may carry neither)."""
    hits = []
    for span in spans:
        events = [(e.name, dict(e.attributes or {})) for e in span.events]
        text = json.dumps([span.name, dict(span.attributes or {}), events], default=str)
        found = find(text) + [f"email address {m.group()}" for m in _EMAIL.finditer(text)]
        hits += [f"span {span.name!r}: {hit}" for hit in found]
    return hits


def record(where, scan, *args):
    """Run ``scan(*args)`` and keep what it finds (a scan that fails is a finding too)."""
    try:
        FINDINGS.extend(f"{where}: {hit}" for hit in scan(*args))
    except Exception as exc:
        FINDINGS.append(f"{where}: could not be scanned ({type(exc).__name__}: {exc})")


def log_file(name, mode="ab"):
    """A file in ``LOG_DIR`` for a process's logs, opened for appending."""
    global LOG_DIR
    LOG_DIR = LOG_DIR or tempfile.mkdtemp(prefix="paywave-test-logs-")
    return open(os.path.join(LOG_DIR, f"{name}.jsonl"), mode)


class _Tee:
    """This process's log lines: to the session's log file, and to ``sys.stdout`` as pytest captures it
    now."""

    def __init__(self):
        self.file = log_file("pytest", "a")

    def write(self, text):
        self.file.write(text)
        sys.stdout.write(text)

    def flush(self):
        self.file.flush()
        sys.stdout.flush()


_TEE = None


def _tee_logs():
    if not any(getattr(h, "stream", None) is _TEE for h in logging.getLogger().handlers):
        configure("info", stream=_TEE)  # as in production: JSON, scrubbed


def pytest_sessionstart(session):
    global _TEE
    _TEE = _TEE or _Tee()
    _tee_logs()


def pytest_runtest_logfinish(nodeid, location):
    _tee_logs()  # again, after a test that reconfigured logging for itself


def pytest_sessionfinish(session, exitstatus):
    record("logs", scan_logs, sorted(os.path.join(LOG_DIR, name) for name in os.listdir(LOG_DIR)))
    if FINDINGS:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if session.exitstatus == pytest.ExitCode.OK:
        shutil.rmtree(LOG_DIR, ignore_errors=True)


def pytest_terminal_summary(terminalreporter):
    if FINDINGS:
        terminalreporter.section("card data left in clear", sep="!", red=True, bold=True)
        for finding in FINDINGS:
            terminalreporter.write_line(finding)
    if LOG_DIR and os.path.isdir(LOG_DIR):
        terminalreporter.write_line(f"the run's logs are kept in {LOG_DIR}")
