"""structlog JSON logs, one line per event, with a last-line PAN scrubber."""
import logging
import sys

import orjson
import structlog

from shared.cards import mask_pans


def scrub(text: str) -> str:
    """Mask anything that looks like a card number."""
    return mask_pans(text)


def _scrub_event(logger, method, event):
    # Defence in depth: card data must never reach a log even if a bug puts it in one.
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = scrub(value)
    return event


def _render(obj, **kwargs):
    return orjson.dumps(obj, default=str).decode()


def configure(level="info", stream=None):
    """Route structlog and the standard library's logging to JSON lines on ``stream``."""
    stream = stream or sys.stdout
    numeric = getattr(logging, level.upper())
    shared = [
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
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processor=structlog.processors.JSONRenderer(serializer=_render), foreign_pre_chain=shared))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.INFO))
    for noisy in ("pika", "urllib3", "stripe"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name=None):
    return structlog.get_logger(name)
