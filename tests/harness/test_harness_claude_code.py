"""Claude Code 2.1.197 through ``skvm-shim proxy``: Anthropic Messages and its ``Skill`` tool.

Claude Code lists project skills in a ``<system-reminder>`` and, when the model calls ``Skill``,
injects the skill body (no frontmatter) as a text block beside the tool result. It also makes
a title-generation call first; that call gets its own scripted answer (matched by its prompt), so
it goes through the proxy too. Claude Code sends only the body, so the proxy is given the skill
up front (a body alone does not say which skill it is).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.harness import clis
from tests.harness.checks import assert_served_variant
from tests.harness.npm_install import CLAUDE_CODE, HARNESS_TEST_TIMEOUT_S, Installation
from tests.harness.scenario import Outcome, Scenario, run_scenario
from tests.harness.skill_variant import ANSWER, VARIANT_MARK, variant_body

# The first harness test also waits for the install (the session fixture).
pytestmark = [pytest.mark.harness, pytest.mark.timeout(HARNESS_TEST_TIMEOUT_S)]

MODEL = "claude-sonnet-4-5"
TITLE = Turn(text='{"title": "Summarise data.csv"}', match="sentence-case title")
BASE_DIRECTORY = "Base directory for this skill: "


def _run(
    name: str,
    prompt: str,
    turns: tuple[Turn, ...],
    installation: Installation,
    upstream: ScriptedUpstream,
    tmp_path: Path,
) -> Outcome:
    scenario = Scenario(
        harness="claude-code",
        cli_package=CLAUDE_CODE,
        name=name,
        model=MODEL,
        prompt=prompt,
        turns=lambda _skill_dir: turns,
        skills_root=clis.claude_skills_root,
        register_skill=True,
        notes="claude -p with default traffic (the title-generation call included).",
    )

    def build(base_url: str, env: dict[str, str]) -> clis.Invocation:
        ws = clis.Workspace(tmp_path)
        return clis.claude_code(
            installation, ws, env, base_url=base_url, prompt=prompt, model=MODEL
        )

    return run_scenario(
        scenario, installation=installation, upstream=upstream, tmp_path=tmp_path, build=build
    )


def _skill_blocks(body: Any) -> list[dict[str, Any]]:
    """User text blocks that carry an injected skill (``Base directory for this skill: ...``)."""
    blocks = []
    for message in body["messages"]:
        content = message["content"]
        if message["role"] == "user" and isinstance(content, list):
            blocks += [
                b
                for b in content
                if b.get("type") == "text" and b["text"].startswith(BASE_DIRECTORY)
            ]
    return blocks


def test_claude_code_skill_tool_gets_the_variant(
    harness_clis: Installation, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    turns = (
        TITLE,
        Turn(
            tool_calls=(ToolCall(name="Skill", arguments={"skill": "csv-stats"}),),
            match="available for use with the Skill tool",
        ),
        Turn(text=ANSWER, match="Launching skill: csv-stats"),
    )
    prompt = "Summarise data.csv using the csv-stats skill"
    outcome = _run("skill-tool", prompt, turns, harness_clis, upstream, tmp_path)
    assert_served_variant(outcome, harness="claude-code", calls=2)

    after = [r for r in outcome.llm_requests if "Launching skill: csv-stats" in json.dumps(r.body)]
    assert after, "Claude Code never sent the Skill tool's result"
    for request in after:
        # The body sits beside the tool result, in a text block that keeps its cache_control.
        user = request.body["messages"][-1]["content"]
        results = [i for i, b in enumerate(user) if b.get("type") == "tool_result"]
        assert results, user
        beside = user[results[0] + 1]
        assert beside["text"].startswith(BASE_DIRECTORY + str(outcome.skill_dir)), beside
        assert variant_body(outcome.skill) in beside["text"]
        assert beside.get("cache_control") == {"type": "ephemeral"}, beside
    assert any("sentence-case title" in json.dumps(r.body) for r in outcome.llm_requests), (
        "the title-generation call did not go through the proxy"
    )


def test_claude_code_slash_command_gets_the_variant(
    harness_clis: Installation, upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    turns = (TITLE, Turn(text=ANSWER, match="<command-name>/csv-stats</command-name>"))
    outcome = _run("slash-command", "/csv-stats data.csv", turns, harness_clis, upstream, tmp_path)
    assert_served_variant(outcome, harness="claude-code", calls=1)

    agent = [r for r in outcome.llm_requests if "<command-name>" in json.dumps(r.body)]
    assert agent, "Claude Code never sent the slash command"
    blocks = _skill_blocks(agent[0].body)
    assert len(blocks) == 1, blocks
    text = blocks[0]["text"]
    assert VARIANT_MARK in text
    assert text.endswith("ARGUMENTS: data.csv"), text[-200:]
