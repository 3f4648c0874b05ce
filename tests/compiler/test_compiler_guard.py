from __future__ import annotations

from compiler import PASS3_HEADING, run_guard
from compiler.guard import growth_limit

ORIGINAL = """---
name: g
description: guard test
---

# Title

Intro.

## Steps

1. First
2. Second

- [ ] check it

```bash
echo "a block long enough"
```

```
ok
```
"""


def test_unchanged_and_appended_text_pass() -> None:
    assert run_guard(ORIGINAL, ORIGINAL).passed
    edited = ORIGINAL.replace("2. Second", "2. Second. Do it carefully with `x`.").replace(
        "Intro.", "Intro. More."
    )
    hints = edited.rstrip("\n") + f"\n\n{PASS3_HEADING}\n\n- step hint\n"
    result = run_guard(ORIGINAL, hints)
    assert result.passed, result.violations


def test_frontmatter_change_fails() -> None:
    r = run_guard(ORIGINAL, ORIGINAL.replace("description: guard test", "description: other"))
    assert not r.passed
    assert r.violations == ("frontmatter changed",)


def test_headings_removed_renamed_added_or_duplicated() -> None:
    removed = run_guard(ORIGINAL, ORIGINAL.replace("## Steps", "## Procedure"))
    assert not removed.passed
    assert any("heading missing or moved: '## Steps'" in v for v in removed.violations)
    assert any("heading added: '## Procedure'" in v for v in removed.violations)
    extra = run_guard(ORIGINAL, ORIGINAL + "\n## Notes\n")
    assert extra.violations == ("heading added: '## Notes'",)
    twice = run_guard(ORIGINAL, ORIGINAL + f"\n{PASS3_HEADING}\n\n{PASS3_HEADING}\n")
    assert any("heading added" in v for v in twice.violations)


def test_code_blocks_must_survive_unless_substituted() -> None:
    changed = ORIGINAL.replace('echo "a block long enough"', "echo changed")
    r = run_guard(ORIGINAL, changed)
    assert not r.passed
    assert "code block at line 17 changed or removed" in r.violations[0]
    assert run_guard(ORIGINAL, changed, substituted_blocks=['echo "a block long enough"']).passed
    # trivial blocks (10 characters or fewer) are not protected
    assert run_guard(ORIGINAL, ORIGINAL.replace("```\nok\n```", "```\nno\n```")).passed


def test_steps_and_checklist_items_must_survive() -> None:
    dropped = run_guard(ORIGINAL, ORIGINAL.replace("2. Second\n", ""))
    assert dropped.violations == ("list item at line 13 changed or removed: '2. Second'",)
    unchecked = run_guard(ORIGINAL, ORIGINAL.replace("- [ ] check it", "- [ ] check"))
    assert not unchecked.passed
    rewritten = ORIGINAL.replace("1. First", "1. Initial")
    assert not run_guard(ORIGINAL, rewritten).passed
    assert run_guard(ORIGINAL, rewritten, replaced_lines=[12]).passed  # a recorded replace edit


def test_growth_is_bounded() -> None:
    assert (growth_limit(50), growth_limit(150), growth_limit(400)) == (100, 150, 200)
    lines = ORIGINAL.count("\n") + 1
    too_long = ORIGINAL + "\nmore\n" * growth_limit(lines)
    r = run_guard(ORIGINAL, too_long)
    assert not r.passed
    assert r.violations[-1].startswith("grew by")
    assert r.lines_before == lines
    assert r.max_added_lines == growth_limit(lines)
