"""``skvm-shim demo`` on the real local model (SmolLM2 on llama.cpp), checked against its spans.

Skipped (with the reason) where the ``local`` extra is not installed; the default tier runs the
same demo on the scripted backend (tests/demo). Kept small (one round of two tasks, three turns
each) so it stays under a few minutes on two busy cores: the model's completion rate is printed,
never asserted (it is what it is); what is asserted is that the summary tells the truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from skvm_shim.cli import main
from skvm_shim.demo.backends import STAND_IN_MODEL
from skvm_shim.local_model import BUNDLED_MODEL_ID, LocalModelUnavailable, bundled_gguf
from skvm_shim.local_model import check_runtime as _check_runtime
from skvm_shim.testing.otlp import OtlpReceiver, ReceivedSpan

pytestmark = pytest.mark.slow

pytest.importorskip("openai", reason="the demo's harness runs on the openai SDK")

TASKS = 2


@pytest.fixture(autouse=True)
def _local_model_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        _check_runtime()
        bundled_gguf()
    except LocalModelUnavailable as exc:
        pytest.skip(f"local model not installed: {exc}")
    for name in (
        "SKVM_SKILLS_PATH",
        "SKVM_HARNESS",
        "SKVM_JIT",
        "SKVM_JIT_PROMOTE",
        "SKVM_DISABLE",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as r:
        yield r


def _model(span: ReceivedSpan) -> Any:
    return span.attributes.get("gen_ai.request.model")


def test_demo_on_the_local_model_reports_what_the_spans_show(
    tmp_path: Path, receiver: OtlpReceiver
) -> None:
    out = tmp_path / "summary.json"
    args = ["demo", "--backend", "local", "--rounds", "1", "--tasks", str(TASKS)]
    args += ["--max-steps", "3", "--otlp-endpoint", receiver.endpoint, "--json", str(out)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text(encoding="utf-8"))
    print(result.output)
    print("completion:", summary["completion"], "transfer:", summary["transfer"])

    assert summary["backend"] == "local-model"
    assert summary["model"] == BUNDLED_MODEL_ID
    assert summary["skill"]["detected"] is True
    llm = [s for s in receiver.spans if s.attributes.get("gen_ai.operation.name") == "chat"]
    local = [s for s in llm if _model(s) == BUNDLED_MODEL_ID]
    stand_in = [s for s in llm if _model(s) == STAND_IN_MODEL]
    assert len(local) + len(stand_in) == len(llm) == summary["spans"]["llm_calls"]
    detected = [s for s in local if s.attributes.get("skvm.skills.detected")]
    assert detected, "the shim found the skill in the local model's requests"

    # Served as the compiler's variant, or the original, for the reason the summary gives.
    variant = summary["variant"]
    rewritten = [s for s in local if s.attributes.get("skvm.rewritten")]
    if variant["source"] == "compiled":
        assert variant["id"].startswith("v-")
        assert variant["served"] is True
        assert all(variant["id"] in s.attributes.get("skvm.variant.ids", []) for s in rewritten)
        assert rewritten
    else:
        assert variant["id"] is None
        assert variant["status"] in ("unchanged", "not-servable"), variant
        assert variant["reason"]
        assert not rewritten

    # The model itself made tool calls (real turns, not the shim's).
    own = [s for s in local if not s.attributes.get("skvm.synthetic")]
    tool_turns = [
        s for s in own if "tool_calls" in s.attributes.get("gen_ai.response.finish_reasons", [])
    ]
    assert tool_turns, "the local model made tool calls"
    transfer = summary["transfer"]
    assert len(own) == sum(r["model_calls"] for r in summary["rounds"]) + transfer["model_calls"]

    # Replayed steps and promotions: exactly what the spans show.
    synthetic_local = [s for s in local if s.attributes.get("skvm.synthetic")]
    replayed = sum(r["replayed_steps"] for r in summary["rounds"]) + transfer["replayed_steps"]
    assert len(synthetic_local) == replayed
    assert (
        len([s for s in llm if s.attributes.get("skvm.synthetic")]) == summary["spans"]["synthetic"]
    )
    promoted_events = [s for s in llm if "skvm.jit.promoted" in s.events]
    assert len(promoted_events) == summary["spans"]["promotions"]
    assert summary["spans"]["promotions"] == summary["promotions"] + int(transfer["promoted"])

    # The second act: the stand-in is announced and its turns are its own.
    assert summary["teacher"] == "scripted stand-in"
    teacher = transfer["teacher_round"]
    assert (
        len([s for s in stand_in if not s.attributes.get("skvm.synthetic")])
        == teacher["model_calls"]
    )
    assert teacher["model_calls"] > 0
    assert transfer["promoted"] is True, "the consistent stand-in promotes a template"
    assert transfer["replayed_steps"] >= TASKS, "the shim answered the local model's first steps"
    if transfer["model_calls"] == 0:
        assert transfer["after"]["correct"] == TASKS
    assert transfer["before"]["tasks"] == summary["completion"]["tasks"]
