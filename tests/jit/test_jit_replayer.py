"""The replayer in the runtime: keys, opt-outs, modes, restarts, other processes, fall-through."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import skvm_shim
from adapters.ir import AssistantTurn, ToolCall, Usage
from skvm_shim.config import Settings
from skvm_shim.jit import JitReplayer, admin
from skvm_shim.jit.replayer import ATTR_REPLAYED
from skvm_shim.pipeline import ReplayDecision, ReplayQuery
from skvm_shim.runtime import Runtime
from skvm_shim.shim import Shim
from skvm_shim.testing.script import ToolCall as ScriptedCall
from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.jit.agent import BASH_SCHEMA, Endpoint
from tests.jit.conftest import JitSpans, templates
from tests.jit.scenario import LEARN_NAMES, SKILL_DIR, SKILL_TEXT, SYSTEM, Runner, model_turns
from tests.jit.test_jit_e2e_patch import make_client

ROOT = Path(__file__).resolve().parents[2]
CLI = (sys.executable, "-c", "from skvm_shim.cli import main; main()")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def patched(home: Path, jit_spans: JitSpans) -> Iterator[Shim]:
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=home, tracer_provider=jit_spans.provider)
    yield shim
    skvm_shim.unpatch()


def runner(upstream: ScriptedUpstream, cwd: Path, endpoint: Endpoint = "chat") -> Runner:
    return Runner(
        make_client=lambda: make_client(endpoint, upstream),
        upstream=upstream,
        endpoint=endpoint,
        stream=False,
        cwd=cwd,
    )


def promote(run: Runner) -> None:
    for name in LEARN_NAMES:
        assert run.session(name, script=model_turns(name, 12)).requests == 3


def test_a_template_never_fires_under_another_tool_schema(
    patched: Shim, upstream: ScriptedUpstream, work_dir: Path
) -> None:
    run = runner(upstream, work_dir)
    promote(run)
    schema = {
        **BASH_SCHEMA,
        "properties": {**BASH_SCHEMA["properties"], "timeout": {"type": "integer"}},
    }
    other = run.session("q5 x.csv", script=model_turns("q5 x.csv", 12), schema=schema)
    assert other.requests == 3
    assert patched.store is not None
    states = sorted(r.state for r in templates(patched.store))
    assert states == ["promoted", "shadow"], "the new schema learns its own template"
    assert run.session("q6 x.csv", script=[]).requests == 0, "the old schema still replays"


def test_editing_the_skill_starts_over(
    patched: Shim, upstream: ScriptedUpstream, work_dir: Path
) -> None:
    run = runner(upstream, work_dir)
    promote(run)
    edited = SYSTEM.replace("Report the start", "Report the beginning")
    assert edited != SYSTEM
    outcome = run.session("q5 x.csv", script=model_turns("q5 x.csv", 12), system=edited)
    assert outcome.requests == 3
    assert patched.store is not None
    assert len(templates(patched.store)) == 2


def test_disabled_skill_is_neither_learned_nor_replayed(
    patched: Shim, upstream: ScriptedUpstream, work_dir: Path
) -> None:
    assert patched.store is not None
    replayer = patched.replayer
    assert isinstance(replayer, JitReplayer)
    run = runner(upstream, work_dir)
    promote(run)
    admin.disable(patched.store, "line-stats", by_hash=False)
    replayer.optouts.refresh()
    [before] = templates(patched.store)
    assert run.session("q5 x.csv", script=model_turns("q5 x.csv", 12)).requests == 3
    [after] = templates(patched.store)
    assert (after.sessions, after.hits) == (before.sessions, before.hits)
    assert admin.enable(patched.store, "line-stats")
    replayer.optouts.refresh()
    assert run.session("q6 x.csv", script=[]).requests == 0


def test_frontmatter_opt_out(
    upstream: ScriptedUpstream, home: Path, work_dir: Path, tmp_path: Path
) -> None:
    text = SKILL_TEXT.replace("description:", "metadata:\n  skvm-jit: off\ndescription:", 1)
    skill_dir = tmp_path / "skills" / "line-stats"
    skill_dir.mkdir(parents=True)
    (skill_dir / "SKILL.md").write_text(text)
    system = f"You are a careful agent.\n\n<skill>\n{text}\n</skill>"
    shim = skvm_shim.patch(skills=[skill_dir], home=home)
    try:
        run = runner(upstream, work_dir)
        for name in (*LEARN_NAMES, "q5 x.csv"):
            assert run.session(name, script=model_turns(name, 12), system=system).requests == 3
        assert shim.store is not None
        assert templates(shim.store) == []
    finally:
        skvm_shim.unpatch()


def test_state_survives_a_restart_and_other_processes_see_it(
    upstream: ScriptedUpstream, home: Path, work_dir: Path
) -> None:
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=home)
    try:
        promote(runner(upstream, work_dir))
    finally:
        skvm_shim.unpatch()
    listed = subprocess.run(
        [*CLI, "--home", str(home), "jit", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    [row] = json.loads(listed.stdout)["templates"]
    assert row["state"] == "promoted"
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=home)
    try:
        run = runner(upstream, work_dir)
        assert run.session("after restart.csv", script=[]).requests == 0
        # Another process resets the templates while this one runs: the next session asks the
        # model again (the key's version changed under this process's cache).
        subprocess.run(
            [*CLI, "--home", str(home), "jit", "reset", "--all"],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        assert (
            run.session("after reset.csv", script=model_turns("after reset.csv", 12)).requests == 3
        )
        assert shim.store is not None
        [record] = templates(shim.store)
        assert (record.state, record.sessions) == ("shadow", 1)
    finally:
        skvm_shim.unpatch()


def test_templates_that_disagree_do_not_replay(
    upstream: ScriptedUpstream, home: Path, work_dir: Path
) -> None:
    """Two promoted templates agree on the first two steps and then disagree (one answers, the
    other runs a third command): those two steps replay, the third goes to the model."""

    def longer(name: str) -> list[Turn]:
        head, wc, final = model_turns(name, 12)
        cat = Turn(tool_calls=(ScriptedCall(name="bash", arguments={"command": f'cat "{name}"'}),))
        return [head, wc, cat, final]

    skvm_shim.patch(skills=[SKILL_DIR], home=home, jit="shadow")
    try:
        run = runner(upstream, work_dir)
        promote(run)
        for name in ("c1 x.csv", "c2 x.csv", "c3 x.csv", "c4 x.csv"):
            assert run.session(name, script=longer(name)).requests == 4
    finally:
        skvm_shim.unpatch()
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=home, jit="on")
    try:
        assert shim.store is not None
        assert sorted(r.state for r in templates(shim.store)) == ["promoted", "promoted"]
        name = "d x.csv"
        outcome = runner(upstream, work_dir).session(name, script=[model_turns(name, 12)[2]])
        assert outcome.requests == 1
        assert [e.command for e in outcome.log.executed] == [
            "head -n 2 'd x.csv'",
            "wc -l < 'd x.csv'",
        ]
    finally:
        skvm_shim.unpatch()


def test_a_promoted_template_that_mispredicts_in_shadow_mode_is_demoted(
    upstream: ScriptedUpstream, home: Path, work_dir: Path
) -> None:
    skvm_shim.patch(skills=[SKILL_DIR], home=home, jit="shadow")
    try:
        run = runner(upstream, work_dir)
        promote(run)
        turns = model_turns("e x.csv", 12)
        turns[0] = Turn(
            tool_calls=(ScriptedCall(name="bash", arguments={"command": "head -n 5 'e x.csv'"}),)
        )
        assert run.session("e x.csv", script=turns).requests == 3
        store = skvm_shim.current().store  # type: ignore[union-attr]
        assert store is not None
        [record] = templates(store)
        assert (record.state, record.demotions) == ("shadow", 1)
        assert [e.detail for e in record.events if e.kind == "demoted"] == ["mispredicted step 0"]
    finally:
        skvm_shim.unpatch()


def test_modes_and_thresholds_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream: ScriptedUpstream, work_dir: Path
) -> None:
    for mode, expected in (("off", None), ("shadow", "shadow"), ("on", "on")):
        monkeypatch.setenv("SKVM_JIT", mode)
        runtime = Runtime(Settings.from_env().model_copy(update={"home": tmp_path / mode}))
        try:
            got = runtime.replayer
            assert (got.mode if isinstance(got, JitReplayer) else got) == expected
        finally:
            runtime.close()
    monkeypatch.setenv("SKVM_JIT", "on")
    monkeypatch.setenv("SKVM_JIT_PROMOTE", "1")
    skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "n1")
    try:
        run = runner(upstream, work_dir)
        for name in LEARN_NAMES[:2]:
            assert run.session(name, script=model_turns(name, 12)).requests == 3
        assert run.session("third.csv", script=[]).requests == 0
    finally:
        skvm_shim.unpatch()


class Unrenderable:
    """A replayer whose turn the Messages format cannot carry (a Responses shell call)."""

    def __init__(self) -> None:
        self.observed: list[AssistantTurn] = []

    def decide(self, query: ReplayQuery) -> ReplayDecision:
        call = ToolCall("call_x", "bash", json.dumps({"commands": ["ls"]}), kind="shell")
        turn = AssistantTurn(tool_calls=(call,), finish_reason="tool_calls", usage=Usage(0, 0))
        return ReplayDecision(turn, {ATTR_REPLAYED: True})

    def observe(self, query: ReplayQuery, turn: AssistantTurn) -> None:
        self.observed.append(turn)


@pytest.mark.parametrize("stream", [False, True])
def test_a_turn_the_format_cannot_render_goes_to_the_model(
    stream: bool, upstream: ScriptedUpstream, home: Path, jit_spans: JitSpans
) -> None:
    import anthropic

    replayer = Unrenderable()
    skvm_shim.patch(
        skills=[SKILL_DIR], home=home, tracer_provider=jit_spans.provider, replayer=replayer
    )
    try:
        upstream.script(Turn(text="from the model"))
        client = anthropic.Anthropic(base_url=upstream.base_url, api_key="k", max_retries=0)
        kwargs: dict[str, Any] = {
            "model": "m",
            "max_tokens": 64,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": "hi"}],
        }
        if stream:
            with client.messages.stream(**kwargs) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**kwargs)
        assert message.content[0].text == "from the model"  # type: ignore[union-attr]
        assert len(upstream.requests) == 1
        [span] = jit_spans.llm()
        assert ATTR_REPLAYED not in (span.attributes or {})
        assert "synthesize" in (span.attributes or {}).get("skvm.faults", ())
        assert [t.text for t in replayer.observed] == ["from the model"]
    finally:
        skvm_shim.unpatch()
