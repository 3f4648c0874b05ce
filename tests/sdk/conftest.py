"""Fixtures for end-to-end tests with the real SDK clients.

Each SDK major runs in its own virtual environment in CI (scripts/test.sh); a test of an SDK that
is not installed here is skipped with the reason printed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import skvm_shim
from skvm_shim.shim import Shim
from skvm_shim.skills.model import Skill
from skvm_shim.variants import publish_variant

ROOT = Path(__file__).resolve().parents[2]
SKILL_DIR = ROOT / "examples" / "skills" / "csv-stats"
SKILL = Skill.parse((SKILL_DIR / "SKILL.md").read_text(encoding="utf-8"))
VARIANT_MARK = "SKVM-VARIANT-MARK: follow these compiled steps."
VARIANT_TEXT = SKILL.text.replace("# CSV statistics\n", f"# CSV statistics\n\n{VARIANT_MARK}\n")
API_KEY = "sk-test-SECRET-4f1c9a"
MODEL = "scripted-model"


def require(module: str) -> None:
    matrix = os.environ.get("SKVM_SDK_MATRIX", "main")
    pytest.importorskip(module, reason=f"{module} is not installed in this environment ({matrix})")


class Spans:
    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def all(self) -> tuple[ReadableSpan, ...]:
        return tuple(self.exporter.get_finished_spans())

    def llm(self) -> list[ReadableSpan]:
        return [s for s in self.all() if s.name.startswith("chat ")]

    def last_llm(self) -> ReadableSpan:
        spans = self.llm()
        assert spans, "no LLM span was emitted"
        return spans[-1]


@pytest.fixture
def spans() -> Spans:
    return Spans()


@pytest.fixture
def shim(tmp_path: Path, spans: Spans) -> Iterator[Shim]:
    handle = skvm_shim.patch(
        skills=[SKILL_DIR], home=tmp_path / "skvm-home", tracer_provider=spans.provider
    )
    assert handle.store is not None
    publish_variant(handle.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic")
    try:
        yield handle
    finally:
        skvm_shim.unpatch()
