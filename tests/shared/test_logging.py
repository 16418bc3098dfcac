"""Log lines are Elastic Common Schema JSON: the fields Filebeat and Elasticsearch expect, PayWave's ids under
their ECS names, card numbers and email addresses masked whatever a bug puts in a line."""

import io
import json
import logging

import pytest

from shared.logging import configure, get_logger


@pytest.fixture
def lines(monkeypatch):
    """What the logs write, parsed line by line (the suite's log configuration restored afterwards by
    leakscan's hook)."""
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    stream = io.StringIO()
    configure("info", stream=stream, role="worker-stripe")
    return lambda: [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_has_the_ecs_fields_and_paywave_ids_under_ecs_names(lines):
    get_logger("paywave.worker").info(
        "gateway_call", payment_id="pay_1", merchant_id="acme", request_id=None, gateway="stripe", status=402
    )
    (line,) = lines()
    assert line.pop("@timestamp").endswith("Z")
    assert line == {
        "log.level": "info",
        "message": "gateway_call",
        "ecs.version": line["ecs.version"],
        "service": {"name": "paywave-worker-stripe"},
        "event": {"dataset": "paywave.worker"},
        "payment": {"id": "pay_1"},
        "merchant": {"id": "acme"},
        "http": {"response": {"status_code": 402}},
        "gateway": "stripe",
    }  # a request id not known is left out; no trace.id: tracing is off
    assert line["ecs.version"].count(".") == 2


def test_errors_are_ecs_error_objects_with_the_traceback(lines):
    try:
        raise TimeoutError("read timed out")
    except TimeoutError:
        get_logger("paywave.worker").exception("call_failed", error="TimeoutError", detail="after 3 s")
    (line,) = lines()
    assert line["log.level"] == "error"
    assert line["error"]["type"] == "TimeoutError" and line["error"]["message"] == "after 3 s"
    assert "TimeoutError: read timed out" in line["error"]["stack_trace"]


def test_card_numbers_and_email_addresses_are_masked_anywhere_in_a_line(lines):
    get_logger().warning(
        "leaky", note="card 4242424242424242 of ada.lovelace@example.test", sent={"to": ["bob@shop.example"]}
    )
    logging.getLogger("some.library").warning("from the standard library: %s", "eve@example.org")
    leaky, library = lines()
    assert leaky["note"] == "card [card redacted] of a***@example.test"
    assert leaky["sent"] == {"to": ["b***@shop.example"]}
    assert library["message"] == "from the standard library: e***@example.org"
    assert library["service"] == {"name": "paywave-worker-stripe"}
