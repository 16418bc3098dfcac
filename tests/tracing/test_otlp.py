"""Real processes export real OTLP/HTTP: a ``paywave ingress`` and a ``paywave worker`` configured only by
``OTEL_*`` variables send their spans to a receiver in this test, which parses them as a collector would
(opentelemetry-proto); the payment's trace arrives whole, from both services."""

import gzip
import http.server
import threading
import time

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.support import services
from tests.support.api import card_payment
from tests.support.processes import WorkerProcess, start_ingress


class Collector(http.server.ThreadingHTTPServer):
    """``POST /v1/traces`` as an OpenTelemetry Collector takes it: each span kept as
    ``(service.name, span)``."""

    def __init__(self):
        self.spans, self.lock = [], threading.Lock()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                export = ExportTraceServiceRequest.FromString(body)
                with collector.lock:
                    for resource_spans in export.resource_spans:
                        attributes = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                        for scope_spans in resource_spans.scope_spans:
                            collector.spans += [(attributes["service.name"], s) for s in scope_spans.spans]
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def trace(self, trace_id):
        with self.lock:
            return [(service, s) for service, s in self.spans if s.trace_id.hex() == trace_id]


@pytest.fixture
def collector(monkeypatch):
    with services.serving(Collector()) as server:
        # What the processes started from here read (they copy this environment); nothing else configures it.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")  # milliseconds between exports
        yield server


@pytest.fixture
def otlp_config(config, service_urls, sandboxes):
    with services.own_run(
        config, service_urls["postgres"], "otlp", stripe_api_base=sandboxes["stripe"], web_workers=1
    ) as cfg:
        yield cfg


def test_the_ingress_and_a_worker_export_the_payments_trace_over_otlp_http(collector, otlp_config, mint):
    worker = WorkerProcess(otlp_config, "stripe")
    ingress, base = start_ingress(otlp_config, log_name="ingress-otlp")
    try:
        headers = {"Authorization": f"Bearer {mint('m_otlp')}"}
        created = requests.post(f"{base}/payments", json=card_payment(), headers=headers, timeout=10)
        assert created.status_code == 202, created.text
        url, deadline = f"{base}/payments/{created.json()['id']}", time.monotonic() + 60
        while (payment := requests.get(url, headers=headers, timeout=10).json())["status"] != "succeeded":
            assert time.monotonic() < deadline, payment
            time.sleep(0.1)
        (attempt,) = payment["attempts"]
        assert attempt["trace_id"]

        def arrived():
            return {(service, s.name) for service, s in collector.trace(attempt["trace_id"])}

        expected = {
            ("paywave-ingress", "POST /payments"),
            ("paywave-ingress", "outbox write process_payment"),
            ("paywave-ingress", "publish process_payment"),
            ("paywave-worker-stripe", "process_payment"),
            ("paywave-worker-stripe", "POST"),  # the gateway call
        }
        # Each process exports a span once it ends: the actor's after its gateway calls, in a later batch.
        while not expected <= arrived():
            assert time.monotonic() < deadline, expected - arrived()
            time.sleep(0.1)
    finally:
        ingress.terminate()
        ingress.wait(30)
        worker.stop()
