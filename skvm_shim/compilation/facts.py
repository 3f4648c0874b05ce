"""``compiler.HarnessFacts`` from ``adapters``' harness profiles (the compiler imports neither)."""

from __future__ import annotations

from adapters.harnesses import HARNESS_IDS, profile
from compiler import HarnessFacts


def harness_facts(harness_id: str) -> HarnessFacts:
    """Tool names and dispatch abilities of ``harness_id`` (an unknown id is ``generic``)."""
    if harness_id not in HARNESS_IDS:
        harness_id = "generic"
    p = profile(harness_id)
    tools: dict[str, str] = {}
    if p.shell_tools:
        tools["shell"] = p.shell_tools[0].name
    if p.read_tools:
        tools["read"] = p.read_tools[0].name
    if p.skill_tools:
        tools["skill"] = p.skill_tools[0].name
    return HarnessFacts(
        harness=harness_id,
        tool_names=tools,
        parallel_tool_calls=p.parallel_tool_calls,
        subagents=p.subagents,
    )
