"""Harness facts for the compiler come from the harness profiles."""

from __future__ import annotations

import pytest

from adapters.harnesses import HARNESS_IDS, profile
from compiler import compile_skill, load_skill_dir
from skvm_shim.compilation import harness_facts
from tests.wiring.helpers import REGION_DIGEST


@pytest.mark.parametrize("harness", HARNESS_IDS)
def test_facts_mirror_the_profile(harness: str) -> None:
    facts = harness_facts(harness)
    p = profile(harness)
    assert facts.harness == harness
    assert facts.parallel_tool_calls == p.parallel_tool_calls
    assert facts.subagents == p.subagents
    if p.shell_tools:
        assert facts.tool_names["shell"] == p.shell_tools[0].name
    if p.read_tools:
        assert facts.tool_names["read"] == p.read_tools[0].name


def test_known_dispatch_facts() -> None:
    assert harness_facts("bare-agent").parallel_tool_calls  # SkVM agent loop
    assert not harness_facts("bare-agent").subagents
    assert harness_facts("codex").parallel_tool_calls  # parallel_tool_calls: true captured
    assert harness_facts("claude-code").subagents  # Agent tool captured
    assert harness_facts("claude-code").tool_names == {
        "shell": "Bash",
        "read": "Read",
        "skill": "Skill",
    }
    generic = harness_facts("generic")
    assert not generic.parallel_tool_calls
    assert not generic.subagents
    assert harness_facts("no-such-harness") == generic


def test_facts_decide_which_parallel_groups_the_compiler_keeps() -> None:
    skill = load_skill_dir(REGION_DIGEST)
    kept = compile_skill(skill, tcp=None, harness=harness_facts("bare-agent"), passes=(3,))
    dropped = compile_skill(skill, tcp=None, harness=harness_facts("generic"), passes=(3,))
    assert [g.kind for g in kept.variant.parallel_groups] == ["ilp"]
    assert kept.variant.has_ilp
    assert not dropped.variant.parallel_groups
