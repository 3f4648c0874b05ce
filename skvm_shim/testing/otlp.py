"""A small OTLP/HTTP trace receiver: what Jaeger's collector port (4318) does, for tests and demos.

Tests that must run everywhere export real OTLP/HTTP (protobuf or JSON) to this receiver, in
process; tests/jaeger exports to a real Jaeger, which needs a Go build. It decodes the export
requests with the official ``opentelemetry-proto`` messages and can append each batch to a file in
OTLP JSON Lines, which Jaeger UI's "Upload JSON" accepts, so a trace recorded here can be opened
in any Jaeger later.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from skvm_shim.serving import ThreadedServer


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as received, with attributes decoded to plain Python values."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    attributes: dict[str, Any]
    status_code: int
    events: tuple[str, ...] = field(default=())


def _value(v: Any) -> Any:
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    return getattr(v, kind) if kind else None


class OtlpReceiver:
    """``POST /v1/traces`` on 127.0.0.1; a context manager running uvicorn in a thread."""

    def __init__(self, *, port: int = 0, jsonl: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._spans: list[ReceivedSpan] = []
        self.jsonl = jsonl
        self.app = Starlette(routes=[Route("/v1/traces", self._traces, methods=["POST"])])
        config = uvicorn.Config(self.app, log_level="warning", log_config=None, lifespan="off")
        self._serving = ThreadedServer(config, host="127.0.0.1", port=port, name="otlp-receiver")

    @property
    def endpoint(self) -> str:
        """The base URL to give an exporter (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
        return f"http://127.0.0.1:{self._serving.port}"

    @property
    def spans(self) -> list[ReceivedSpan]:
        with self._lock:
            return list(self._spans)

    def wait_for(self, name: str, timeout: float = 10.0) -> list[ReceivedSpan]:
        """Spans called ``name``, waiting until at least one arrived (exporters batch)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [s for s in self.spans if s.name == name]
            if found:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"no span {name!r} arrived; got {[s.name for s in self.spans]}")

    async def _traces(self, request: Request) -> Response:
        from google.protobuf import json_format
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        message = ExportTraceServiceRequest()
        if request.headers.get("content-type", "").startswith("application/json"):
            json_format.Parse(raw, message)
        else:
            message.ParseFromString(raw)
        received = list(_spans_of(message))
        with self._lock:
            self._spans.extend(received)
            if self.jsonl is not None:
                with self.jsonl.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(_otlp_json(message)) + "\n")
        return Response(
            ExportTraceServiceResponse().SerializeToString(),
            media_type="application/x-protobuf",
        )

    def __enter__(self) -> OtlpReceiver:
        self._serving.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._serving.stop()


def _spans_of(message: Any) -> Iterator[ReceivedSpan]:
    for resource_spans in message.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(
                    name=span.name,
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    kind=span.kind,
                    attributes={a.key: _value(a.value) for a in span.attributes},
                    status_code=span.status.code,
                    events=tuple(e.name for e in span.events),
                )


def _otlp_json(message: Any) -> dict[str, Any]:
    """OTLP/JSON of an export request: ids as hex, as the OTLP JSON mapping (and Jaeger) expect."""
    from google.protobuf import json_format

    data: dict[str, Any] = json_format.MessageToDict(message)
    for resource_spans in data.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _b64_to_hex(span[key])
    return data


def _b64_to_hex(value: str) -> str:
    import base64

    return base64.b64decode(value).hex()
