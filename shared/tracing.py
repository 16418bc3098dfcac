"""OpenTelemetry tracing, configured only from the standard ``OTEL_*`` environment variables.

Off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``) or an OTLP endpoint is set
(``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, then ``otlp``); ``none`` or
``OTEL_SDK_DISABLED=true`` keeps it off.  Off, no SDK tracer provider is installed, nothing is instrumented,
and the hot path only asks ``enabled()``.  On, ``configure`` installs the SDK (the sampler from
``OTEL_TRACES_SAMPLER``/``_ARG``, the batch processor from ``OTEL_BSP_*``, the exporter from
``OTEL_EXPORTER_OTLP_*``) and the Falcon, requests, psycopg2 and Redis instrumentations.

One payment attempt is one trace: the ingress request's context is stored with each outbox row
(``traceparent``), the relay's publish span continues it and puts its own in the Dramatiq message's options,
and the workers' ``workers.middleware.Tracing`` runs the actor inside a span continuing that.

What spans may not carry (a PAN, a CVC, an email address): query strings keep their names, never their
values; SQL statements keep their shape, never their literals (``store.db.run_together`` sends values
inlined); Redis commands are recorded as ``COMMAND ? ?`` by their instrumentation.
"""

import contextlib
import os
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

from opentelemetry import context, propagate, trace

_ON = False
_tracer = trace.get_tracer("paywave")

#: The W3C trace context header's name: the key of the carrier stored in the outbox and the message.
TRACEPARENT = "traceparent"


def service_name(role: str) -> str:
    """``OTEL_SERVICE_NAME``, else ``paywave-ROLE`` (``ingress``, ``worker-stripe``, ``dev``; ``paywave``
    without a role): for spans and logs."""
    return os.environ.get("OTEL_SERVICE_NAME") or ("paywave-" + role if role else "paywave")


def wanted(environ: dict[str, str] | os._Environ[str] = os.environ) -> list[str]:
    """The span exporters the environment asks for (empty: tracing is off)."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not names and (
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        names = "otlp"
    return [n.strip() for n in names.split(",") if n.strip() and n.strip() != "none"]


def enabled() -> bool:
    """Whether this process traces (``configure`` installed the SDK)."""
    return _ON


def configure(role: str, exporters: Sequence[Any] = ()) -> bool:
    """Install the SDK tracer provider and the instrumentations, once per process, after any fork.

    Parameters:
      role: What this process is (``ingress``, ``worker``, ``dev``): its service name unless
        ``OTEL_SERVICE_NAME`` says otherwise.
      exporters: Span exporters to use instead of those the environment names (tests pass an
        in-memory one); given, tracing is on whatever the environment says.

    Returns:
      Whether tracing is on.

    Raises:
      ValueError: ``OTEL_TRACES_EXPORTER`` names an exporter other than ``otlp``, ``console``, ``none``.
    """
    global _ON
    if _ON:
        return True
    names = [] if exporters else wanted()
    if not exporters and not names:
        return False
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name(role)}))
    provider.add_span_processor(_masking_processor())  # first: before any exporter sees the span
    for exporter in exporters:  # a test reads its spans as soon as they end
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    trace.set_tracer_provider(provider)
    _instrument()
    _ON = True
    return True


def _exporter(name: str) -> Any:
    if name == "otlp":  # OTLP over HTTP/protobuf: endpoint, headers, timeout from OTEL_EXPORTER_OTLP_*
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (otlp, console or none)")


def _instrument() -> None:
    from opentelemetry.instrumentation import psycopg2 as pg
    from opentelemetry.instrumentation.falcon import FalconInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    # The psycopg2 instrumentation records each statement as sent: run_together's carry their values
    # inlined (mogrified). Its cursor tracer is the one hook on what it records.
    class ShapeOnly(pg.CursorTracer):
        def get_statement(self, cursor: Any, args: Any) -> str:
            return shape(super().get_statement(cursor, args))

    pg.CursorTracer = ShapeOnly  # type: ignore[misc]  # replaced on purpose: see above
    pg.Psycopg2Instrumentor().instrument()
    RedisInstrumentor().instrument()
    RequestsInstrumentor().instrument()
    FalconInstrumentor().instrument()  # wraps falcon.App: apps built from now on (create_app's) are traced


_LITERAL = re.compile(r"(?:\b[Ee])?'(?:[^']|'')*'|(?<![\w$.])-?\d+(?:\.\d+)?(?![\w.])")


def shape(statement: str | bytes) -> str:
    """``statement`` (as psycopg2 is given it: text, or bytes when mogrified) with each string and number
    literal replaced by ``?``."""
    text = statement.decode("utf-8", "replace") if isinstance(statement, bytes) else str(statement)
    return _LITERAL.sub("?", text)


def mask_query(url: str) -> str:
    """``url`` (or a path) with every query value replaced by ``?``: names say what was asked, values
    may be an email address."""
    parts = urllib.parse.urlsplit(url)
    if not parts.query:
        return url
    names = [pair.split("=", 1)[0] for pair in parts.query.split("&")]
    return urllib.parse.urlunsplit(parts._replace(query="&".join(f"{n}=?" for n in names)))


_URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.query")


def _masking_processor() -> Any:
    from opentelemetry.sdk.trace import SpanProcessor

    class MaskQueries(SpanProcessor):
        """Masks query values in the URL attributes a span starts with (the Falcon and requests
        instrumentations record them then).  A processor, not the instrumentations' request hooks: Falcon's
        is given to the first app built only."""

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            recorded = span.attributes or {}
            for key in _URL_ATTRIBUTES:
                value = recorded.get(key)
                if isinstance(value, str):  # url.query is the query alone
                    span.set_attribute(
                        key, mask_query(value) if key != "url.query" else mask_query("?" + value)[1:]
                    )

    return MaskQueries()


def quiet() -> contextlib.AbstractContextManager[object]:
    """Inside, the instrumentations record nothing: a background loop's polling (the relay's, the sweeper's)
    would start a trace of its queries every period.  Spans PayWave starts itself (``publishing``,
    ``outbox_write``) still are."""
    if not _ON:
        return contextlib.nullcontext()
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


def current_trace_id() -> str | None:
    """The current span's trace id (32 hex digits), if tracing is on and a span is recording."""
    if not _ON:
        return None
    span = trace.get_current_span()
    return trace.format_trace_id(span.get_span_context().trace_id) if span.is_recording() else None


def outbox_write(actor_name: str, queue_name: str) -> str | None:
    """Record a span for a job written to the outbox (a child of the current one); returns the
    ``traceparent`` to store with the job (the span's own), or None when tracing is off."""
    if not _ON:
        return None
    attributes = {"messaging.destination.name": queue_name, "paywave.actor": actor_name}
    span = _tracer.start_span(f"outbox write {actor_name}", attributes=attributes)
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=trace.set_span_in_context(span))
    span.end()  # the row is written with the change's transaction, later: the span marks the job's place
    return carrier.get(TRACEPARENT)


@contextlib.contextmanager
def publishing(jobs: Sequence[Any]) -> Iterator[list[dict[str, str]]]:
    """Producer spans for the relay's publish of ``jobs``, each continuing the trace its job's outbox row
    stored (``job.traceparent``); yields each message's options (its ``traceparent``), and ends the
    spans when the batch is confirmed (or failed: the error recorded)."""
    if not _ON:  # a context stored by a process that traces is passed on as it is
        yield [{TRACEPARENT: j.traceparent} if j.traceparent else {} for j in jobs]
        return
    spans, options = [], []
    for job in jobs:
        parent = propagate.extract({TRACEPARENT: job.traceparent}) if job.traceparent else None
        span = _tracer.start_span(
            f"publish {job.actor_name}",
            context=parent or context.Context(),  # a job without a stored context starts a trace of its own
            kind=trace.SpanKind.PRODUCER,
            attributes={
                "messaging.system": "rabbitmq",
                "messaging.operation.type": "publish",
                "messaging.destination.name": job.queue_name,
                "paywave.actor": job.actor_name,
            },
        )
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        spans.append(span)
        options.append(carrier)
    try:
        yield options
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
        raise
    finally:
        for span in spans:
            span.end()


def consume(actor_name: str, queue_name: str, message_id: str, options: dict) -> tuple[Any, object]:
    """Start the consumer span of one message, continuing the context in its ``options``, and make it
    current.  Returns ``(span, token)`` for ``consumed``."""
    parent = propagate.extract({TRACEPARENT: options[TRACEPARENT]}) if options.get(TRACEPARENT) else None
    span = _tracer.start_span(
        actor_name,
        context=parent or context.Context(),
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.destination.name": queue_name,
            "messaging.message.id": message_id,
            "paywave.actor": actor_name,
            "paywave.retries": options.get("retries", 0),
        },
    )
    return span, context.attach(trace.set_span_in_context(span))


def consumed(span: Any, token: object, exception: BaseException | None) -> None:
    """End a ``consume`` span (an error status when the actor raised) and restore the previous context."""
    if exception is not None:
        span.record_exception(exception)
        span.set_status(trace.StatusCode.ERROR, type(exception).__name__)
    span.end()
    context.detach(token)  # type: ignore[arg-type]  # the token attach returned
