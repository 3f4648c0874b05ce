"""A real Jaeger v2 for the trace tests, and its query API read back as plain spans.

The binary is ``github.com/jaegertracing/jaeger/cmd/jaeger`` at the version tools/jaeger/go.mod
pins, built by ``bash scripts/jaeger.sh build`` into the build cache (scripts/test.sh does it and
exports ``SKVM_JAEGER_BIN``). It runs ``config.yaml``: OTLP/HTTP in, query HTTP API out, memory
storage, every listener on a free 127.0.0.1 port.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx2

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("config.yaml")
GO_MOD = ROOT / "tools" / "jaeger" / "go.mod"
START_TIMEOUT_S = 60.0


def pinned_version() -> str:
    """The Jaeger module version tools/jaeger/go.mod requires."""
    found = re.search(r"^\s*github\.com/jaegertracing/jaeger\s+(v\S+)", GO_MOD.read_text(), re.M)
    if found is None:
        raise RuntimeError(f"{GO_MOD} does not require github.com/jaegertracing/jaeger")
    return found.group(1)


def cached_binary() -> Path:
    """Where scripts/jaeger.sh builds the binary (the same default as scripts/test.sh)."""
    cache = os.environ.get("SKVM_BUILD_CACHE") or str(
        Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "skvm-shim-build"
    )
    return Path(cache) / f"jaeger-{pinned_version()}" / "jaeger"


@dataclass(frozen=True)
class Span:
    """One span as Jaeger's API v3 returns it (OTLP JSON), attributes decoded."""

    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status: str
    """``ok``, ``error`` or ``unset``."""
    links: tuple[tuple[str, str], ...]
    """(trace id, span id) of each link."""


class Jaeger:
    """The Jaeger process (a context manager): started, waited for, stopped."""

    def __init__(self, binary: Path, *, log: Path) -> None:
        self.binary = binary
        self.log = log
        otlp, query, grpc = _free_ports(3)
        self.otlp_port, self.query_port = otlp, query
        self._env = {
            **os.environ,
            "SKVM_JAEGER_OTLP_PORT": str(otlp),
            "SKVM_JAEGER_QUERY_PORT": str(query),
            "SKVM_JAEGER_GRPC_PORT": str(grpc),
        }
        self._process: subprocess.Popen[bytes] | None = None
        self._http = httpx2.Client(trust_env=False, timeout=10.0)

    @property
    def otlp_endpoint(self) -> str:
        """The base URL for ``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``--otlp-endpoint``."""
        return f"http://127.0.0.1:{self.otlp_port}"

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.query_port}"

    def start(self) -> Jaeger:
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                [str(self.binary), "--config", str(CONFIG)],
                env=self._env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"jaeger exited with {self._process.returncode}:\n{self.logs()}")
            if self._ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"jaeger was not ready within {START_TIMEOUT_S:.0f} s:\n{self.logs()}")

    def _ready(self) -> bool:
        try:
            if self._http.get(f"{self.query_url}/api/v3/services").status_code != 200:
                return False
            with socket.create_connection(("127.0.0.1", self.otlp_port), timeout=1):
                return True
        except (httpx2.HTTPError, OSError):
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._http.close()

    def logs(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-4000:]
        return ""

    def __enter__(self) -> Jaeger:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the query API (v3: OTLP JSON) ------------------------------------------------------------

    def services(self) -> list[str]:
        response = self._http.get(f"{self.query_url}/api/v3/services")
        response.raise_for_status()
        return list(response.json().get("services") or [])

    def find(self, service: str, *, since: datetime) -> dict[str, list[Span]]:
        """Every trace of ``service`` started since ``since``: trace id -> its spans."""
        params = {
            "query.service_name": service,
            "query.start_time_min": _rfc3339(since - timedelta(seconds=5)),
            "query.start_time_max": _rfc3339(datetime.now(UTC) + timedelta(minutes=5)),
            "query.num_traces": "100",
        }
        response = self._http.get(f"{self.query_url}/api/v3/traces", params=params)
        if response.status_code == 404:
            return {}
        response.raise_for_status()
        traces: dict[str, list[Span]] = {}
        for span in _spans(response.json()):
            traces.setdefault(span.trace_id, []).append(span)
        return traces

    def trace(self, trace_id: str) -> list[Span]:
        """One trace by id (hex), as the UI's trace view gets it; [] if Jaeger has none."""
        response = self._http.get(f"{self.query_url}/api/v3/traces/{trace_id}")
        if response.status_code == 404:
            return []
        response.raise_for_status()
        return list(_spans(response.json()))

    def wait_for(
        self, service: str, *, since: datetime, traces: int, spans: int, timeout: float = 30.0
    ) -> dict[str, list[Span]]:
        """Poll until ``service`` has ``traces`` traces holding ``spans`` spans in all."""
        deadline = time.monotonic() + timeout
        found: dict[str, list[Span]] = {}
        while time.monotonic() < deadline:
            found = self.find(service, since=since)
            if len(found) >= traces and sum(map(len, found.values())) >= spans:
                return found
            time.sleep(0.2)
        counts = {k: sorted(s.name for s in v) for k, v in found.items()}
        raise AssertionError(
            f"Jaeger has not got {traces} traces / {spans} spans of {service!r}: {counts}"
        )


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _spans(payload: dict[str, Any]) -> list[Span]:
    out = []
    for resource_spans in (payload.get("result") or {}).get("resourceSpans", []):
        resource = _attributes(resource_spans.get("resource", {}).get("attributes", []))
        service = str(resource.get("service.name", ""))
        for scope_spans in resource_spans.get("scopeSpans", []):
            for raw in scope_spans.get("spans", []):
                out.append(
                    Span(
                        service=service,
                        trace_id=_hex_id(raw["traceId"]),
                        span_id=_hex_id(raw["spanId"]),
                        parent_span_id=_hex_id(raw.get("parentSpanId", "")),
                        name=raw["name"],
                        start_ns=int(raw["startTimeUnixNano"]),
                        end_ns=int(raw["endTimeUnixNano"]),
                        attributes=_attributes(raw.get("attributes", [])),
                        status=_status(raw.get("status") or {}),
                        links=tuple(
                            (_hex_id(link["traceId"]), _hex_id(link["spanId"]))
                            for link in raw.get("links", [])
                        ),
                    )
                )
    return out


def _hex_id(value: str) -> str:
    """OTLP JSON spells ids in hex; protobuf's generic JSON mapping in base64: accept both."""
    if re.fullmatch(r"[0-9a-fA-F]*", value) and len(value) in (0, 16, 32):
        return value.lower()
    import base64

    return base64.b64decode(value).hex()


def _status(status: dict[str, Any]) -> str:
    code = status.get("code", 0)
    return {1: "ok", 2: "error", "STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error"}.get(
        code, "unset"
    )


def _attributes(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {item["key"]: _value(item.get("value", {})) for item in items}


def _value(value: dict[str, Any]) -> Any:
    if "arrayValue" in value:
        return [_value(v) for v in value["arrayValue"].get("values", [])]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    for key in ("stringValue", "boolValue"):
        if key in value:
            return value[key]
    return None
