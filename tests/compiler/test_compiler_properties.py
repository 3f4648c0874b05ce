"""Property tests: any skill assembled from realistic pieces, against any profile, compiles
without an internal error, and the rule-based edits always pass the guard and stay anchored."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compiler import TCP, HarnessFacts, compile_skill, parse_skill
from compiler.edits import anchor_region
from compiler.primitives import PRIMITIVE_IDS

PIECES = [
    "## Section {n}\n",
    "1. Read `data/in{n}.csv`\n2. If it is empty, stop\n"
    "3. Write `out{n}.json`\n4. Repeat until done\n",
    "- NEVER delete files.\n- You MUST log.\n- ALWAYS ask first.\n",
    '```python\nimport pandas as pd\nimport json\nimport re\nre.search(r"(?<=a)b", s)\n```\n',
    "```bash\ncat a.txt | awk '{{print $2}}' | sort > b.txt && wc -l b.txt\n"
    "curl -s 'https://x.test/api?q={n}'\n```\n",
    "```sql\nWITH t AS (SELECT 1) SELECT * FROM t JOIN u ON t.id = u.id;\n```\n",
    '```json\n{{"a": {{"b": {{"c": {{"d": [{n}]}}}}}}}}\n```\n',
    "Use this structure:\n\n```markdown\n# [Title]\n## A\n[a]\n## B\n[b]\n## C\n[c]\n"
    "## D\n## E\n## F\n```\n",
    "See `references/r{n}.md` and `references/s.md` for details.\n",
    "Rank by value 50%, reach 30%, cost 20%.\n",
    "| Calculate the total cost | yes |\n|---|---|\n",
    "Write 2,000 words in a conversational tone, consistent voice throughout.\n",
    "Create this layout:\n\n```\napp/\n├── main.py\n└── README.md\n```\n",
    "Fetch all the source URLs, then combine the results into `digest.md`.\n",
    "Plain prose without any demand at all.\n",
    "1. Load `in{n}.csv` with pandas and sum the amounts; then check the sum\n"
    "2. Optionally, plot them with matplotlib\n3. Run `scripts/total.py --help`\n"
    "4. Reply with the total\n\nThe bundled `scripts/total.py` does steps 1-2:\n\n"
    "```bash\npython3 scripts/total.py in{n}.csv\n```\n",
    "   indented text: ` unbalanced backtick and * stray stars **\n",
]


@st.composite
def skills(draw: st.DrawFn) -> str:
    n = draw(st.integers(min_value=0, max_value=12))
    picks = draw(st.lists(st.sampled_from(PIECES), min_size=0, max_size=n))
    body = "\n".join(p.format(n=i) for i, p in enumerate(picks))
    return f"---\nname: prop\ndescription: generated\n---\n\n# Generated\n\n{body}"


@st.composite
def profiles(draw: st.DrawFn) -> TCP:
    caps = {pid: f"L{draw(st.integers(0, 3))}" for pid in PRIMITIVE_IDS}
    return TCP.model_validate(
        {
            "model": "p/m",
            "harness": "bare-agent",
            "profiledAt": "2026-01-01T00:00:00Z",
            "capabilities": caps,
        }
    )


@given(skills(), profiles(), st.booleans())
def test_compiles_cleanly_and_edits_pass_the_guard(text: str, tcp: TCP, parallel: bool) -> None:
    skill = parse_skill(
        text,
        {
            "references/s.md": b"s",
            "references/r1.md": b"r",
            "scripts/total.py": b"import argparse\np = argparse.ArgumentParser()\n"
            b"p.add_argument('csv')\np.parse_args()\n",
        },
    )
    result = compile_skill(
        skill, tcp=tcp, harness=HarnessFacts(parallel_tool_calls=parallel, subagents=parallel)
    )
    assert result.errors == ()
    assert result.servable, result.variant.provenance.guard.violations
    assert len(result.edits) <= 3
    spans = {ev.span for _, req in result.scr.requirements() for ev in req.evidence}
    for edit in result.edits:
        assert edit.anchor in spans
        lo, hi = anchor_region(skill.document, edit.anchor)
        assert lo <= edit.line <= hi
        assert not edit.text.lstrip().startswith("#")
