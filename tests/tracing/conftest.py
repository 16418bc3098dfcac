"""Tracing on in this process, spans kept in memory (and leak-scanned at the end): the ingress app, a worker
fleet and its relay built after it, on a run of their own (database, queues) so no other package's fleet
takes their messages."""

import dataclasses
import http.server

import pytest
from opentelemetry.instrumentation.falcon import FalconInstrumentor
from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared import tracing
from tests.support import fleet as running_fleet
from tests.support import leakscan, services


@pytest.fixture(scope="package")
def exporter():
    """Tracing configured as a process does at start, with an in-memory exporter; turned off again after
    the package (the instrumentations removed), so the rest of the run pays nothing for it."""
    memory = InMemorySpanExporter()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracing, "_ON", False)  # restored when the package ends
        assert tracing.configure("test", exporters=[memory])
        yield memory
        for instrumentor in (
            FalconInstrumentor,
            RequestsInstrumentor,
            Psycopg2Instrumentor,
            RedisInstrumentor,
        ):
            instrumentor().uninstrument()
    leakscan.record("spans", leakscan.scan_spans, memory.get_finished_spans())  # every span exported here
    memory.shutdown()  # keeps nothing more: a connection opened while traced may still make spans


class Receiver(http.server.ThreadingHTTPServer):
    """A merchant's webhook endpoint on the loopback: answers 200."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)


@pytest.fixture(scope="package")
def receiver():
    with services.serving(Receiver()) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"


@pytest.fixture(scope="package")
def traced_config(config, service_urls, sandboxes, exporter):
    with services.own_run(
        config,
        service_urls["postgres"],
        "tr",
        stripe_api_base=sandboxes["stripe"],
        paypal_api_base=sandboxes["paypal"],
        circuit_min_calls=10_000,
    ) as cfg:
        yield dataclasses.replace(cfg, webhook_allow_http=True, webhook_allowed_hosts=("127.0.0.1/32",))


@pytest.fixture(scope="package")
def traced_fleet(traced_config):
    with running_fleet.running(traced_config, threads=4) as rt:
        yield rt


@pytest.fixture
def traced_api(traced_config, traced_fleet, db):
    return running_fleet.api(traced_config, traced_fleet)
