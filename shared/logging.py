"""structlog JSON logs in Elastic Common Schema, one line per event, with a last-step PAN and email scrubber.

Each line has ``@timestamp``, ``log.level``, ``message`` (structlog's event), ``ecs.version``,
``service.name``, ``event.dataset``, ``trace.id`` and ``span.id`` when a span is recording
(``shared.tracing``), and PayWave's ids under their ECS-style names (``ECS_FIELDS``).  Rendered by
``ecs-logging``'s structlog formatter: dotted names become nested objects, as Elasticsearch stores them,
except ``log.level`` and ``ecs.version`` which it keeps dotted at the top (ECS logging's own layout, which
Filebeat's ``ndjson`` parser with ``expand_keys`` reads).
"""

import logging
import re
import sys
from typing import Any, TextIO, cast

import ecs_logging
import structlog
from opentelemetry import trace
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from shared import tracing
from shared.cards import mask_pans

#: The keyword arguments PayWave logs with, and the ECS field each becomes (the one place they are mapped;
#: ``error`` and ``detail`` must not stay plain strings: ECS's ``error`` is an object).
ECS_FIELDS = {
    "payment_id": "payment.id",
    "merchant_id": "merchant.id",
    "request_id": "request.id",
    "error": "error.type",
    "detail": "error.message",
    "method": "http.request.method",
    "status": "http.response.status_code",
    "pid": "process.pid",
}
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")


def scrub(text: str) -> str:
    """Mask anything that looks like a card number, and the local part of email addresses (``j***@host``)."""
    text = mask_pans(text)
    return _EMAIL.sub(r"\1***@\2", text) if "@" in text else text


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v) for v in value]
    return value


def _scrub_event(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    # Defence in depth, the last step before rendering: card data and email addresses must never reach a
    # log even if a bug puts them in one.
    return {key: _scrubbed(value) for key, value in event.items()}


def _trace_context(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    if not tracing.enabled():  # no span records then: spare each line the lookup
        return event
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace.id"] = trace.format_trace_id(context.trace_id)
        event["span.id"] = trace.format_span_id(context.span_id)
    return event


def _ecs_fields(service: str, dataset: str) -> Processor:
    def rename(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
        for key, field in ECS_FIELDS.items():
            if key in event:
                value = event.pop(key)
                if value is not None:
                    event[field] = value
        event["log.level"] = event.pop("level", method)
        event["service.name"] = service
        event["event.dataset"] = dataset
        return event

    return rename


def configure(level: str = "info", stream: TextIO | None = None, role: str = "") -> None:
    """Route structlog and the standard library's logging to ECS JSON lines on ``stream``.

    Parameters:
      role: What this process is (``ingress``, ``worker-stripe``, ``dev``): ``service.name`` is
        ``OTEL_SERVICE_NAME`` or ``paywave-ROLE`` (as its spans'), ``event.dataset`` ``paywave.ROLE``'s
        first word.
    """
    stream = stream or sys.stdout
    numeric = getattr(logging, level.upper())
    service, dataset = tracing.service_name(role), "paywave." + role.split("-")[0] if role else "paywave"
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.format_exc_info,
        _trace_context,
        _ecs_fields(service, dataset),
        _scrub_event,
    ]
    # Typed for a dict where structlog passes a MutableMapping: it always passes a dict.
    renderer = cast(Processor, ecs_logging.StructlogFormatter(ensure_ascii=False))
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processor=renderer, foreign_pre_chain=shared))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    for noisy in ("pika", "urllib3", "stripe"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    return structlog.get_logger(name)


#: The workers' log (``paywave.worker``): every actor and worker middleware writes its lines here.
worker_log = get_logger("paywave.worker")
