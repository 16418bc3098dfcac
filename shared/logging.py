"""structlog JSON logs, one line per event, with a last-line PAN scrubber."""

import logging
import sys
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from shared.cards import mask_pans


def scrub(text: str) -> str:
    """Mask anything that looks like a card number."""
    return mask_pans(text)


def _scrub_event(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    # Defence in depth: card data must never reach a log even if a bug puts it in one.
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
    return event


def _render(obj: Any, **kwargs: Any) -> str:
    return orjson.dumps(obj, default=str).decode()


def configure(level: str = "info", stream: TextIO | None = None) -> None:
    """Route structlog and the standard library's logging to JSON lines on ``stream``."""
    stream = stream or sys.stdout
    numeric = getattr(logging, level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _scrub_event,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer(serializer=_render)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(serializer=_render), foreign_pre_chain=shared
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    for noisy in ("pika", "urllib3", "stripe"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> FilteringBoundLogger:
    return structlog.get_logger(name)


#: The workers' log (``paywave.worker``): every actor and worker middleware writes its lines here.
worker_log = get_logger("paywave.worker")
