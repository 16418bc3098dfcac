"""One payment attempt is one trace: request → outbox write → publish → actor → gateway call, and on through
the webhook delivery its success queues; the attempt names the trace.  What spans record carries no card
data, no email address, no SQL value."""

import time

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id

from shared import tracing
from store.models import Attempt
from tests.support import leakscan
from tests.support.api import card_payment, create_endpoint
from tests.support.sandbox import wait_status

EMAIL = "ada.lovelace@example.test"


def trace_of(exporter, trace_id, until, timeout=20.0):
    """The finished spans of trace ``trace_id`` once ``until(spans)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == trace_id]
        if until(spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def tree(spans):
    """The spans as an indented tree, ``name (kind)`` each, children in start order; database and Redis
    spans left out (their children go to the nearest span shown)."""
    by_id = {s.context.span_id: s for s in spans}
    shown = [s for s in spans if "db.system" not in (s.attributes or {})]

    def parent(span):
        while span.parent and span.parent.span_id in by_id:
            span = by_id[span.parent.span_id]
            if span in shown:
                return span.context.span_id
        return None

    def lines(of, depth):
        children = sorted((s for s in shown if parent(s) == of), key=lambda s: s.start_time)
        return [
            line
            for child in children
            for line in [
                f"{'  ' * depth}{child.name} ({child.kind.name.lower()})",
                *lines(child.context.span_id, depth + 1),
            ]
        ]

    return "\n".join(lines(None, 0))


def one(spans, name, kind):
    (span,) = [s for s in spans if s.name == name and s.kind == kind]
    return span


def test_a_payment_attempt_is_one_trace_from_the_request_to_the_gateway_and_the_webhook(
    traced_api, exporter, auth, receiver, sandboxes
):
    assert create_endpoint(traced_api, auth, receiver, events=("payment.succeeded",)).status_code == 201
    body = card_payment(customer_details={"email": EMAIL})
    resp = traced_api.simulate_post("/payments", json=body, headers=auth)
    assert resp.status_code == 202, resp.text
    payment_id = resp.json["id"]
    assert wait_status(payment_id).status == "succeeded"
    (attempt,) = Attempt.select().where(Attempt.payment_id == payment_id)
    assert attempt.trace_id and len(attempt.trace_id) == 32

    spans = trace_of(
        exporter,
        int(attempt.trace_id, 16),
        lambda spans: any(s.name == "deliver_webhook" and s.kind == SpanKind.CONSUMER for s in spans),
    )
    request = one(spans, "POST /payments", SpanKind.SERVER)
    outbox = one(spans, "outbox write process_payment", SpanKind.INTERNAL)
    publish = one(spans, "publish process_payment", SpanKind.PRODUCER)
    actor = one(spans, "process_payment", SpanKind.CONSUMER)
    gateway = [s for s in spans if "http.url" in s.attributes and s.parent.span_id == actor.context.span_id]
    hook_outbox = one(spans, "outbox write deliver_webhook", SpanKind.INTERNAL)
    hook_publish = one(spans, "publish deliver_webhook", SpanKind.PRODUCER)
    hook_actor = one(spans, "deliver_webhook", SpanKind.CONSUMER)

    assert request.parent is None  # the trace starts at the merchant's request
    assert outbox.parent.span_id == request.context.span_id
    assert publish.parent.span_id == outbox.context.span_id  # the relay, later, in its own thread
    assert actor.parent.span_id == publish.context.span_id  # through RabbitMQ, in the worker
    charge, *reads = [g.attributes["http.url"] for g in gateway]
    assert charge == sandboxes["stripe"] + "/v1/payment_intents"
    # a new card: its country and funding read back from the charge (store.radar card facts)
    assert all(url.startswith(charge + "/pi_") and "expand" in url for url in reads)
    assert hook_outbox.parent.span_id == actor.context.span_id  # what the actor queues carries the trace on
    assert hook_publish.parent.span_id == hook_outbox.context.span_id
    assert hook_actor.parent.span_id == hook_publish.context.span_id
    assert actor.attributes["messaging.destination.name"].endswith("payments.stripe")
    assert format_trace_id(request.context.trace_id) == attempt.trace_id

    shown = traced_api.simulate_get(f"/payments/{payment_id}", headers=auth).json
    assert [a["trace_id"] for a in shown["attempts"]] == [attempt.trace_id]  # an operator opens it from here
    print(f"\nthe trace of {payment_id}:\n{tree(spans)}")


def test_spans_carry_no_query_value_and_no_sql_value(traced_api, exporter, auth):
    query = f"email={EMAIL}&limit=5"
    raw = {"RAW_URI": f"/payments?{query}"}  # what gunicorn passes, and the instrumentation records
    assert (
        traced_api.simulate_get("/payments", query_string=query, headers=auth, extras=raw).status_code == 200
    )
    (request,) = [s for s in exporter.get_finished_spans() if s.name == "GET /payments"][-1:]
    assert request.attributes["http.target"] == "/payments?email=?&limit=?"

    body = card_payment(customer_details={"email": EMAIL}, number="4000000000000002")  # declined
    payment_id = traced_api.simulate_post("/payments", json=body, headers=auth).json["id"]
    wait_status(payment_id)
    attempt = Attempt.select().where(Attempt.payment_id == payment_id).order_by(Attempt.number).first()
    spans = trace_of(
        exporter, int(attempt.trace_id, 16), lambda spans: any(s.name == "process_payment" for s in spans)
    )
    statements = [s.attributes["db.statement"] for s in spans if "db.statement" in s.attributes]
    assert any("INSERT INTO" in st and '"payment"' in st for st in statements)
    assert not [st for st in statements if payment_id in st or "example.test" in st]
    assert leakscan.scan_spans(spans) == []


def test_the_span_scan_finds_card_numbers_and_email_addresses():
    planted = InMemorySpanExporter()  # not the package's: its spans are scanned at the end, and must be clean
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(planted))
    with provider.get_tracer("test").start_as_current_span(
        "planted", attributes={"note": f"4242424242424242 {EMAIL}"}
    ):
        pass
    assert leakscan.scan_spans(planted.get_finished_spans()) == [
        "span 'planted': card number 424242…4242",
        f"span 'planted': email address {EMAIL}",
    ]


def test_tracing_is_off_unless_an_exporter_or_endpoint_is_named():
    assert tracing.wanted({}) == []
    assert tracing.wanted({"OTEL_SERVICE_NAME": "x", "OTEL_TRACES_SAMPLER": "always_on"}) == []
    assert (
        tracing.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == []
    )
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == ["otlp"]
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp,console"}) == ["otlp", "console"]
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}) == []


def test_sql_literals_and_query_values_are_masked():
    assert tracing.shape(b"INSERT INTO t (a, b, c) VALUES ('x''y', 12, E'z') RETURNING id") == (
        "INSERT INTO t (a, b, c) VALUES (?, ?, ?) RETURNING id"
    )
    assert tracing.shape('SELECT "t1"."card_last4" FROM m0029 WHERE id = %s LIMIT 1') == (
        'SELECT "t1"."card_last4" FROM m0029 WHERE id = %s LIMIT ?'
    )
    assert tracing.mask_query("/payments?email=a%40b.test&limit=5") == "/payments?email=?&limit=?"
    assert tracing.mask_query("https://api.example/v1/x") == "https://api.example/v1/x"
