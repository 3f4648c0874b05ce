"""Compiling for very weak models: the explicit path (compiler/explicit.py).

Against the committed SmolLM2-135M profile (L0 on every primitive) no compensation or
substitution applies; the compiler then picks, per procedure, the way with the smallest
capability deficit and writes it out. These tests pin the exact rewrite of the example skill and
each behaviour on small skills written for the purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from compiler import (
    TCP,
    SkillSource,
    compile_skill,
    load_skill_dir,
    parse_skill,
    read_profile_folder,
)
from compiler.edits import anchor_region
from compiler.explicit import explicit_reason
from compiler.levels import Level

ROOT = Path(__file__).resolve().parents[2]
SMOLLM2 = ROOT / "profiles" / "bare-agent" / "smollm2-135m-instruct"
CSV_STATS = ROOT / "examples" / "skills" / "csv-stats"

MakeSkill = Callable[..., SkillSource]
MakeTcp = Callable[..., TCP]


@pytest.fixture(scope="module")
def smollm2() -> TCP:
    tcp = read_profile_folder(SMOLLM2)
    assert all(lvl is Level.L0 for lvl in tcp.effective_levels.values())
    return tcp


CSV_STATS_PLAN = """\
**Do these steps one at a time, in this order** (steps 2–4 above are one command here):

1. Inspect the file header and the first rows to learn the delimiter and column names.
2. Run `python3 scripts/profile_csv.py data.csv --out stats.json`. It does steps 2–4 above. \
Put the path of your own input in place of `data.csv`.
3. Report the row count and the three columns with the largest means in one sentence.
"""


def test_csv_stats_for_smollm2_runs_the_bundled_script(smollm2: TCP) -> None:
    skill = load_skill_dir(CSV_STATS)
    result = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    assert result.errors == ()
    assert result.servable, result.variant.provenance.guard.violations
    # Every gap is flagged: nothing else in pass 1 could help this model.
    assert {t.kind for t in result.variant.provenance.transforms} == {"flag"}
    original = skill.skill_md.split("\n")
    compiled = result.variant.skill_md.split("\n")
    # The plan is inserted right after the procedure (line 16, its last step); all else stays.
    plan = CSV_STATS_PLAN.rstrip("\n").split("\n")
    assert compiled[:16] == original[:16]
    assert compiled[16] == ""
    assert compiled[17 : 17 + len(plan)] == plan
    assert compiled[17 + len(plan) :] == original[16:]

    explicit = result.variant.provenance.explicit
    assert explicit is not None
    assert "follow.procedure L0" in explicit.reason
    (p,) = explicit.plans
    by_steps = {c.steps: c for c in p.choices}
    run = by_steps[(2, 3, 4)]
    assert run.chosen == "command"
    assert run.command == "python3 scripts/profile_csv.py data.csv --out stats.json"
    assert run.demands["gen.code.python"] == "L3"  # pandas, as written
    assert run.deficit_chosen == 1  # tool.exec L1, which the model lacks
    assert run.deficit_as_written > run.deficit_chosen
    assert by_steps[(1,)].chosen == by_steps[(5,)].chosen == "as-written"
    assert p.deficit_after < p.deficit_before
    (edit,) = result.edits
    assert edit.transform == "explicit"
    lo, hi = anchor_region(skill.document, edit.anchor)
    assert lo <= edit.line <= hi
    spans = {ev.span for _, req in result.scr.requirements() for ev in req.evidence}
    assert edit.anchor in spans
    # Recorded for the report and the store.
    assert (
        result.report()["provenance"]["explicit"]["plans"][0]["choices"][1]["chosen"] == "command"
    )


def test_same_compile_same_variant(smollm2: TCP) -> None:
    skill = load_skill_dir(CSV_STATS)
    a = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    b = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    assert a.variant.variant_id == b.variant.variant_id


_SCRIPT = b"""import argparse, csv
p = argparse.ArgumentParser()
p.add_argument("csv")
p.add_argument("--column", required=True)
p.add_argument("--out", default="out.txt")
a = p.parse_args()
print(sum(float(r[a.column]) for r in csv.DictReader(open(a.csv))))
"""


def test_script_named_by_a_step_runs_as_its_parser_declares(
    make_skill: MakeSkill, smollm2: TCP
) -> None:
    skill = make_skill(
        "# Totals\n\n## Steps\n\n"
        "1. Read `orders.csv` to find the amount column.\n"
        "2. Sum the amounts with pandas, or run scripts/total.py on the file.\n"
        "3. Optionally, plot the amounts per month with matplotlib.\n"
        "4. Write the total to `total.txt`; then reply with the total only.\n",
        {"scripts/total.py": _SCRIPT},
    )
    result = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    assert result.servable
    explicit = result.variant.provenance.explicit
    assert explicit is not None
    (plan,) = explicit.plans
    assert [s.text for s in plan.steps] == [
        "Read `orders.csv` to find the amount column.",
        "Run `python3 scripts/total.py CSV --column COLUMN`. "
        "Put your task's values in place of `CSV` and `COLUMN`.",
        "Write the total to `total.txt`.",
        "Reply with the total only.",
    ]
    by_steps = {c.steps: c for c in plan.choices}
    assert by_steps[(3,)].chosen == "cut"  # optional
    assert by_steps[(2,)].chosen == "command"
    assert by_steps[(4,)].reason == "split into 2 actions"
    assert "optional step 3 is left out" in result.variant.skill_md


def test_a_step_that_states_its_command_is_kept(make_skill: MakeSkill, smollm2: TCP) -> None:
    # Every step already says exactly what to run: nothing asks less, so no plan is added.
    skill = make_skill(
        "# Release\n\n1. Run `pytest -q`.\n2. Run `git tag v1.0.0`.\n3. Run `git push --tags`.\n"
    )
    result = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    assert result.variant.skill_md == skill.skill_md
    explicit = result.variant.provenance.explicit
    assert explicit is not None
    assert explicit.plans == ()
    assert explicit.skipped == (
        "procedure at line 8: nothing asks less than the steps as written (no command does a "
        "step, none is optional)",
    )


def test_one_command_skill_has_nothing_to_make_explicit(
    make_skill: MakeSkill, smollm2: TCP
) -> None:
    skill = make_skill(
        "# Line count\n\nCount the lines of a CSV file by running `wc -l FILE`, then answer "
        "with one line: `FILE has N lines`.\n"
    )
    result = compile_skill(skill, tcp=smollm2, harness="bare-agent")
    assert result.variant.skill_md == skill.skill_md
    explicit = result.variant.provenance.explicit
    assert explicit is not None
    assert explicit.skipped == ("no numbered procedure",)
    # The gaps are about running a command, not about writing Python.
    assert {g.primitive for g in result.gap_report.gaps} == {
        "tool.exec",
        "gen.code.shell",
        "follow.format",
    }


def test_not_for_a_model_that_can_follow_procedures(make_tcp: MakeTcp) -> None:
    skill = load_skill_dir(CSV_STATS)
    # Python and exec missing, but the model follows procedures: pass 1's own rules apply.
    tcp = make_tcp({"gen.code.python": 0, "tool.exec": 0, "follow.procedure": 3})
    result = compile_skill(skill, tcp=tcp, harness="bare-agent")
    assert result.variant.provenance.explicit is None
    assert all(e.transform != "explicit" for e in result.edits)
    capable = compile_skill(skill, tcp=make_tcp({}), harness="bare-agent")
    assert capable.variant.provenance.explicit is None
    assert explicit_reason(capable.gap_report.gaps, [], make_tcp({})) is None


def test_a_flagged_procedure_gap_also_asks_for_the_explicit_path(make_tcp: MakeTcp) -> None:
    skill = load_skill_dir(CSV_STATS)
    # follow.procedure L1 against an L2 procedure would be compensated; at L1 with no
    # degradation-free route (python and exec at L0) the rewrite of the procedure is the
    # transform, so force a flagged procedure gap: L3 needed, L1 held.
    skill_l3 = parse_skill(
        skill.skill_md.replace(
            "5. Report", "5. Check the JSON, and repeat step 4 until it parses.\n6. Report"
        ),
        {f.path: f.data for f in skill.bundle},
    )
    tcp = make_tcp({"follow.procedure": 1, "gen.code.python": 0, "tool.exec": 1})
    result = compile_skill(skill_l3, tcp=tcp, harness="bare-agent")
    flagged = [t for t in result.variant.provenance.transforms if t.kind == "flag"]
    assert any(t.primitive == "follow.procedure" for t in flagged)
    explicit = result.variant.provenance.explicit
    assert explicit is not None
    assert "cannot follow the procedure as written" in explicit.reason
    (plan,) = explicit.plans
    assert any(c.chosen == "command" for c in plan.choices)
    assert result.servable
