"""The real harness requests from cassettes/harness_*/, replayed through the pipeline (no node).

Each cassette holds what a real CLI sent through ``skvm-shim proxy`` (recorded by the harness
tier with ``SKVM_RECORD=1``). Every recorded request goes through a fresh runtime's pipeline, in
order (so sessions form as they did live), with the variant stored for the run's (model,
harness); the recorded response is fed to the call's observer so each span completes. The
checks are derived from the request itself: wherever the original skill text sits, the rewritten
body carries the variant there and nothing else in the body changed; requests without the skill
pass byte-for-byte. Per harness, the shapes the harness really uses must be among the detections.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.wire import format_for_path
from skvm_shim.config import Settings
from skvm_shim.models import normalize_model
from skvm_shim.pipeline import Call, CallInfo
from skvm_shim.records import COMPILE_REQUESTS
from skvm_shim.runtime import Runtime
from skvm_shim.skills.detect import Detection
from skvm_shim.skills.model import Skill
from skvm_shim.store import join_key
from skvm_shim.telemetry import semconv
from skvm_shim.testing.cassettes import SECRET_HEADERS
from skvm_shim.variants import publish_variant
from tests.harness.cassette_files import HarnessCassette, Interaction, all_cassettes, load_cassette
from tests.harness.clis import DUMMY_KEY
from tests.harness.replay_support import assert_rewritten_in_place, skill_sites
from tests.harness.skill_variant import VARIANT_MARK, variant_for

Pattern = tuple[str | int, ...]


@dataclass(frozen=True)
class Shape:
    """A place a harness really puts a skill, as a detection must report it."""

    kind: str
    path: Pattern
    in_tool_result: bool = False


TOOL_RESULT_BODY = ("messages", "*", "content", "*", "content")
SHAPES: dict[tuple[str, str], tuple[Shape, ...]] = {
    # <system-reminder> catalogue; the body beside the Skill tool's result.
    ("claude-code", "skill-tool"): (
        Shape("catalogue", ("messages", 0, "content", "*", "text")),
        Shape("body", ("messages", "*", "content", "*", "text")),
    ),
    # /csv-stats: the body injected into the first user message, with ARGUMENTS.
    ("claude-code", "slash-command"): (
        Shape("catalogue", ("messages", 0, "content", "*", "text")),
        Shape("body", ("messages", 0, "content", "*", "text")),
    ),
    # <available_skills> in the system prompt; the read tool's result is the raw file.
    ("pi", "read-openai-completions"): (
        Shape("catalogue", ("messages", 0, "content")),
        Shape("file", ("messages", "*", "content"), in_tool_result=True),
    ),
    ("pi", "read-anthropic-messages"): (
        Shape("catalogue", ("system", 0, "text")),
        Shape("file", TOOL_RESULT_BODY, in_tool_result=True),
    ),
    ("pi", "read-openai-responses"): (
        Shape("catalogue", ("input", 0, "content")),
        Shape("file", ("input", "*", "output"), in_tool_result=True),
    ),
    # <skills_instructions> developer message; the $csv-stats <skill> user message; the
    # exec_command output (Codex's "Chunk ID ... Output:" envelope around the file).
    ("codex", "mention-and-exec"): (
        Shape("catalogue", ("input", 1, "content", 0, "text")),
        Shape("file", ("input", "*", "content", 0, "text")),
        Shape("file", ("input", "*", "output"), in_tool_result=True),
    ),
}
HARNESSES = {"claude-code", "pi", "codex"}

CASSETTES = all_cassettes()
IDS = [f"{p.parent.name}/{p.stem}" for p in CASSETTES]


@dataclass
class Replayed:
    cassette: HarnessCassette
    skill: Skill
    calls: list[tuple[Interaction, Any, Call]]
    spans: list[ReadableSpan]
    runtime: Runtime


def _matches(pattern: Pattern, path: tuple[Any, ...]) -> bool:
    return len(pattern) == len(path) and all(
        p in ("*", k) for p, k in zip(pattern, path, strict=True)
    )


def _llm(cassette: HarnessCassette) -> Iterator[Interaction]:
    for item in cassette.interactions:
        if item.method == "POST" and format_for_path(item.path) is not None:
            yield item


def _replay(
    path: Path, home: Path, *, with_variant: bool, installed: bool | None = None
) -> Replayed:
    """Replay a cassette; the skill is installed up front as in the live run unless ``installed``
    says otherwise (pi and Codex runs learn it from the traffic)."""
    cassette = load_cassette(path)
    meta = cassette.meta
    skill = Skill.parse(meta["skill_md"])
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    installed = meta["register_skill"] if installed is None else installed
    skills = [skill] if installed else []
    runtime = Runtime(Settings(home=home), skills=skills, tracer_provider=provider)
    assert runtime.store is not None
    if with_variant:
        publish_variant(
            runtime.store,
            skill=skill,
            text=variant_for(skill),
            model=meta["model"],
            harness=meta["harness"],
        )
    calls = []
    for item in _llm(cassette):
        fmt = format_for_path(item.path)
        assert fmt is not None
        original = item.body
        call = runtime.pipeline.begin(
            CallInfo(fmt, copy.deepcopy(original), item.headers, mode="proxy")
        )
        observer = call.observer(status=item.status)
        observer.feed(item.response_body.encode("utf-8"))
        observer.finish()
        calls.append((item, original, call))
    return Replayed(cassette, skill, calls, list(exporter.get_finished_spans()), runtime)


@pytest.fixture(params=CASSETTES, ids=IDS)
def replayed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Replayed]:
    result = _replay(request.param, tmp_path / "skvm-home", with_variant=True)
    try:
        yield result
    finally:
        result.runtime.close()


def test_cassettes_cover_every_harness() -> None:
    found = {load_cassette(p).meta["harness"] for p in CASSETTES}
    assert found >= HARNESSES, f"cassettes/harness_*/ lacks runs of {HARNESSES - found}"
    for path in CASSETTES:
        meta = load_cassette(path).meta
        assert (meta["harness"], meta["scenario"]) in SHAPES, f"{path}: no expected shapes"


def test_every_request_is_recognised_and_rewritten_in_place(replayed: Replayed) -> None:
    meta = replayed.cassette.meta
    skill = replayed.skill
    assert replayed.calls, "the cassette holds no LLM call"
    rewritten_requests = 0
    for item, original, call in replayed.calls:
        assert call.harness == meta["harness"], f"{item.uri} recognised as {call.harness}"
        sites = skill_sites(original, skill)
        whole = [d for d in call.detections if d.rewritable]
        assert sorted(d.path for d in whole) == sorted(sites), (
            f"detections {[(d.kind, d.path) for d in whole]} vs skill text at {sites}"
        )
        if not sites:
            assert call.rewritten == 0
            assert call.body == original, "a request without the skill was changed"
            continue
        rewritten_requests += 1
        assert call.rewritten == len(sites)
        assert assert_rewritten_in_place(original, call.body, skill) == len(sites)
    assert rewritten_requests, "no recorded request carried the skill"


@pytest.mark.parametrize("path", CASSETTES, ids=IDS)
def test_the_harness_shapes_are_detected(path: Path, tmp_path: Path) -> None:
    # Installed up front: a skill learned from a tool result is listed in a catalogue only from
    # the next request on (the system prompt is scanned before the tool result that teaches it).
    replayed = _replay(path, tmp_path / "skvm-home", with_variant=True, installed=True)
    replayed.runtime.close()
    meta = replayed.cassette.meta
    detections: list[Detection] = [d for _, _, call in replayed.calls for d in call.detections]
    for shape in SHAPES[(meta["harness"], meta["scenario"])]:
        hits = [
            d
            for d in detections
            if d.kind == shape.kind
            and _matches(shape.path, d.path)
            and d.in_tool_result == shape.in_tool_result
        ]
        assert hits, f"no {shape} among {[(d.kind, d.path, d.in_tool_result) for d in detections]}"
        assert all(d.skill_hash == replayed.skill.hash for d in hits)


def test_spans_name_the_harness_and_the_variant(replayed: Replayed) -> None:
    meta = replayed.cassette.meta
    spans = [s for s in replayed.spans if s.name.startswith("chat ")]
    assert len(spans) == len(replayed.calls), "every replayed call ends its span"
    for span, (_, _, call) in zip(spans, replayed.calls, strict=True):
        attributes = span.attributes or {}
        assert attributes.get(semconv.HARNESS) == meta["harness"]
        assert attributes.get(semconv.MODE) == "proxy"
        assert attributes.get(semconv.REWRITTEN) is (call.rewritten > 0)
        assert span.status.is_ok, span.status
        if call.rewritten:
            assert VARIANT_MARK in json.dumps(call.body)


@pytest.mark.parametrize("path", CASSETTES, ids=IDS)
def test_without_a_variant_requests_pass_unchanged(path: Path, tmp_path: Path) -> None:
    result = _replay(path, tmp_path / "skvm-home", with_variant=False)
    try:
        detected = 0
        for _, original, call in result.calls:
            assert call.rewritten == 0
            assert call.body == original
            detected += any(d.rewritable for d in call.detections)
        assert detected, "the skill was not detected"
        # A miss asks for a compile of exactly this (skill, model, harness).
        assert result.runtime.store is not None
        result.runtime.store.flush(timeout=5)
        meta = result.cassette.meta
        wanted = join_key(result.skill.hash, normalize_model(meta["model"]), meta["harness"])
        keys = [key for key, _ in result.runtime.store.scan(COMPILE_REQUESTS)]
        assert wanted in keys, keys
    finally:
        result.runtime.close()


@pytest.mark.parametrize("path", CASSETTES, ids=IDS)
def test_cassette_is_vcrpy_loadable_and_holds_no_credentials(path: Path) -> None:
    from vcr.cassette import Cassette

    text = path.read_text(encoding="utf-8")
    assert DUMMY_KEY not in text
    data = yaml.safe_load(text)
    for item in data["interactions"]:
        for side in (item["request"], item["response"]):
            names = {name.lower() for name in side["headers"]}
            assert not names & set(SECRET_HEADERS), names & set(SECRET_HEADERS)
    loaded = Cassette.load(path=str(path), record_mode="none")
    ours = load_cassette(path)
    assert len(loaded.requests) == len(ours.interactions) > 0
    assert [r.method for r in loaded.requests] == [i.method for i in ours.interactions]
