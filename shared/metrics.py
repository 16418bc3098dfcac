"""Prometheus metrics: every name PayWave exports, defined once.

Multi-process safe: when ``PROMETHEUS_MULTIPROC_DIR`` is set (``paywave ingress``
and ``paywave worker`` set it before forking), values are aggregated across
processes at scrape time.  Metrics have their own port, never the public API's:
the workers' (Dramatiq's exporter) and the ingress's (``serve``, in gunicorn's master).
No high-cardinality labels (no payment or merchant ids).
"""

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    start_http_server,
)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

http_requests = Counter(
    "paywave_http_requests_total", "HTTP requests answered", ["route", "method", "status"]
)
http_duration = Histogram(
    "paywave_http_request_duration_seconds",
    "HTTP request latency",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
payments = Counter("paywave_payments_total", "Payments reaching a final status", ["status", "gateway"])
gateway_attempts = Counter(
    "paywave_gateway_attempts_total", "Gateway calls by outcome", ["gateway", "operation", "outcome"]
)
gateway_duration = Histogram(
    "paywave_gateway_request_duration_seconds",
    "Gateway call latency",
    ["gateway", "operation"],
    buckets=LATENCY_BUCKETS,
)
fallbacks = Counter(
    "paywave_fallbacks_total", "Payments re-routed to another gateway", ["from_gateway", "to_gateway"]
)
unknown_outcomes = Counter(
    "paywave_unknown_outcomes_total", "Gateway calls whose outcome was unknown", ["gateway"]
)
circuit_state = Gauge(
    "paywave_circuit_state",
    "Circuit breaker: 0 closed, 1 half-open, 2 open",
    ["gateway"],
    multiprocess_mode="max",
)
outbox_pending = Gauge(
    "paywave_outbox_pending", "Jobs written but not yet published", multiprocess_mode="max"
)
outbox_lag = Gauge("paywave_outbox_lag_seconds", "Age of the oldest unpublished job", multiprocess_mode="max")
dead_letters = Counter("paywave_dead_letters_total", "Jobs that exhausted their retries", ["actor"])
webhook_deliveries = Counter(
    "paywave_webhook_deliveries_total", "Webhook delivery attempts by result", ["result"]
)
risk_decisions = Counter(
    "paywave_risk_decisions_total",
    "Fraud decisions before a gateway call: the deciding rule's action (none: no rule matched)",
    ["action", "degraded"],
)
notifications = Counter(
    "paywave_notifications_total",
    "Payer notifications by channel, event type and outcome (sent, retried, failed)",
    ["channel", "event_type", "outcome"],
)

# Set by the sweeper's every pass in each ops process (not only the one that wins the sweep lock), so
# no replica keeps a stale count; the freshest write of a live process wins.
payments_stuck = Gauge(
    "paywave_payments_stuck",
    "Payments in processing or requires_review created longer ago than PAYWAVE_STUCK_AFTER_SECONDS",
    ["status"],
    multiprocess_mode="livemostrecent",
)
webhook_endpoints_disabled = Gauge(
    "paywave_webhook_endpoints_disabled",
    "Merchant webhook endpoints disabled after failing deliveries",
    multiprocess_mode="livemostrecent",
)
# Alerting reads its age (time() minus it): the pool's freshest beat across its processes.
worker_heartbeat = Gauge(
    "paywave_worker_heartbeat_timestamp_seconds",
    "Unix time of the pool's last heartbeat (every consumer of a worker process alive)",
    ["pool"],
    multiprocess_mode="max",
)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve the exposition on ``host:port`` from a daemon thread (any path answers, as ``/metrics``)."""
    start_http_server(port, addr=host, registry=_registry())
