"""The measured precision of the SCR rules and of pass 2 never falls below what
docs/compiler-precision.md documents, and the two cases that were wrong before stay right:
`wc -l` on a CSV file is not Python, and pandas inside `python3 -c` is a dependency."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from compiler import compile_skill, extract_dependencies, parse_skill
from compiler.scr_extract import RuleScrExtractor
from tests.compiler.precision import Passage, Score, load_passages, score, select

DOC = Path(__file__).resolve().parents[2] / "docs" / "compiler-precision.md"
_BEGIN, _END = "<!-- precision:after -->", "<!-- /precision:after -->"


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return load_passages()


@pytest.fixture(scope="module")
def scores(passages: list[Passage]) -> dict[str, Score]:
    return {name: score(select(passages, name)) for name in ("all", "dev", "holdout")}


def _documented() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    assert _BEGIN in text, f"{DOC.name} has no {_BEGIN} section"
    block = text.split(_BEGIN, 1)[1].split(_END, 1)[0]
    rows = []
    for line in block.splitlines():
        if not line.startswith("|") or set(line) <= set("|-"):
            continue
        rows.append([c.strip().strip("`") for c in line.strip("|").split("|")])
    return rows


def _num(cell: str) -> float | None:
    return None if cell == "–" else float(cell)


def _at_least(measured: float | None, documented: float | None, what: str) -> None:
    if documented is None:
        return
    assert measured is not None, f"{what}: documented {documented}, now not measurable"
    assert round(measured, 2) >= documented, f"{what}: {measured:.2f} < documented {documented}"


def test_scores_are_at_least_the_documented_ones(scores: dict[str, Score]) -> None:
    rows = _documented()
    checked = 0
    header: list[str] = []
    for row in rows:
        if row[0] in ("split", "primitive", "rule", "dependency source"):
            header = row
            continue
        kind, key = header[0], row[0]
        if kind == "split":
            s = scores[key]
            assert s.passages == int(row[1]), "the labelled set changed: re-measure the doc"
            _at_least(s.scr.precision, _num(row[2]), f"{key} SCR precision")
            _at_least(s.scr.recall, _num(row[3]), f"{key} SCR recall")
            _at_least(s.deps.precision, _num(row[5]), f"{key} deps precision")
            _at_least(s.deps.recall, _num(row[6]), f"{key} deps recall")
        else:
            table = {
                "primitive": scores["all"].per_primitive,
                "rule": scores["all"].per_rule,
                "dependency source": scores["all"].per_source,
            }[kind]
            assert key in table, f"{kind} {key} is documented but no longer measured"
            c = table[key]
            prec_col = header.index("precision")
            _at_least(c.precision, _num(row[prec_col]), f"{kind} {key} precision")
            if "recall" in header:
                _at_least(c.recall, _num(row[header.index("recall")]), f"{kind} {key} recall")
        checked += 1
    assert checked > 50  # the overall rows and the per-primitive, per-rule, per-source tables


def _passage(passages: list[Passage], pid: str) -> Passage:
    return next(p for p in passages if p.id == pid)


def test_wc_l_on_a_csv_is_a_command_not_python(passages: list[Passage]) -> None:
    p = _passage(passages, "csv-wc-lines")
    skill = parse_skill(p.skill_md())
    scr = RuleScrExtractor().extract(skill)
    found = {req.primitive for _, req in scr.requirements()}
    assert "gen.code.python" not in found
    assert {"tool.exec", "gen.code.shell"} <= found
    assert not [e for _, r in scr.requirements() for e in r.evidence if e.rule == "format.csv"]
    # Processing a CSV still is a coding demand.
    work = parse_skill(
        "---\nname: t\ndescription: t\n---\n\nParse the CSV file and group the rows by region.\n"
    )
    levels = {r.primitive: r.min_level for _, r in RuleScrExtractor().extract(work).requirements()}
    assert str(levels["gen.code.python"]) == "L2"


def test_pandas_inside_python_c_is_a_dependency(passages: list[Passage]) -> None:
    p = _passage(passages, "python-c-pandas")
    skill = parse_skill(p.skill_md())
    deps = {d.key: d for d in extract_dependencies(skill).dependencies}
    assert deps["python:pandas"].package == "pandas"
    assert "binary:python3" in deps
    # And the SCR sees the Python the agent writes inside the command.
    result = compile_skill(skill, tcp=None)
    levels = {r.primitive: r.min_level for _, r in result.scr.requirements()}
    assert str(levels["gen.code.python"]) == "L3"
    assert result.variant.env is not None
    assert "pandas" in result.variant.env.names("python")


def test_scorer_counts_what_it_says() -> None:
    """The scorer itself: a passage labelled against its own extraction scores 1.0, and a
    label the rules cannot see is a false negative."""
    text = "# T\n\n```bash\ngit status\n```\n"
    exact = Passage(
        id="x", text=text, needs={"tool.exec": "L1", "gen.code.shell": "L1"}, deps=("binary:git",)
    )
    s = score([exact])
    assert (s.scr.tp, s.scr.fp, s.scr.fn) == (2, 0, 0)
    assert (s.deps.tp, s.deps.fp, s.deps.fn) == (1, 0, 0)
    missing = Passage(id="y", text=text, needs={"reason.logic": "L1"})
    s = score([missing])
    assert (s.scr.tp, s.scr.fp, s.scr.fn) == (0, 2, 1)
    assert s.deps.fp == 1
    assert re.fullmatch(r"dev|holdout", exact.split)
