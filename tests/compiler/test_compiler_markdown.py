from __future__ import annotations

from compiler.markdown import Document

TEXT = """---
name: x
---

# Title

Intro paragraph
continues here.

1. First step
   more of the first step
2. Second step
   ```bash
   ls -la
   ```
3. Third step

- [ ] check one
- [x] check two

| a | b |
|---|---|
| 1 | 2 |

~~~python
# not a heading
print("hi")
~~~

## Section `code`

Use `git status` and `jq .a` here.

```
unclosed block
"""


def test_frontmatter_headings_and_fences() -> None:
    doc = Document(TEXT)
    assert doc.frontmatter_text == "name: x"
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Title"), (2, "Section `code`")]
    langs = [(f.lang, f.closed) for f in doc.fences]
    assert langs == [("bash", True), ("python", True), ("", False)]
    assert doc.fences[0].body.strip() == "ls -la"
    assert doc.fences[-1].end == len(doc.lines) - 1  # unclosed runs to the end
    assert doc.in_fence[doc.fences[1].start + 1]


def test_list_items_with_continuations_and_checkboxes() -> None:
    doc = Document(TEXT)
    ordered = [i for i in doc.list_items if i.ordered]
    assert [i.number for i in ordered] == [1, 2, 3]
    assert ordered[0].text == "First step more of the first step"
    checks = [i for i in doc.list_items if i.checkbox]
    assert [c.text for c in checks] == ["check one", "check two"]


def test_tables_inline_code_and_sections() -> None:
    doc = Document(TEXT)
    assert len(doc.tables) == 1
    assert doc.tables[0].end - doc.tables[0].start == 2
    assert [c.text for c in doc.inline_code] == ["code", "git status", "jq .a"]
    line = next(i for i, ln in enumerate(doc.lines) if "git status" in ln)
    section = doc.section_of(line)
    assert section is not None
    assert section.text == "Section `code`"
