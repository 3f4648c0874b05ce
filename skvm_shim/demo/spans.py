"""The demo reads what the shim did from the shim's own spans, as any trace viewer would.

A span processor keeps every finished span of the shim in memory; the tracer provider it sits on
also exports to OTLP when asked (``--jaeger``/``--otlp-endpoint``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from skvm_shim.telemetry import semconv
from skvm_shim.telemetry.provider import otlp_traces_endpoint

JIT_EVENT_PREFIX = "skvm.jit."


class SpanLog(SpanProcessor):
    """Every finished span, in order; ``since(n)`` gives those after the first ``n``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            self._spans.append(span)

    def __len__(self) -> int:
        with self._lock:
            return len(self._spans)

    def since(self, start: int) -> list[ReadableSpan]:
        with self._lock:
            return self._spans[start:]

    def llm(self) -> list[ReadableSpan]:
        return [s for s in self.since(0) if is_llm(s)]


def is_llm(span: ReadableSpan) -> bool:
    return (span.attributes or {}).get(semconv.OPERATION) == "chat"


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def strings(value: Any) -> list[str]:
    """A span attribute that holds a list of strings (absent: empty)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(v) for v in value]
    return []


def jit_events(span: ReadableSpan) -> list[tuple[str, dict[str, Any]]]:
    """The template events on a call (``promoted``, ``learned``...), prefix removed."""
    return [
        (e.name.removeprefix(JIT_EVENT_PREFIX), dict(e.attributes or {}))
        for e in span.events
        if e.name.startswith(JIT_EVENT_PREFIX)
    ]


def make_provider(log: SpanLog, otlp_endpoint: str | None) -> tuple[TracerProvider, str | None]:
    """A tracer provider feeding ``log``; it also exports by OTLP/HTTP to ``otlp_endpoint`` or,
    without one, where the standard ``OTEL_*`` variables say (as every other command does)."""
    service = os.environ.get("OTEL_SERVICE_NAME", "skvm-shim")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(log)
    endpoint = otlp_traces_endpoint(otlp_endpoint)
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider, endpoint
