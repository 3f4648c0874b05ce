"""``skvm-shim demo`` end to end on the scripted backend (no local model needed).

The scripted upstream plays a consistent model; the test keeps a handle on it (the demo's own
backend, recorded on its way in) and checks the demo's JSON summary against what the upstream
received and against the spans the demo exported by OTLP: templates promoted, the replayed steps
never reached the upstream, every count in the summary is the count the spans show.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from compiler import compile_skill, load_skill_dir, read_profile_folder
from skvm_shim.cli import main
from skvm_shim.demo import assets as demo_assets
from skvm_shim.demo import run as demo_run
from skvm_shim.demo.backends import Backend
from skvm_shim.skills.model import normalize_text
from skvm_shim.testing.otlp import OtlpReceiver

pytest.importorskip("openai", reason="the demo's harness runs on the openai SDK")

ROUNDS, TASKS = 3, 2


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "SKVM_SKILLS_PATH",
        "SKVM_HARNESS",
        "SKVM_JIT",
        "SKVM_JIT_PROMOTE",
        "SKVM_DISABLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKVM_HOME", str(tmp_path / "unused-home"))


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch) -> list[Backend]:
    """Every scripted backend the demo starts (the real ones, recorded for their request logs)."""
    seen: list[Backend] = []
    real = demo_run.scripted_backend

    def recording(*args: Any, **kwargs: Any) -> Any:
        manager = real(*args, **kwargs)

        class _Recorded:
            def __enter__(self) -> Backend:
                backend = manager.__enter__()
                seen.append(backend)
                return backend

            def __exit__(self, *exc: object) -> Any:
                return manager.__exit__(*exc)

        return _Recorded()

    monkeypatch.setattr(demo_run, "scripted_backend", recording)
    return seen


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


def _run(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / "summary.json"
    result = CliRunner().invoke(main, ["demo", *args, "--json", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8")), result.output


def test_scripted_demo_promotes_replays_without_upstream_calls_and_reports_truthfully(
    tmp_path: Path, backends: list[Backend], receiver: OtlpReceiver
) -> None:
    summary, output = _run(
        tmp_path,
        "--backend",
        "scripted",
        "--rounds",
        str(ROUNDS),
        "--tasks",
        str(TASKS),
        "--otlp-endpoint",
        receiver.endpoint,
    )
    assert "BACKEND: SCRIPTED" in output
    assert summary["backend"] == "scripted"
    assert "test double" in summary["backend_note"]
    assert summary["model"] == "smollm2-135m-instruct"
    assert summary["skill"]["name"] == "line-count"
    assert summary["skill"]["detected"] is True
    rounds = summary["rounds"]
    assert [r["round"] for r in rounds] == [1, 2, 3]
    assert all(r["correct"] == r["tasks"] == TASKS for r in rounds)

    # Templates promoted (1 learning session + 3 exact ones), then the shim answered whole tasks.
    assert summary["promotions"] == 1
    assert [t["state"] for t in summary["templates"]] == ["promoted"]
    assert rounds[-1]["model_calls"] == 0
    assert rounds[-1]["replayed_steps"] == 2 * TASKS
    assert rounds[-1]["tokens"] == 0
    assert rounds[0]["replayed_steps"] == 0

    # The upstream's own log: one request per model call, none for a replayed step.
    [backend] = backends
    assert backend.upstream is not None
    chat = [r for r in backend.upstream.requests if r.endpoint == "chat"]
    assert len(chat) == sum(r["model_calls"] for r in rounds)
    # A careful harness for a small model: greedy, capped, the skill loaded, the tools' schemas.
    first = chat[0].body
    assert (first["temperature"], first["max_tokens"]) == (0, 256)
    assert [t["function"]["name"] for t in first["tools"]] == [
        "read_file",
        "write_file",
        "run_command",
    ]
    system = first["messages"][0]["content"]
    assert "<skill>\n---\nname: line-count" in system
    assert system.splitlines()[-1].startswith("You work in ")  # last: a stable prompt prefix
    tasks = [t.match for t in backend.upstream.pending if t.tool_calls]
    assert len(tasks) == ROUNDS * TASKS
    for text in tasks[-TASKS:]:  # the last round: replayed from start to end
        assert text is not None
        assert not [r for r in chat if text in json.dumps(r.body)], text
    for text in tasks[:TASKS]:
        assert text is not None
        assert len([r for r in chat if text in json.dumps(r.body)]) == 2, text

    # What the spans show (exported by OTLP) is what the summary says.
    llm = [s for s in receiver.spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    synthetic = [s for s in llm if s.attributes.get("skvm.synthetic")]
    replayed = sum(r["replayed_steps"] for r in rounds)
    assert len(synthetic) == replayed == summary["spans"]["synthetic"]
    assert len(llm) == replayed + len(chat) == summary["spans"]["llm_calls"]
    promoted = [s for s in llm if "skvm.jit.promoted" in s.events]
    assert len(promoted) == summary["spans"]["promotions"] == 1

    # The variant: compiled and served, or none, with a reason that is true.
    variant = summary["variant"]
    assets = demo_assets.find_assets()
    if variant["source"] == "compiled":
        assert variant["id"].startswith("v-")
        assert variant["served"] is True
        assert any(line.startswith("+") for line in variant["diff"])
        served = [s for s in llm if variant["id"] in (s.attributes.get("skvm.variant.ids") or [])]
        assert served
    else:
        assert variant["source"] == "none"
        assert variant["id"] is None
        assert variant["reason"]
        assert variant["status"] == "unchanged", variant
        result = compile_skill(
            load_skill_dir(assets.skill), tcp=read_profile_folder(assets.profile)
        )
        original = assets.skill_md.read_text(encoding="utf-8")
        assert normalize_text(result.variant.skill_md) == normalize_text(original)
        assert not [s for s in llm if s.attributes.get("skvm.rewritten")]

    # The second act needs the real local model: skipped, and said so.
    assert summary["teacher"] is None
    assert summary["transfer"] is None
    assert "Second act skipped" in summary["second_act_note"]
    assert summary["completion"] == {"correct": 4, "completed": 4, "tasks": 4, "rate": 1.0}


def test_explicit_local_backend_without_the_local_model_fails_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_run, "local_unavailable", lambda: "llama_cpp not importable")
    result = CliRunner().invoke(main, ["demo", "--backend", "local"])
    assert result.exit_code == 1
    assert "--backend local: llama_cpp not importable" in result.output


def test_auto_backend_without_the_local_model_falls_back_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_run, "local_unavailable", lambda: "llama_cpp not importable")
    summary, output = _run(tmp_path, "--rounds", "1", "--tasks", "1")
    assert summary["backend"] == "scripted"
    assert "BACKEND: SCRIPTED" in output
    text = " ".join(output.replace("│", " ").split())  # the warning is boxed
    assert "The local model is not installed (llama_cpp not importable)" in text
    assert "Nothing here measures a model" in text
