"""Codex 0.169.0 through ``skvm-shim proxy``: OpenAI Responses, ``$skill`` and ``exec_command``.

An explicit ``$csv-stats`` mention makes Codex add the whole SKILL.md in a ``<skill>`` user
message; the scripted model then also reads the file with ``exec_command``, whose output comes
back wrapped in Codex's envelope (``Chunk ID: ...`` / ``Output:``). Both must reach the upstream
as the stored variant. The proxy learns the skill from the traffic (the file is there whole).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.harness import clis
from tests.harness.checks import assert_served_variant
from tests.harness.npm_install import CODEX, HARNESS_TEST_TIMEOUT_S, Installation
from tests.harness.scenario import Scenario, run_scenario
from tests.harness.skill_variant import ANSWER, variant_file

# The first harness test also waits for the install (the session fixture).
pytestmark = [pytest.mark.harness, pytest.mark.timeout(HARNESS_TEST_TIMEOUT_S)]

MODEL = "codex-scripted-model"
PROMPT = "Use $csv-stats to summarise data.csv."


def _turns(skill_dir: Path) -> tuple[Turn, ...]:
    read = ToolCall(name="exec_command", arguments={"cmd": f"cat {skill_dir / 'SKILL.md'}"})
    return (
        Turn(tool_calls=(read,), stream_deltas=1),
        Turn(text=ANSWER, match="Process exited with code"),
    )


def test_codex_skill_mention_and_exec_get_the_variant(
    harness_clis: Installation, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    scenario = Scenario(
        harness="codex",
        cli_package=CODEX,
        name="mention-and-exec",
        model=MODEL,
        prompt=PROMPT,
        turns=_turns,
        skills_root=clis.codex_skills_root,
        notes="codex exec; $csv-stats injects <skill>, then exec_command cats SKILL.md.",
    )

    def build(base_url: str, env: dict[str, str]) -> clis.Invocation:
        ws = clis.Workspace(tmp_path)
        return clis.codex(harness_clis, ws, env, base_url=base_url, prompt=PROMPT, model=MODEL)

    outcome = run_scenario(
        scenario, installation=harness_clis, upstream=upstream, tmp_path=tmp_path, build=build
    )
    assert_served_variant(outcome, harness="codex", calls=2)

    variant = variant_file(outcome.skill)
    first, last = outcome.llm_requests[0].body, outcome.llm_requests[-1].body
    mentions = [
        part["text"]
        for item in first["input"]
        if item.get("role") == "user"
        for part in item["content"]
        if part.get("text", "").startswith("<skill>")
    ]
    assert len(mentions) == 1, "Codex did not inject the mentioned skill"
    assert variant in mentions[0]
    assert mentions[0].endswith("</skill>")
    outputs = [i["output"] for i in last["input"] if i.get("type") == "function_call_output"]
    assert len(outputs) == 1, outputs
    assert "Output:\n" in outputs[0]
    assert variant in outputs[0]
