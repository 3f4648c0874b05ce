"""pi 0.73.1 through ``skvm-shim proxy``: ``<available_skills>`` in the system prompt, ``read``.

pi reads SKILL.md with its ``read`` tool; the tool result (the raw file) must reach the upstream
as the stored variant. pi sends nothing harness-specific in headers, so the proxy must recognise
it from its system prompt. One run per wire API pi can be configured with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.harness import clis
from tests.harness.checks import assert_served_variant, located
from tests.harness.npm_install import HARNESS_TEST_TIMEOUT_S, PI, Installation
from tests.harness.scenario import Scenario, run_scenario
from tests.harness.skill_variant import ANSWER, variant_file

# The first harness test also waits for the install (the session fixture).
pytestmark = [pytest.mark.harness, pytest.mark.timeout(HARNESS_TEST_TIMEOUT_S)]

MODEL = "pi-scripted-model"
PROMPT = "Summarise data.csv using the csv-stats skill"
RESULT_PATH = {
    # Where pi puts the read tool's result, per wire API.
    "openai-completions": ("messages", "*", "content"),
    "anthropic-messages": ("messages", "*", "content", "*", "content"),
    "openai-responses": ("input", "*", "output"),
}


def _turns(skill_dir: Path) -> tuple[Turn, ...]:
    read = ToolCall(name="read", arguments={"path": str(skill_dir / "SKILL.md")})
    return (Turn(tool_calls=(read,), stream_deltas=1), Turn(text=ANSWER))


@pytest.mark.parametrize("api", list(RESULT_PATH))
def test_pi_reads_the_variant(
    api: clis.PiApi, harness_clis: Installation, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    scenario = Scenario(
        harness="pi",
        cli_package=PI,
        name=f"read-{api}",
        model=MODEL,
        prompt=PROMPT,
        turns=_turns,
        skills_root=clis.pi_skills_root,
        notes=f"pi with api {api}; the skill is learned from traffic (the read result).",
    )

    def build(base_url: str, env: dict[str, str]) -> clis.Invocation:
        ws = clis.Workspace(tmp_path)
        return clis.pi(
            harness_clis, ws, env, base_url=base_url, api=api, prompt=PROMPT, model=MODEL
        )

    outcome = run_scenario(
        scenario, installation=harness_clis, upstream=upstream, tmp_path=tmp_path, build=build
    )
    assert_served_variant(outcome, harness="pi", calls=2)
    final = outcome.llm_requests[-1].body
    results = located(final, RESULT_PATH[api])
    assert results, f"no read result in pi's second request ({api})"
    assert any(variant_file(outcome.skill) in text for text in results), results
