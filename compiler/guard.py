"""The guard: a gate between a compiled text and serving it.

Checks, against the original SKILL.md (SkVM's ``src/compiler/guard.ts``, made strict):
1. the frontmatter is byte-identical;
2. every heading of the original is present, in order; the only heading that may be added is
   pass 3's hints heading, once;
3. every code block whose trimmed body is over 10 characters is present verbatim, unless a recorded
   substitution replaced it;
4. every list item (steps, checklist entries) is still there: its original line is a prefix of a
   line of the variant (appending a sentence is allowed), unless a recorded edit replaced text
   on it;
5. growth: added lines <= ceil(original lines x factor), factor 2.0 under 100 lines, 1.0 under
   200, else 0.5.
A variant that fails is not servable; the violations say why.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from compiler.markdown import Document
from compiler.workflow import PASS3_HEADING

MIN_BLOCK_CHARS = 10


class GuardResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    passed: bool
    violations: tuple[str, ...] = ()
    lines_before: int = 0
    lines_after: int = 0
    max_added_lines: int = 0


def growth_limit(original_lines: int) -> int:
    factor = 2.0 if original_lines < 100 else 1.0 if original_lines < 200 else 0.5
    return math.ceil(original_lines * factor)


def _short(text: str, n: int = 60) -> str:
    text = text.strip().replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def run_guard(
    original: str,
    compiled: str,
    *,
    substituted_blocks: Iterable[str] = (),
    replaced_lines: Iterable[int] = (),
    allowed_new_headings: Iterable[str] = (PASS3_HEADING,),
) -> GuardResult:
    original = original.replace("\r\n", "\n")
    compiled = compiled.replace("\r\n", "\n")
    before, after = Document(original), Document(compiled)
    violations: list[str] = []

    if before.frontmatter_text != after.frontmatter_text:
        violations.append("frontmatter changed")

    old_heads = [h.raw.strip() for h in before.headings]
    new_heads = [h.raw.strip() for h in after.headings]
    k = 0
    for head in new_heads:
        if k < len(old_heads) and head == old_heads[k]:
            k += 1
    if k < len(old_heads):
        violations.append(f"heading missing or moved: {_short(old_heads[k])!r}")
    allowed = Counter(h.strip() for h in allowed_new_headings)
    added = Counter(new_heads) - Counter(old_heads)
    for head, count in added.items():
        if count > allowed.get(head, 0):
            violations.append(f"heading added: {_short(head)!r}")

    exempt = {b.strip() for b in substituted_blocks}
    for fence in before.fences:
        body = fence.body.strip()
        if len(body) <= MIN_BLOCK_CHARS or body in exempt:
            continue
        if fence.body not in compiled:
            violations.append(
                f"code block at line {fence.start + 1} changed or removed: {_short(body)!r}"
            )

    replaced = set(replaced_lines)
    after_lines = [ln.rstrip() for ln in after.lines]
    after_set = set(after_lines)
    for item in before.list_items:
        if item.line + 1 in replaced:
            continue
        raw = before.lines[item.line].rstrip()
        if raw in after_set:
            continue
        if not any(line.startswith(raw) for line in after_lines):
            violations.append(
                f"list item at line {item.line + 1} changed or removed: {_short(raw)!r}"
            )

    n_before, n_after = len(before.lines), len(after.lines)
    limit = growth_limit(n_before)
    if n_after - n_before > limit:
        violations.append(f"grew by {n_after - n_before} lines, over the limit of {limit}")

    return GuardResult(
        passed=not violations,
        violations=tuple(violations),
        lines_before=n_before,
        lines_after=n_after,
        max_added_lines=limit,
    )
