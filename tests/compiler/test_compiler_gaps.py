from __future__ import annotations

from collections.abc import Callable

from compiler import TCP, Level, SkillSource, analyse_gaps, choose_transforms
from compiler.scr import SCR, AlternativePath, Evidence, Need, Purpose, Requirement, Span
from compiler.scr_extract import RuleScrExtractor

MakeTcp = Callable[..., TCP]
MakeSkill = Callable[..., SkillSource]


def ev(line: int, rule: str = "test", level: Level = Level.L3) -> Evidence:
    return Evidence(span=Span(start_line=line, end_line=line, quote="q"), rule=rule, level=level)


def scr_of(*reqs: tuple[str, Level], alternatives: tuple[AlternativePath, ...] = ()) -> SCR:
    requirements = tuple(
        Requirement(primitive=p, min_level=lvl, evidence=(ev(10 + n, level=lvl),))
        for n, (p, lvl) in enumerate(reqs)
    )
    return SCR(
        skill_name="s",
        purposes=(
            Purpose(id="p", description="P", requirements=requirements, alternatives=alternatives),
        ),
    )


def test_gaps_missing_weak_met_and_unmeasured(make_tcp: MakeTcp) -> None:
    tcp = make_tcp({"gen.code.python": 2, "tool.exec": 0, "gen.code.sql": 3})
    data = tcp.to_skvm_dict()
    data["capabilities"].pop("tool.web")
    data["details"] = [d for d in data["details"] if d["primitiveId"] != "tool.web"]
    tcp = TCP.model_validate(data)
    scr = scr_of(
        ("gen.code.python", Level.L3),
        ("tool.exec", Level.L1),
        ("gen.code.sql", Level.L2),
        ("tool.web", Level.L1),
    )
    report = analyse_gaps(scr, tcp)
    got = {(g.primitive, g.kind, g.required, g.model, g.distance) for g in report.gaps}
    assert got == {
        ("gen.code.python", "weak", Level.L3, Level.L2, 1),
        ("tool.exec", "missing", Level.L1, Level.L0, 1),
    }
    assert [u.primitive for u in report.unmeasured] == ["tool.web"]
    assert report.profile_id == tcp.profile_id
    assert analyse_gaps(scr, None).gaps == ()


def test_unknown_primitive_ids_are_gaps(make_tcp: MakeTcp) -> None:
    report = analyse_gaps(scr_of(("gen.code.cobol", Level.L1)), make_tcp())
    assert [(g.primitive, g.kind) for g in report.gaps] == [("gen.code.cobol", "missing")]


def test_transform_choice(make_tcp: MakeTcp) -> None:
    shell_alt = AlternativePath(
        id="shell-to-python",
        replaces="gen.code.shell",
        needs=(
            Need(primitive="gen.code.python", min_level=Level.L2),
            Need(primitive="tool.exec", min_level=Level.L1),
        ),
        note="use python",
        evidence=ev(11),
    )
    scr = scr_of(
        ("gen.code.python", Level.L3),  # 1 short, degradation exists -> compensate
        ("gen.code.shell", Level.L3),  # 2 short -> substitute (python L2 + exec L1 are met)
        ("tool.browser", Level.L2),  # 1 short but no L2->L1 degradation, no alternative -> flag
        ("follow.delegation", Level.L1),  # L0 -> no alternative -> flag
        alternatives=(shell_alt,),
    )
    tcp = make_tcp(
        {"gen.code.python": 2, "gen.code.shell": 1, "tool.browser": 1, "follow.delegation": 0}
    )
    kinds = {
        t.primitive: (t.kind, t.target) for t in choose_transforms(analyse_gaps(scr, tcp), scr, tcp)
    }
    assert kinds == {
        "gen.code.python": ("compensate", Level.L2),
        "gen.code.shell": ("substitute", None),
        "tool.browser": ("flag", None),
        "follow.delegation": ("flag", None),
    }


def test_substitution_needs_every_alternative_primitive_met(make_tcp: MakeTcp) -> None:
    alt = AlternativePath(
        id="a",
        replaces="gen.code.shell",
        note="n",
        evidence=ev(11),
        needs=(
            Need(primitive="gen.code.python", min_level=Level.L2),
            Need(primitive="tool.exec", min_level=Level.L1),
        ),
    )
    scr = scr_of(("gen.code.shell", Level.L2), alternatives=(alt,))
    tcp = make_tcp({"gen.code.shell": 0, "tool.exec": 0})
    (t,) = choose_transforms(analyse_gaps(scr, tcp), scr, tcp)
    assert t.kind == "flag"
    assert "no alternative path" in t.reason


def test_rule_extractor_groups_hits_into_purposes(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# Tool\n\nIntro.\n\n## Load\n\n```python\nimport json\nimport pandas as pd\n```\n\n"
        "## Fetch\n\n```bash\ncurl -s https://x.test/a | jq '.a'\n```\n"
    )
    scr = RuleScrExtractor().extract(s)
    purposes = {p.id: p for p in scr.purposes}
    assert set(purposes) == {"load", "fetch"}
    python = next(r for r in purposes["load"].requirements if r.primitive == "gen.code.python")
    assert python.min_level is Level.L3
    assert python.evidence[0].rule == "python.third_party"  # strongest first
    shell = next(r for r in purposes["fetch"].requirements if r.primitive == "gen.code.shell")
    assert shell.min_level is Level.L3
    assert [a.id for a in purposes["fetch"].alternatives] == ["shell-to-python"]
