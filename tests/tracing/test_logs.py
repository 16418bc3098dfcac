"""With tracing on, every log line written inside a span names its trace and span: an operator goes from a
payment's trace to its log lines, and back."""

import io
import json

from opentelemetry import trace

from shared.logging import configure, get_logger


def test_a_line_written_in_a_span_carries_its_trace_and_span_ids(exporter):
    stream = io.StringIO()
    configure("info", stream=stream, role="worker-stripe")
    with trace.get_tracer("test").start_as_current_span("process_payment") as span:
        get_logger("paywave.worker").info("gateway_call", payment_id="pay_1")
    get_logger("paywave.worker").info("swept")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["trace"] == {"id": trace.format_trace_id(context.trace_id)}
    assert inside["span"] == {"id": trace.format_span_id(context.span_id)}
    assert "trace" not in outside and "span" not in outside
