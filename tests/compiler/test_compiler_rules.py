"""One test (at least) per SCR rule, on small skills written for the purpose."""

from __future__ import annotations

from collections.abc import Callable

from compiler import Level, SkillSource
from compiler.levels import Level as L
from compiler.scr_extract import RuleScrExtractor
from compiler.scr_rules import (
    Hit,
    RuleContext,
    is_instruction,
    make_phrase_rule,
    rule_bundle_references,
    rule_constraints,
    rule_file_formats,
    rule_file_trees,
    rule_html_blocks,
    rule_js_blocks,
    rule_named_libraries,
    rule_output_size,
    rule_output_templates,
    rule_phrases,
    rule_python_blocks,
    rule_regexes,
    rule_shell_blocks,
    rule_sql_blocks,
    rule_steps,
    rule_structured_outputs,
    rule_web_queries,
    rule_weights,
    tree_files,
)
from compiler.signals import PatternSignal

MakeSkill = Callable[..., SkillSource]


def hits(rule: Callable[[RuleContext], object], s: SkillSource) -> list[Hit]:
    return list(rule(RuleContext(s)))  # type: ignore[call-overload]


def by_rule(found: list[Hit]) -> dict[str, tuple[str, Level]]:
    return {h.rule: (h.primitive, h.level) for h in found}


def test_phrase_signals_need_an_instruction_and_skip_tables(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# X\n\nCalculate the total cost for each region.\n\n"
        "The team calculated the total cost last year.\n\n"
        "| Calculate the total cost | no |\n|---|---|\n"
    )
    found = [h for h in hits(rule_phrases, s) if h.rule == "arith.calculate"]
    assert [h.start for h in found] == [7]  # only the instruction (0-based line 7)
    assert found[0].primitive == "reason.arithmetic"
    assert found[0].level is L.L2


def test_is_instruction() -> None:
    assert is_instruction("1. **Read each file** — understand it")
    assert is_instruction("You should check the output.")
    assert is_instruction("- **Output:** write the JSON")
    assert not is_instruction("- Reads like a Wikipedia article")
    assert not is_instruction("The report contains numbers.")


def test_adding_a_signal_is_one_table_entry(make_skill: MakeSkill) -> None:
    signal = PatternSignal("demo.haiku", "gen.text.prose", L.L3, r"\bhaiku\b", "writes haiku")
    s = make_skill("# Poems\n\nWrite a haiku about the sea.\n")
    scr = RuleScrExtractor(rules=(make_phrase_rule((signal,)),)).extract(s)
    (purpose,) = scr.purposes
    (req,) = purpose.requirements
    assert (req.primitive, req.min_level, req.evidence[0].rule) == (
        "gen.text.prose",
        L.L3,
        "demo.haiku",
    )
    assert req.evidence[0].span.start_line == 8


def test_python_blocks(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# P\n\n```python\nimport json\nimport pandas as pd\nfrom helpers import x\n"
        "from playwright.sync_api import sync_playwright\n```\n",
        {"scripts/helpers.py": b""},
    )
    found = hits(rule_python_blocks, s)
    rules = [(h.rule, h.level, h.detail) for h in found]
    assert ("python.block", L.L1, {}) in rules
    assert ("python.stdlib", L.L2, {"module": "json"}) in rules
    assert ("python.third_party", L.L3, {"library": "pandas"}) in rules
    assert ("library.playwright", L.L2, {"library": "playwright"}) in rules
    assert not any(h.detail.get("library") == "helpers" for h in found)  # bundled module


def test_shell_blocks(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# S\n\n```bash\ngit status\ncat a.txt | sort | uniq -c\nawk '{print $2}' data.txt\n"
        'mkdir out && cp a.txt out/\ncurl -s "https://x.test/api?q=1&n=2"\n```\n'
    )
    got = {(h.rule, h.primitive, h.level) for h in hits(rule_shell_blocks, s)}
    assert ("shell.block", "tool.exec", L.L1) in got
    assert ("shell.command", "gen.code.shell", L.L1) in got
    assert ("shell.pipes", "gen.code.shell", L.L2) in got
    assert ("shell.awk", "gen.code.shell", L.L3) in got
    assert ("shell.chain", "tool.exec", L.L3) in got
    assert ("shell.curl", "tool.web", L.L1) in got
    assert ("shell.query", "tool.web", L.L2) in got
    url = next(h for h in hits(rule_shell_blocks, s) if h.rule == "shell.query").detail["url"]
    assert url == "https://x.test/api?q=1&n=2"


def test_language_less_fence_counts_as_shell_only_when_it_looks_like_commands(
    make_skill: MakeSkill,
) -> None:
    cmds = make_skill("# S\n\n```\ngit log --oneline\nnpm test\n```\n")
    prose = make_skill("# S\n\n```\nAs a user,\nI want things.\n```\n")
    assert hits(rule_shell_blocks, cmds)
    assert not hits(rule_shell_blocks, prose)


def test_sql_blocks(make_skill: MakeSkill) -> None:
    cte = make_skill("# Q\n\n```sql\nWITH t AS (SELECT 1) SELECT * FROM t;\n```\n")
    join = make_skill("# Q\n\n```sql\nSELECT a FROM x JOIN y ON x.id = y.id;\n```\n")
    plain = make_skill("# Q\n\n```sql\nSELECT count(*) FROM x WHERE y > 2;\n```\n")
    assert [h.level for h in hits(rule_sql_blocks, cte)] == [L.L3]
    assert [h.level for h in hits(rule_sql_blocks, join)] == [L.L2]
    assert [h.level for h in hits(rule_sql_blocks, plain)] == [L.L1]


def test_js_blocks_and_node_detection(make_skill: MakeSkill) -> None:
    node = make_skill(
        "# J\n\n```js\nconst fs = require('fs');\nconst t = fs.readFileSync('a');\n```\n"
    )
    dom = make_skill(
        "# J\n\n```js\nconst el = document.querySelector('#a');\nawait fetch(u);\n```\n"
    )
    n, n_run = hits(rule_js_blocks, node)
    d, d_fetch = hits(rule_js_blocks, dom)
    assert (n.level, n.detail["node"]) == (L.L2, True)
    assert (d.level, d.detail["node"]) == (L.L3, False)
    # A Node script is also run (tool.exec L2); browser code that fetches needs the web.
    assert (n_run.rule, n_run.primitive, n_run.level) == ("js.run", "tool.exec", L.L2)
    assert (d_fetch.rule, d_fetch.primitive, d_fetch.level) == ("js.fetch", "tool.web", L.L1)


def test_html_blocks(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# H\n\n```html\n<table><tr><td>1</td></tr></table>\n```\n\n```css\n@media "
        "(max-width: 600px) { a {} }\n```\n"
    )
    assert [h.level for h in hits(rule_html_blocks, s)] == [L.L2, L.L3]


def test_structured_outputs_need_an_output_context(make_skill: MakeSkill) -> None:
    deep = '{"a": {"b": {"c": {"d": {"e": 1}}}}}'
    out = make_skill(f"# O\n\nWrite `x.json` with this structure:\n\n```json\n{deep}\n```\n")
    example = make_skill(f"# O\n\nThe config looks like this.\n\n```json\n{deep}\n```\n")
    (h,) = hits(rule_structured_outputs, out)
    assert (h.primitive, h.level, h.detail["depth"]) == ("gen.text.structured", L.L3, 5)
    assert hits(rule_structured_outputs, example) == []


def test_output_templates(make_skill: MakeSkill) -> None:
    sections = "\n".join(f"## Part {i}\n[fill in part {i}]" for i in range(7))
    s = make_skill(f"# T\n\nUse this structure:\n\n```markdown\n# [Title]\n{sections}\n```\n")
    got = by_rule(hits(rule_output_templates, s))
    assert got["template.document"] == ("gen.text.long", L.L2)
    assert got["template.placeholders"] == ("follow.format", L.L2)


def test_regexes(make_skill: MakeSkill) -> None:
    s = make_skill(
        '# R\n\n```python\nre.search(r"(?<=\\$)\\d+", t)\nre.findall(r"^(a|b)$", t)\n'
        "re.sub(r\"x+\", '', t)\n```\n"
    )
    assert [h.level for h in hits(rule_regexes, s)] == [L.L3, L.L2, L.L1]


def test_steps_levels_branches_loops_and_non_procedures(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\n1. Read the input\n2. If it is empty, stop\n3. Write the output\n\n"
        "## Loop\n\n1. Run the tests\n2. Fix one failure\n3. Repeat until green\n\n"
        "## Things\n\n1. Apples\n2. Pears\n3. Plums\n"
    )
    found = hits(rule_steps, s)
    assert [(h.level, h.detail["branches"], h.detail["loops"]) for h in found] == [
        (L.L2, [2], []),
        (L.L3, [], [3]),
    ]


def test_constraints_counted_per_section(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# A\n\n- NEVER delete data.\n- You MUST log.\n- ALWAYS ask.\n\n## B\n\nDo not guess.\n"
    )
    levels = [(h.level, h.start) for h in hits(rule_constraints, s)]
    assert levels == [(L.L2, 7), (L.L2, 8), (L.L2, 9), (L.L1, 13)]


def test_output_size_from_word_counts(make_skill: MakeSkill) -> None:
    s = make_skill("# S\n\nWrite 1,500-2,000 words.\n\nKeep it to 300 words.\n\nAbout 100 words.\n")
    assert [(h.level, h.detail["words"]) for h in hits(rule_output_size, s)] == [
        (L.L3, 2000),
        (L.L2, 300),
    ]


def test_bundle_references(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# R\n\nSee `references/a.md` and [guide](references/b.md).\n\n"
        "Published at [b](https://github.com/o/r/blob/main/skill/references/b.md).\n\n"
        "Run `scripts/go.py` first.\n\nRead `docs/missing.md` if present.\n\nWrite to "
        "`memory/out.md`.\n",
        {"references/a.md": b"", "references/b.md": b"", "scripts/go.py": b""},
    )
    found = hits(rule_bundle_references, s)
    reads = {(h.detail["path"], h.detail["exists"]) for h in found if h.rule == "bundle.read"}
    assert reads == {
        ("references/a.md", True),
        ("references/b.md", True),
        ("docs/missing.md", False),
    }
    assert all(h.level is L.L2 for h in found if h.rule == "bundle.read")
    assert [h.detail["path"] for h in found if h.rule == "bundle.script"] == ["scripts/go.py"]


def test_file_trees_only_when_asked_to_create(make_skill: MakeSkill) -> None:
    tree = "```\napp/\n├── src/\n│   └── main.py\n└── README.md\n```\n"
    create = make_skill(f"# L\n\nCreate this layout:\n\n{tree}")
    describe = make_skill(f"# L\n\nThe repository looks like this:\n\n{tree}")
    (h,) = hits(rule_file_trees, create)
    assert h.detail["files"] == ["app/src/main.py", "app/README.md"]
    assert hits(rule_file_trees, describe) == []
    assert tree_files("├── a/\n│   ├── b.txt\n│   └── c/\n│       └── d.py\n└── e.md") == [
        "a/b.txt",
        "a/c/d.py",
        "e.md",
    ]


def test_file_formats(make_skill: MakeSkill) -> None:
    s = make_skill("# F\n\nExport the sheet to `report.xlsx` and the calendar to an .ics file.\n")
    got = {
        h.detail["format"]: (h.primitive, h.level, h.detail["library"])
        for h in hits(rule_file_formats, s)
    }
    assert got == {
        "xlsx": ("gen.code.python", L.L3, "openpyxl"),
        "ics": ("follow.format", L.L2, None),
    }


def test_named_libraries_ignore_ordinary_words(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# L\n\nUse pandas for tables and BeautifulSoup for HTML. Open pull requests weekly.\n"
    )
    found = hits(rule_named_libraries, s)
    libs = {h.detail["library"] for h in found if h.rule.startswith("library.")}
    assert libs == {"pandas", "bs4"}
    # Told to use a Python library: a script to write and run.
    assert [(h.rule, h.primitive, h.level) for h in found if not h.rule.startswith("library.")] == [
        ("python.run", "tool.exec", L.L2)
    ]


def test_named_libraries_skip_what_the_text_rules_out(make_skill: MakeSkill) -> None:
    s = make_skill("# L\n\nDon't use pandas for this; never reach for numpy either.\n")
    assert hits(rule_named_libraries, s) == []


def test_weights(make_skill: MakeSkill) -> None:
    s = make_skill(
        "# W\n\nScore by value 40%, impact 30%, risk 15%, effort 15%.\n\nAbout 80% of "
        "results come from 20% of effort.\n"
    )
    (h,) = hits(rule_weights, s)
    assert h.detail["weights"] == [("value", 40), ("impact", 30), ("risk", 15), ("effort", 15)]


def test_web_queries_in_prose(make_skill: MakeSkill) -> None:
    s = make_skill("# W\n\nUse `https://wttr.in/Paris?format=j1` for weather.\n")
    (h,) = hits(rule_web_queries, s)
    assert (h.level, h.detail["url"]) == (L.L2, "https://wttr.in/Paris?format=j1")
