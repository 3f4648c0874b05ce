"""Fixtures for the JIT tests: hermetic settings and in-memory spans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from skvm_shim.jit.records import TEMPLATES, TemplateRecord
from skvm_shim.store import Store

_SETTINGS_ENV = (
    "SKVM_HOME",
    "SKVM_SKILLS_PATH",
    "SKVM_HARNESS",
    "SKVM_JIT",
    "SKVM_JIT_PROMOTE",
    "SKVM_JIT_DEMOTE",
    "SKVM_DISABLE",
)


@pytest.fixture(autouse=True)
def _hermetic_jit_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


class JitSpans:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def llm(self) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith("chat ")]


@pytest.fixture
def jit_spans() -> Iterator[JitSpans]:
    spans = JitSpans()
    yield spans
    spans.provider.shutdown()


def templates(store: Store) -> list[TemplateRecord]:
    return [record for _, record in store.scan(TEMPLATES)]


@pytest.fixture
def work_dir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How much the differential suite (test_jit_differential.py) ran, when it ran."""
    from tests.jit.simulated import STATS

    if STATS.scenarios:
        terminalreporter.write_line(STATS.line())
