"""Where the shim's spans go.

Spans are always recorded, with or without an exporter, because adaptation reads them: the shim
adds its processor to the user's SDK ``TracerProvider`` when one is set (so its spans join the
user's traces and exporters), else to a provider of its own, which exports only when the standard
``OTEL_*`` variables or an explicit endpoint ask for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from skvm_shim.telemetry import semconv

log = logging.getLogger("skvm_shim.telemetry")

JAEGER_OTLP_HTTP = "http://127.0.0.1:4318"


def otlp_traces_endpoint(
    explicit: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The OTLP/HTTP traces URL to export to, or None for no export.

    ``explicit`` (a CLI ``--otlp-endpoint``) wins; then ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``
    (used as is) and ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces`` appended), as the OTLP
    exporter specification says. ``OTEL_TRACES_EXPORTER=none`` turns export off.
    """
    env = os.environ if environ is None else environ
    if explicit:
        return _with_traces_path(explicit)
    if env.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return None
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return _with_traces_path(env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return None


def _with_traces_path(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


class ScopeFilter(SpanProcessor):
    """Forwards only the shim's own spans to ``inner`` (the user's provider carries others too)."""

    def __init__(self, inner: SpanProcessor) -> None:
        self.inner = inner
        self.enabled = True

    def on_end(self, span: ReadableSpan) -> None:
        scope = span.instrumentation_scope
        if self.enabled and scope is not None and scope.name == semconv.SCOPE:
            self.inner.on_end(span)

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def resolve_provider(
    explicit: TracerProvider | None = None,
    *,
    otlp_endpoint: str | None = None,
) -> tuple[TracerProvider, bool]:
    """(provider, owned): the user's SDK provider if any, else a new one the shim owns."""
    if explicit is not None:
        return explicit, False
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current, False
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "skvm-shim")})
    provider = TracerProvider(resource=resource)
    endpoint = otlp_traces_endpoint(otlp_endpoint)
    if endpoint:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
        except Exception as exc:  # an exporter problem must never stop the harness
            log.warning("OTLP export to %s disabled: %s", endpoint, exc)
    return provider, True
