"""Running a profile: raw results as checkpoint, resume, settings guard, interruption, infra
failures, real token accounting, and the profile assembled from the raw file."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest

from compiler import TCP
from compiler.marker import INTERNAL_HEADER
from skvm_shim.profiler.assemble import build_profile
from skvm_shim.profiler.generators import select
from skvm_shim.profiler.harness import BareAgentHarness
from skvm_shim.profiler.results import InstanceRecord, RawResults, RunSettings
from skvm_shim.profiler.runner import RunReport, SettingsMismatch, run_profile
from skvm_shim.testing import ScriptedUpstream, Turn, Usage

GENERATORS = select(["reason.arithmetic", "tool.file.write"])
SETTINGS = RunSettings(
    model="scripted", harness="bare-agent", api="openai", seed=3, max_steps=4, timeout_s=30
)
ANSWER = Turn(text="I am not sure.", usage=Usage(input_tokens=120, output_tokens=7), repeat=True)


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(default=ANSWER) as up:
        yield up


def _harness(up: ScriptedUpstream) -> BareAgentHarness:
    client = openai.OpenAI(base_url=up.openai_base_url, api_key="x", max_retries=0)
    return BareAgentHarness(client, "scripted", max_steps=4)


def _run(
    up: ScriptedUpstream,
    raw: RawResults,
    *,
    instances: int = 2,
    settings: RunSettings = SETTINGS,
    fresh: bool = False,
    concurrency: int = 1,
    on_record: Callable[[InstanceRecord], None] | None = None,
    stop: threading.Event | None = None,
) -> RunReport:
    return run_profile(
        GENERATORS,
        _harness(up),
        raw,
        settings=settings,
        endpoint=up.openai_base_url,
        instances=instances,
        fresh=fresh,
        concurrency=concurrency,
        on_record=on_record,
        stop=stop,
    )


def test_results_are_recorded_and_the_profile_follows_from_them(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    raw = RawResults(tmp_path / "raw-results.jsonl")
    seen: list[InstanceRecord] = []
    report = _run(upstream, raw, on_record=seen.append)
    assert (report.planned, report.ran, report.reused, report.interrupted) == (12, 12, 0, False)
    header, records = raw.read()
    assert header is not None
    assert header.settings == SETTINGS
    assert len(records) == 12 == len(seen)
    assert all(r.verdict == "failed" for r in records)
    assert all(r.transcript for r in records), "failures keep the model's transcript"
    assert all(r.tokens.input == 120 and r.tokens.output == 7 for r in records)
    # Every call the profiler made is marked shim-internal.
    assert upstream.requests
    assert all(req.headers.get(INTERNAL_HEADER.lower()) == "1" for req in upstream.requests)
    tcp = build_profile(header, records)
    assert tcp.capabilities == {"reason.arithmetic": "L0", "tool.file.write": "L0"}
    assert tcp.cost.total_tokens.input == 12 * 120
    assert tcp.model_extra is not None
    assert tcp.model_extra["profiler"]["llmCalls"] == 12
    assert TCP.from_skvm_json(tcp.to_skvm_json()).profile_id == tcp.profile_id


def test_resume_reuses_recorded_instances_and_runs_only_new_ones(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    _run(upstream, raw)
    calls = len(upstream.requests)
    again = _run(upstream, raw)
    assert (again.ran, again.reused) == (0, 12)
    assert len(upstream.requests) == calls, "nothing was asked again"
    more = _run(upstream, raw, instances=3)
    assert (more.ran, more.reused) == (6, 12)
    assert len(raw.read()[1]) == 18


def test_other_settings_are_refused_unless_fresh(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    _run(upstream, raw)
    other = SETTINGS.model_copy(update={"seed": 4})
    with pytest.raises(SettingsMismatch, match="seed: 3 there, 4 now"):
        _run(upstream, raw, settings=other)
    fresh = _run(upstream, raw, settings=other, fresh=True)
    assert fresh.ran == 12
    header, _ = raw.read()
    assert header is not None
    assert header.settings.seed == 4


def test_an_endpoint_that_fails_skips_instances_and_a_resume_retries_them(tmp_path: Path) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    with ScriptedUpstream(default=Turn(error={"status": 503}, repeat=True)) as down:
        report = _run(down, raw)
    _, records = raw.read()
    assert report.ran == 12
    assert all(r.verdict == "skipped" and r.detail.startswith("infra:") for r in records)
    with ScriptedUpstream(default=ANSWER) as up:
        again = _run(up, raw)
    assert again.ran == 12, "skipped instances are run again"
    assert all(r.verdict == "failed" for r in raw.read()[1])


def test_a_stop_lets_running_instances_finish_and_a_resume_completes(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    stop = threading.Event()

    def first_done(_: InstanceRecord) -> None:
        stop.set()

    report = _run(upstream, raw, on_record=first_done, stop=stop)
    assert report.interrupted
    assert report.ran == 1
    assert len(raw.read()[1]) == 1
    rest = _run(upstream, raw)
    assert (rest.ran, rest.reused) == (11, 1)


def test_a_line_cut_by_a_crash_is_ignored_and_repaired(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    _run(upstream, raw, instances=2)
    with raw.path.open("a") as f:
        f.write('{"kind": "instance", "primitive": "tool.fi')  # killed mid-write
    assert len(raw.read()[1]) == 12
    more = _run(upstream, raw, instances=3)
    assert more.ran == 6
    lines = raw.path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)


def test_concurrency_runs_every_instance_once(upstream: ScriptedUpstream, tmp_path: Path) -> None:
    raw = RawResults(tmp_path / "raw.jsonl")
    report = _run(upstream, raw, concurrency=4)
    assert report.ran == 12
    keys = [r.key for r in raw.read()[1]]
    assert len(keys) == len(set(keys)) == 12
