"""/healthz, /readyz, the HTTP metrics (exported on their own port, not here) and /openapi.json."""

from openapi_spec_validator import validate
from prometheus_client import REGISTRY, generate_latest

from tests.support.api import card_payment


def test_healthz_and_readyz(client):
    assert client.simulate_get("/healthz").json == {"status": "ok"}
    ready = client.simulate_get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "broker": "ok", "cache": "ok"}


def test_metrics_count_requests_by_route_and_status(client, auth):
    client.simulate_post("/payments", json=card_payment(), headers=auth)
    assert (
        client.simulate_get("/metrics").status_code == 404
    )  # tests/reliability/test_metrics.py: the metrics port
    text = generate_latest(REGISTRY).decode()
    assert 'paywave_http_requests_total{method="POST",route="/payments",status="202"}' in text
    assert "paywave_http_request_duration_seconds_bucket" in text
    assert "pay_" not in text  # no payment ids as labels


def test_openapi_document_is_valid_3_1(client):
    doc = client.simulate_get("/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert {
        "/payments",
        "/payments/{payment_id}",
        "/payments/{payment_id}/capture",
        "/payments/{payment_id}/cancel",
        "/payments/{payment_id}/refunds",
    } <= doc["paths"].keys()
