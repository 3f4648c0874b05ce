"""Golden tests: the project's own example skills compiled against the fixture profiles.

The expected texts under fixtures/golden were reviewed by hand; regenerate them after an
intended change with ``SKVM_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compiler import TCP, HarnessFacts, compile_skill, load_skill_dir, read_profile_folder

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden"
SKILLS = ("sales-report", "web-digest", "scaffold-service", "plain-notes")
PROFILES = {"tiny": "acme--tiny-1b", "big": "acme--big-400b", "none": None}
HARNESS = HarnessFacts(harness="bare-agent", parallel_tool_calls=True, subagents=False)


def _profile(name: str | None) -> TCP | None:
    return read_profile_folder(FIXTURES / "profiles" / "bare-agent" / name) if name else None


def _summary(result: object) -> dict[str, object]:
    v = result.variant  # type: ignore[attr-defined]
    p = v.provenance
    return {
        "servable": v.servable,
        "gaps": [f"{g.id} {g.required}>{g.model}" for g in p.gaps],
        "transforms": [f"{t.gap_id} {t.kind}" for t in p.transforms],
        "edits": [
            {
                "gap": e.gap_id,
                "op": e.op,
                "line": e.line,
                "anchor": [e.anchor.start_line, e.anchor.end_line],
            }
            for e in p.edits
        ],
        "dependencies": [f"{d.kind}:{d.name}={d.package}" for d in v.env.dependencies]
        if v.env
        else None,
        "groups": [f"{g.kind}:{','.join(g.steps)}" for g in v.dag.groups] if v.dag else None,
    }


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("skill_name", SKILLS)
def test_golden(skill_name: str, profile: str) -> None:
    skill = load_skill_dir(FIXTURES / "skills" / skill_name)
    result = compile_skill(skill, tcp=_profile(PROFILES[profile]), harness=HARNESS)
    assert result.errors == ()
    text_path = GOLDEN / f"{skill_name}.{profile}.SKILL.md"
    summary_path = GOLDEN / f"{skill_name}.{profile}.json"
    summary = json.dumps(_summary(result), indent=2) + "\n"
    if os.environ.get("SKVM_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        text_path.write_text(result.variant.skill_md, encoding="utf-8")
        summary_path.write_text(summary, encoding="utf-8")
    assert result.variant.skill_md == text_path.read_text(encoding="utf-8")
    assert summary == summary_path.read_text(encoding="utf-8")
    assert result.servable
