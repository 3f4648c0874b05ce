"""A real harness in-process: the OpenAI Agents SDK runs its tool loop through patch().

The skill reaches the model two ways the Agents SDK supports: pasted into the agent's
instructions, and through its Skills capability, where the model reads SKILL.md with the sandbox
shell and the file comes back as a tool result.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import skvm_shim
from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.sdk.calls import strings
from tests.sdk.conftest import MODEL, SKILL, SKILL_DIR, VARIANT_TEXT, Spans, require

pytestmark = pytest.mark.sdk

VARIANT_LINE = "SKVM-VARIANT-MARK"


@pytest.fixture
def agents_env(upstream: ScriptedUpstream, tmp_path: Path, spans: Spans) -> Any:
    require("agents")
    import agents
    from openai import AsyncOpenAI

    shim = skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "h", tracer_provider=spans.provider)
    assert shim.store is not None
    # Compiled for this harness specifically: the lookup must recognise the Agents SDK.
    publish_variant(
        shim.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="openai-agents"
    )
    agents.set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=upstream.openai_base_url, api_key="sk-agents", max_retries=0)
    agents.set_default_openai_client(client, use_for_tracing=False)
    try:
        yield agents
    finally:
        skvm_shim.unpatch()


def test_two_turn_tool_loop_with_the_skill_in_instructions(
    agents_env: Any, upstream: ScriptedUpstream, spans: Spans
) -> None:
    agents = agents_env
    calls: list[str] = []

    @agents.function_tool
    def count_rows(path: str) -> str:
        """Count the data rows of a CSV file."""
        calls.append(path)
        return "41 rows"

    agent = agents.Agent(
        name="analyst",
        model=MODEL,
        instructions="You are a data analyst.\n\n" + SKILL.body,
        tools=[count_rows],
    )
    upstream.script(
        Turn(tool_calls=(ToolCall(name="count_rows", arguments={"path": "data.csv"}),)),
        Turn(text="data.csv has 41 rows."),
    )
    result = asyncio.run(agents.Runner.run(agent, "How many rows does data.csv have?"))
    assert result.final_output == "data.csv has 41 rows."
    assert calls == ["data.csv"]
    assert len(upstream.requests) == 2
    for request in upstream.requests:
        sent = strings(request.body)
        assert VARIANT_LINE in sent
        assert SKILL.body not in sent
    second = upstream.requests[1].body
    outputs = [i for i in second["input"] if i.get("type") == "function_call_output"]
    assert outputs[0]["output"] == "41 rows"
    llm = spans.llm()
    assert [s.attributes["skvm.harness"] for s in llm if s.attributes] == ["openai-agents"] * 2
    assert {s.attributes["gen_ai.conversation.id"] for s in llm if s.attributes}.__len__() == 1


def test_skills_capability_file_read_carries_the_variant(
    agents_env: Any, upstream: ScriptedUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agents = agents_env
    from agents.sandbox import Manifest, SandboxAgent, SandboxRunConfig
    from agents.sandbox.capabilities import Shell
    from agents.sandbox.capabilities.skills import Skills
    from agents.sandbox.entries import LocalDir
    from agents.sandbox.sandboxes.unix_local import UnixLocalSandboxClient

    monkeypatch.chdir(tmp_path)  # the Agents SDK reads skill sources relative to the cwd
    source = Path("skills-src")
    (source / "csv-stats").mkdir(parents=True)
    (source / "csv-stats" / "SKILL.md").write_text(SKILL.text + "\n", encoding="utf-8")
    agent = SandboxAgent(
        name="csv-agent",
        model=MODEL,
        instructions="You are a helpful data assistant.",
        capabilities=[Shell(), Skills(from_=LocalDir(src=source))],
        default_manifest=Manifest(root=str(tmp_path / "work"), entries={}),
    )
    upstream.script(
        Turn(
            tool_calls=(
                ToolCall(name="exec_command", arguments={"cmd": "cat .agents/csv-stats/SKILL.md"}),
            )
        ),
        Turn(text="I read the skill."),
    )
    config = agents.RunConfig(sandbox=SandboxRunConfig(client=UnixLocalSandboxClient()))
    result = asyncio.run(agents.Runner.run(agent, "Profile data.csv", run_config=config))
    assert result.final_output == "I read the skill."
    first, second = upstream.requests
    assert "csv-stats" in strings(first.body)  # the capability's catalogue
    outputs = [i for i in second.body["input"] if i.get("type") == "function_call_output"]
    assert outputs, second.body["input"]
    output = strings(outputs[0])
    assert VARIANT_LINE in output
    assert SKILL.body not in output
