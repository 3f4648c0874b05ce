"""Checks shared by the cassette replays: where the skill sits, and what a rewrite may change."""

from __future__ import annotations

import copy
from typing import Any

from adapters.edit import get_at
from skvm_shim.skills.model import Skill
from tests.harness.scenario import strings_in
from tests.harness.skill_variant import original_only_line, variant_body


def skill_sites(body: Any, skill: Skill) -> list[tuple[Any, ...]]:
    """Paths of the texts that carry the skill's body (the whole file or the body alone)."""
    return [path for path, text in strings_in(body) if skill.body in text]


def assert_rewritten_in_place(original: Any, rewritten: Any, skill: Skill) -> int:
    """The variant replaced the skill wherever it was, and nothing else changed.

    Returns how many places carried the skill (0: the body must be unchanged).
    """
    sites = skill_sites(original, skill)
    expected = copy.deepcopy(original)
    for path in sites:
        old = get_at(original, path)
        new = get_at(rewritten, path)
        assert isinstance(new, str), f"no text at {path} after the rewrite"
        assert variant_body(skill) in new, f"the variant is not at {path}"
        assert original_only_line(skill) not in new, f"the original is still at {path}"
        # What surrounds the skill (Claude Code's "Base directory ..." line and ARGUMENTS,
        # Codex's <skill> tags and exec envelope) stays as the harness wrote it.
        start = old.index(skill.text) if skill.text in old else old.index(skill.body)
        assert new.startswith(old[:start]), (old[:start], new[: start + 40])
        tail = old[old.index(skill.body) + len(skill.body) :]
        assert new.endswith(tail), (tail, new[-len(tail) - 40 :])
        _set_at(expected, path, new)
    assert rewritten == expected, "the rewrite changed more than the skill's text"
    return len(sites)


def _set_at(body: Any, path: tuple[Any, ...], value: str) -> None:
    for key in path[:-1]:
        body = body[key]
    body[path[-1]] = value
