from __future__ import annotations

from collections.abc import Callable

import pytest

from compiler import TCP, HarnessFacts, SkillSource, analyse_gaps, choose_transforms
from compiler.edits import Edit, anchor_region, apply_edits, place_sentence
from compiler.markdown import Document
from compiler.rewrite import RuleRewriter
from compiler.scr import Span
from compiler.scr_extract import RuleScrExtractor

MakeTcp = Callable[..., TCP]
MakeSkill = Callable[..., SkillSource]


def rewrite(s: SkillSource, tcp: TCP, max_edits: int = 3):  # type: ignore[no-untyped-def]
    scr = RuleScrExtractor().extract(s)
    report = analyse_gaps(scr, tcp)
    transforms = choose_transforms(report, scr, tcp)
    result = RuleRewriter(max_edits).rewrite(
        s, scr=scr, gaps=report.gaps, transforms=transforms, tcp=tcp, harness=HarnessFacts()
    )
    return scr, report, result


def test_compensation_edit_is_concrete_and_anchored(
    make_skill: MakeSkill, make_tcp: MakeTcp
) -> None:
    s = make_skill(
        "# Data\n\nRead the sheet:\n\n```python\nfrom openpyxl import load_workbook\n```\n"
    )
    _, report, result = rewrite(s, make_tcp({"gen.code.python": 2}))
    (edit,) = result.edits
    assert (edit.transform, edit.primitive, edit.op) == (
        "compensate",
        "gen.code.python",
        "insert_after",
    )
    assert "ws.iter_rows(values_only=True)" in edit.text  # a real call pattern
    gap = report.gaps[0]
    assert any(e.span == edit.anchor for e in gap.evidence)
    lo, hi = anchor_region(s.document, edit.anchor)
    assert lo <= edit.line <= hi
    assert edit.line == edit.anchor.end_line + 1  # right after the code block holding the import
    assert result.text.count("\n") == s.skill_md.count("\n") + 2  # one paragraph inserted


def test_nothing_is_written_when_the_skill_already_says_it(
    make_skill: MakeSkill, make_tcp: MakeTcp
) -> None:
    s = make_skill("# Data\n\n```python\nimport pandas as pd\ndf = pd.read_csv('a.csv')\n```\n")
    _, report, result = rewrite(s, make_tcp({"gen.code.python": 2}))
    assert report.gaps
    assert not result.edits
    assert result.skipped[0].reason == "nothing concrete to say about its evidence"
    assert result.text == s.skill_md


def test_substitution_edit(make_skill: MakeSkill, make_tcp: MakeTcp) -> None:
    deep = '{"a": {"b": {"c": {"d": {"e": [1]}}}}}'
    s = make_skill(f"# Out\n\nWrite `out.json` with this structure:\n\n```json\n{deep}\n```\n")
    _, _, result = rewrite(
        s, make_tcp({"gen.text.structured": 1, "gen.code.python": 3, "tool.exec": 3})
    )
    (edit,) = result.edits
    assert edit.transform == "substitute"
    assert "json.dump(" in edit.text


def test_at_most_max_edits_one_per_primitive_and_no_headings(
    make_skill: MakeSkill, make_tcp: MakeTcp
) -> None:
    s = make_skill(
        "# A\n\n## One\n\n```python\nimport openpyxl\n```\n\n## Two\n\n```python\nimport "
        "docx\n```\n\n"
        "## Three\n\nScore by value 40%, impact 30%, risk 30%.\n\n## Four\n\n```bash\n"
        "awk '{print $1}' f\n```\n"
        "\n## Five\n\nSee `references/a.md` and `references/b.md` for details.\n",
        {"references/a.md": b"", "references/b.md": b""},
    )
    tcp = make_tcp(
        {"gen.code.python": 2, "reason.arithmetic": 1, "gen.code.shell": 2, "tool.file.read": 1}
    )
    _, _report, result = rewrite(s, tcp, max_edits=3)
    assert len(result.edits) == 3
    assert len({e.primitive for e in result.edits}) == 3
    assert any("budget" in sk.reason for sk in result.skipped)
    assert any("already made" in sk.reason for sk in result.skipped)  # second python gap
    assert [h.raw for h in Document(result.text).headings] == [
        h.raw for h in Document(s.skill_md).headings
    ]


def test_sentence_placement(make_skill: MakeSkill) -> None:
    doc = Document(
        "---\nname: x\n---\n# T\n\nUse this structure:\n\n```md\n# a\n```\n\n"
        "- item one\n- item two\n\nA paragraph\nthat wraps.\n\n| a |\n|---|\n"
    )
    colon = place_sentence(doc, 5, 5, "S.")
    assert colon is not None
    assert (colon.op, colon.line) == ("insert_after", 9)
    item = place_sentence(doc, 11, 11, "S.")
    assert item is not None
    assert (item.op, item.line, item.text) == ("append", 11, ". S.")
    para = place_sentence(doc, 14, 14, "S.")
    assert para is not None
    assert (para.op, para.line, para.text) == ("append", 15, " S.")
    table = place_sentence(doc, 17, 17, "S.")
    assert table is not None
    assert (table.op, table.line) == ("insert_after", 18)
    assert place_sentence(doc, 1, 1, "S.") is None  # never in the frontmatter


def test_apply_edits_bottom_up_and_validates() -> None:
    text = "a\nb\nc"
    span = Span(start_line=1, end_line=1, quote="a")

    def edit(op: str, line: int, new: str, old: str = "") -> Edit:
        return Edit(
            gap_id="g",
            transform="compensate",
            primitive="p",
            anchor=span,
            op=op,
            line=line,
            text=new,
            old=old,
        )  # type: ignore[arg-type]

    out = apply_edits(
        text, [edit("append", 1, " x"), edit("insert_after", 2, "P"), edit("replace", 3, "C", "c")]
    )
    assert out == "a x\nb\n\nP\n\nC"
    with pytest.raises(ValueError, match="not found once"):
        apply_edits(text, [edit("replace", 1, "z", "q")])
    with pytest.raises(ValueError, match="outside the text"):
        apply_edits(text, [edit("append", 9, "z")])


def test_no_gaps_no_edits(make_skill: MakeSkill, make_tcp: MakeTcp) -> None:
    s = make_skill("# A\n\n```python\nimport pandas\n```\n")
    scr, report, result = rewrite(s, make_tcp())
    assert scr.purposes
    assert not report.gaps
    assert result.text == s.skill_md
    assert not result.edits


@pytest.mark.parametrize(
    ("body", "levels", "expect"),
    [
        (
            "Rank by growth 50%, margin 30%, volume 20%.",
            {"reason.arithmetic": 1},
            "score = 0.50 × growth + 0.30 × margin + 0.20 × volume",
        ),
        (
            "```bash\ncat a.txt | sort | uniq -c\n```",
            {"gen.code.shell": 1},
            "`cat a.txt > step1.txt`, then `sort < step1.txt > step2.txt`, then `uniq -c "
            "< step2.txt`",
        ),
        (
            "```bash\nmkdir out && cp a out/\n```",
            {"tool.exec": 2},
            "run its parts one at a time: `mkdir out`, then `cp a out/`",
        ),
        (
            "Query `https://wttr.in/Oslo?format=j1` for the forecast.",
            {"tool.web": 1},
            "Request exactly `https://wttr.in/Oslo?format=j1`",
        ),
        (
            "```sql\nWITH t AS (SELECT 1) SELECT * FROM t;\n```",
            {"gen.code.sql": 2},
            "CREATE TEMP TABLE t AS",
        ),
    ],
)
def test_compensation_texts(
    make_skill: MakeSkill, make_tcp: MakeTcp, body: str, levels: dict[str, int], expect: str
) -> None:
    _, _, result = rewrite(make_skill(f"# S\n\n{body}\n"), make_tcp(levels))
    assert result.edits, result.skipped
    assert expect in result.edits[0].text
