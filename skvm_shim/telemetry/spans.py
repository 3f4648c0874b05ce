"""Span plumbing: session traces, LLM-call spans, tool spans, fault records.

Every function here is safe to call on the request path: telemetry trouble is logged, never
raised (a broken exporter or attribute must not break the harness).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    Tracer,
)

from skvm_shim.telemetry import semconv

log = logging.getLogger("skvm_shim.telemetry")

_FORCED_TRACE_ID: ContextVar[int | None] = ContextVar("skvm_forced_trace_id", default=None)

AttributeValue = str | bool | int | float | Sequence[str] | Sequence[int] | Sequence[float]


class _SessionTraceIds(IdGenerator):
    """Lets a session root span take the session id as its trace id; random ids otherwise."""

    def __init__(self, inner: IdGenerator) -> None:
        self.inner = inner

    def generate_span_id(self) -> int:
        return self.inner.generate_span_id()

    def generate_trace_id(self) -> int:
        forced = _FORCED_TRACE_ID.get()
        return forced if forced else self.inner.generate_trace_id()


def make_tracer(provider: TracerProvider, version: str) -> Tracer:
    """The shim's tracer on ``provider``, able to start traces with a chosen id."""
    tracer = provider.get_tracer(semconv.SCOPE, version, schema_url=semconv.SCHEMA_URL)
    gen = getattr(tracer, "id_generator", None)
    if isinstance(gen, IdGenerator) and not isinstance(gen, _SessionTraceIds):
        tracer.id_generator = _SessionTraceIds(gen)  # type: ignore[attr-defined]
    return tracer


def start_session_root(
    tracer: Tracer,
    *,
    session_id: str,
    harness: str,
    start_ns: int | None = None,
    previous_root: int | None = None,
) -> tuple[Span | None, int | None]:
    """Start the session's root span (trace id = session id), left open: (span, span id).

    ``previous_root``: the span id of the session's earlier root (a resumed session), linked and
    marked with ``skvm.session.resumed``. The caller ends the span (``session_roots``).
    """
    try:
        attributes: dict[str, AttributeValue] = {
            semconv.OPERATION: "invoke_agent",
            "gen_ai.agent.name": harness,
            semconv.CONVERSATION_ID: session_id,
            semconv.HARNESS: harness,
        }
        links = []
        if previous_root is not None:
            attributes[semconv.SESSION_RESUMED] = True
            links.append(
                trace.Link(
                    SpanContext(
                        trace_id=int(session_id, 16),
                        span_id=previous_root,
                        is_remote=False,
                        trace_flags=TraceFlags(TraceFlags.SAMPLED),
                    )
                )
            )
        token = _FORCED_TRACE_ID.set(int(session_id, 16))
        try:
            span = tracer.start_span(
                f"invoke_agent {harness}",
                context=otel_context.Context(),
                kind=SpanKind.INTERNAL,
                attributes=attributes,
                links=links,
                start_time=start_ns,
            )
        finally:
            _FORCED_TRACE_ID.reset(token)
        ctx = span.get_span_context()
        if not ctx.is_valid:
            span.end(end_time=start_ns)
            return None, None
        return span, ctx.span_id
    except Exception:
        log.debug("session root span failed", exc_info=True)
        return None, None


def session_context(session_id: str, root_span_id: int | None) -> otel_context.Context | None:
    """Context to start a session's spans under: the caller's span if any, else the session root.

    A harness that traces its own work (a current span exists) keeps its trace; the shim's spans
    become children there and carry the conversation id as an attribute.
    """
    if trace.get_current_span().get_span_context().is_valid:
        return None
    if root_span_id is None:
        return None
    parent = SpanContext(
        trace_id=int(session_id, 16),
        span_id=root_span_id,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(NonRecordingSpan(parent))


def start_span(
    tracer: Tracer,
    name: str,
    *,
    kind: SpanKind,
    context: otel_context.Context | None,
    attributes: Mapping[str, AttributeValue],
    start_ns: int | None = None,
) -> Span:
    try:
        return tracer.start_span(
            name, context=context, kind=kind, attributes=dict(attributes), start_time=start_ns
        )
    except Exception:
        log.debug("span start failed", exc_info=True)
        return trace.INVALID_SPAN


def set_attributes(span: Span, attributes: Mapping[str, Any]) -> None:
    """Set every attribute whose value is not None (one call: the SDK locks once)."""
    try:
        span.set_attributes({k: v for k, v in attributes.items() if v is not None})
    except Exception:
        log.debug("attributes not set", exc_info=True)


def record_fault(span: Span, stage: str, exc: BaseException, faults: list[str]) -> None:
    """Note an internal fault the call survived (fail open) on the span."""
    faults.append(stage)
    try:
        span.add_event(
            "skvm.fault",
            {
                "skvm.fault.stage": stage,
                "exception.type": type(exc).__qualname__,
                "exception.message": str(exc)[:500],
            },
        )
        span.set_attribute(semconv.FAULTS, list(faults))
    except Exception:
        log.debug("fault %s not recorded", stage, exc_info=True)
    log.debug("skvm-shim internal fault in %s (call passed through)", stage, exc_info=exc)


def end_span(span: Span, *, error_type: str | None = None, end_ns: int | None = None) -> None:
    try:
        if error_type:
            span.set_attribute(semconv.ERROR_TYPE, error_type)
            span.set_status(Status(StatusCode.ERROR, error_type))
        span.end(end_time=end_ns)
    except Exception:
        log.debug("span end failed", exc_info=True)
