"""Every SkVM-data skill against every SkVM-data profile, rule-based, passes 1-3.

Needs the corpus: ``SKVM_CORPUS=/path/to/corpus`` (skills/ and profiles/ inside). Prints a table
(run with ``-s``): per skill and profile, gaps, transforms per pass, bytes before and after.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from compiler import (
    TCP,
    CompileResult,
    HarnessFacts,
    compile_skill,
    load_skill_dir,
    read_profile_file,
    run_guard,
)
from compiler.edits import anchor_region

pytestmark = pytest.mark.corpus

WEAK = "bare-agent/openrouter--qwen--qwen3.5-9b"


def _corpus() -> Path:
    root = os.environ.get("SKVM_CORPUS")
    if not root:
        pytest.skip("SKVM_CORPUS is not set (point it at the SkVM-data corpus folder)")
    path = Path(root)
    if not (path / "skills").is_dir() or not (path / "profiles").is_dir():
        pytest.skip(f"SKVM_CORPUS={root} has no skills/ and profiles/ folders")
    return path


def _profiles(root: Path) -> dict[str, TCP]:
    out = {}
    for f in sorted((root / "profiles").glob("*/*/*.json")):
        if f.name == "failure-reports.json":
            continue
        out[f"{f.parent.parent.name}/{f.parent.name}/{f.name}"] = read_profile_file(f)
    return out


def _anchored(result: CompileResult, skill_md: str) -> bool:
    """Every pass-1 edit sits at an evidence span the SCR recorded."""
    from compiler.markdown import Document

    doc = Document(skill_md)
    spans = {ev.span for _, req in result.scr.requirements() for ev in req.evidence}
    for e in result.edits:
        lo, hi = anchor_region(doc, e.anchor)
        if e.anchor not in spans or not lo <= e.line <= hi:
            return False
    return bool(result.edits)


def test_corpus_compiles_cleanly() -> None:
    root = _corpus()
    skills = [
        load_skill_dir(p) for p in sorted((root / "skills").iterdir()) if (p / "SKILL.md").is_file()
    ]
    profiles = _profiles(root)
    assert skills
    assert profiles
    rows = []
    weak_edited: list[str] = []
    weak_keys = [k for k in profiles if k.startswith(WEAK + "/")]
    weak_current = WEAK + "/latest.json"
    for skill in skills:
        for key, tcp in profiles.items():
            harness = HarnessFacts(
                harness=tcp.harness, parallel_tool_calls=tcp.harness == "bare-agent"
            )
            result = compile_skill(skill, tcp=tcp, harness=harness)
            v = result.variant
            assert result.errors == (), (skill.name, key, result.errors)
            # The guard passed, and an independent re-check of the served text agrees.
            assert v.servable, (skill.name, key, v.provenance.guard.violations)
            assert run_guard(skill.skill_md, v.skill_md).passed
            kinds = [t.kind for t in v.provenance.transforms]
            if key == weak_current and _anchored(result, skill.skill_md):
                weak_edited.append(skill.name)
            rows.append(
                (
                    skill.name[:24],
                    key.replace("openrouter--", "").removesuffix(".json"),
                    len(v.provenance.gaps),
                    f"{kinds.count('compensate')}/{kinds.count('substitute')}/{kinds.count('flag')}/{len(result.edits)}",
                    len(v.env.dependencies) if v.env else 0,
                    len(v.dag.groups) if v.dag else 0,
                    len(skill.skill_md.encode()),
                    len(v.skill_md.encode()),
                )
            )
    header = (
        "skill",
        "profile",
        "gaps",
        "p1 c/s/f/edits",
        "p2 deps",
        "p3 groups",
        "bytes in",
        "bytes out",
    )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    print(
        f"\n{len(rows)} compiles; "
        f"against {weak_current}: {len(weak_edited)}/{len(skills)} skills edited"
    )
    assert weak_keys
    assert len(weak_edited) * 2 > len(skills), weak_edited
