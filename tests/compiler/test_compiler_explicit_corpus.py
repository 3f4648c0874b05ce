"""The explicit path on the corpus: every SkVM-data skill compiled for the committed all-L0
SmolLM2 profile, and for every measured profile of the corpus.

Needs ``SKVM_CORPUS`` (skills/ and profiles/ inside). Run with ``-s`` for the table of which
skills change for an all-L0 profile and why the others do not.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import (
    HarnessFacts,
    SkillSource,
    compile_skill,
    load_skill_dir,
    read_profile_file,
    read_profile_folder,
    run_guard,
)
from compiler.edits import anchor_region

pytestmark = pytest.mark.corpus

ROOT = Path(__file__).resolve().parents[2]
SMOLLM2 = ROOT / "profiles" / "bare-agent" / "smollm2-135m-instruct"
HARNESS = HarnessFacts(harness="bare-agent", parallel_tool_calls=True)
# Skills of the corpus whose text changes for an all-L0 model (docs/compiler.md). The others
# have no numbered procedure, or none where a command asks less than the steps as written.
CHANGED_FOR_ALL_L0 = {"revenue-operations"}


def _skills() -> list[SkillSource]:
    root = os.environ.get("SKVM_CORPUS")
    if not root:
        pytest.skip("SKVM_CORPUS is not set (point it at the SkVM-data corpus folder)")
    skills = Path(root) / "skills"
    if not skills.is_dir():
        pytest.skip(f"SKVM_CORPUS={root} has no skills/ folder")
    return [load_skill_dir(p) for p in sorted(skills.iterdir()) if (p / "SKILL.md").is_file()]


def test_all_l0_profile_on_the_corpus() -> None:
    skills = _skills()
    tcp = read_profile_folder(SMOLLM2)
    rows = []
    changed = set()
    for skill in skills:
        result = compile_skill(skill, tcp=tcp, harness=HARNESS)
        v = result.variant
        assert result.errors == (), (skill.name, result.errors)
        # The guard holds for every variant, by the compiler's verdict and on a re-check.
        assert v.servable, (skill.name, v.provenance.guard.violations)
        assert run_guard(skill.skill_md, v.skill_md).passed, skill.name
        explicit = v.provenance.explicit
        plans = explicit.plans if explicit else ()
        edits = [e for e in result.edits if e.transform == "explicit"]
        # Every plan is one anchored edit, recorded with its choices, and asks less of the model.
        assert len(edits) == len(plans), skill.name
        spans = {ev.span for _, req in result.scr.requirements() for ev in req.evidence}
        for plan, edit in zip(plans, edits, strict=True):
            assert edit.anchor == plan.anchor, skill.name
            assert edit.anchor in spans, skill.name
            lo, hi = anchor_region(skill.document, edit.anchor)
            assert lo <= edit.line <= hi, skill.name
            assert plan.deficit_after < plan.deficit_before, skill.name
            assert any(c.chosen in ("command", "cut") for c in plan.choices), skill.name
            # The original procedure is still there, above its plan.
            assert edit.text in v.skill_md
        assert result.rewrite is not None
        if result.rewrite.text != skill.skill_md:  # pass 1's text (pass 3 may add hints)
            changed.add(skill.name)
            assert plans, skill.name  # nothing else in pass 1 edits the text for this model
        elif result.gap_report.gaps:
            # Unchanged although the model lacks everything: the record says why.
            assert explicit is not None, skill.name
            assert explicit.skipped, skill.name
        why = "; ".join(explicit.skipped[:2]) if explicit else "no gaps"
        commands = [c.command for p in plans for c in p.choices if c.command]
        rows.append((skill.name[:26], len(result.gap_report.gaps), len(plans), commands or why))
    print()
    for name, gaps, n, what in rows:
        print(f"{name:26s} gaps {gaps:3d}  plans {n}  {what}")
    assert changed == CHANGED_FOR_ALL_L0


def test_measured_profiles_never_take_the_explicit_path() -> None:
    """The corpus models follow procedures: their variants come from pass 1's own rules."""
    skills = _skills()
    root = Path(os.environ["SKVM_CORPUS"]) / "profiles"
    profiles = [read_profile_file(f) for f in sorted(root.glob("*/*/latest.json"))]
    assert profiles
    for tcp in profiles:
        for skill in skills:
            result = compile_skill(skill, tcp=tcp, harness=HARNESS, passes=(1,))
            assert result.variant.provenance.explicit is None, (skill.name, tcp.model)
