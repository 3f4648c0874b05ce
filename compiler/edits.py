"""Local edits to SKILL.md: where a sentence goes relative to its evidence, and applying edits.

Three operations, all anchored at an evidence span of the original text: append a sentence to a
line (the end of a paragraph or list item), insert a short paragraph after a line (after a code
block, table or list), or replace text within one line (substitution). Edits never touch the
frontmatter or headings, and only a replacement may touch the inside of a code block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from compiler.markdown import Document
from compiler.scr import Span

EditOp = Literal["append", "insert_after", "replace"]


class Edit(BaseModel):
    """One local edit. ``line`` is 1-based in the original text."""

    model_config = ConfigDict(frozen=True)

    gap_id: str
    transform: Literal["compensate", "substitute", "explicit"]
    primitive: str
    anchor: Span
    op: EditOp
    line: int
    text: str
    old: str = ""
    rationale: str = ""


@dataclass(frozen=True, slots=True)
class Placement:
    op: EditOp
    line: int  # 0-based
    text: str
    old: str = ""


def _terminal(line: str) -> str:
    stripped = line.rstrip()
    if not stripped:
        return ""
    return " " if stripped[-1] in ".!?" else ". "


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def place_sentence(doc: Document, start: int, end: int, sentence: str) -> Placement | None:
    """Where a compensating sentence for evidence at lines ``start..end`` reads naturally."""
    if start < doc.body_start:
        return None
    fence = doc.fence_at(start)
    if fence is not None:
        return _after_block(doc, fence.end, sentence, _indent_of(doc.lines[fence.start]))
    table = doc.table_at(start)
    if table is not None:
        return _after_block(doc, table.end, sentence, _indent_of(doc.lines[table.start]))
    heading = next((h for h in doc.headings if h.line == start), None)
    if heading is not None:
        return _after_heading(doc, heading.line, sentence)
    item = doc.item_at(start)
    if item is not None and end > item.end:
        # A whole list (a procedure): a paragraph after its last item.
        last = doc.item_at(end) or item
        return _after_block(doc, last.end, sentence, "")
    if item is not None:
        return _append(doc, item.end, sentence)
    # A paragraph: append to its last line.
    k = end
    while (
        k + 1 < len(doc.lines)
        and doc.lines[k + 1].strip()
        and doc.is_prose(k + 1)
        and doc.item_at(k + 1) is None
        and doc.table_at(k + 1) is None
        and not any(h.line == k + 1 for h in doc.headings)
    ):
        k += 1
    return _append(doc, k, sentence)


def place_after_list(doc: Document, start: int, end: int, sentence: str) -> Placement | None:
    """A paragraph after the list holding ``start`` (for notes about a whole list of facts)."""
    item = doc.item_at(start)
    if item is None or start < doc.body_start:
        return place_sentence(doc, start, end, sentence)
    last = _block_end(doc, item.line)
    return _after_block(doc, last if last is not None else item.end, sentence, "")


def _append(doc: Document, line: int, sentence: str) -> Placement | None:
    text = doc.lines[line]
    if text.rstrip().endswith(":"):
        # "use this structure:" introduces the next block; the sentence goes after that block.
        nxt = line + 1
        while nxt < len(doc.lines) and not doc.lines[nxt].strip():
            nxt += 1
        if nxt >= len(doc.lines) or nxt - line > 2:
            return None
        block_end = _block_end(doc, nxt)
        if block_end is None:
            return None
        return _after_block(doc, block_end, sentence, _indent_of(doc.lines[nxt]))
    return Placement("append", line, _terminal(text) + sentence)


def _block_end(doc: Document, line: int) -> int | None:
    fence = doc.fence_at(line)
    if fence is not None:
        return fence.end
    table = doc.table_at(line)
    if table is not None:
        return table.end
    item = doc.item_at(line)
    if item is not None:
        end = item.end
        for other in doc.list_items:
            if other.line > end and other.line - end <= 2 and other.indent >= 0:
                gap = doc.lines[end + 1 : other.line]
                if all(not g.strip() for g in gap):
                    end = other.end
        return end
    return None


def _after_block(doc: Document, line: int, sentence: str, indent: str) -> Placement:
    return Placement("insert_after", line, indent + sentence)


def _after_heading(doc: Document, line: int, sentence: str) -> Placement:
    return Placement("insert_after", line, sentence)


def anchor_region(doc: Document, span: Span) -> tuple[int, int]:
    """1-based lines an edit anchored at ``span`` may sit on: the span itself through the end of
    the block that holds it (code block, table, list, paragraph) or, for a line ending in a
    colon, the block it introduces."""
    start, end = span.start_line - 1, span.end_line - 1
    last = end
    for probe in (
        place_sentence(doc, start, end, "x"),
        place_after_list(doc, start, end, "x"),
    ):
        if probe is not None:
            last = max(last, probe.line)
    return start + 1, last + 1


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply edits to the original ``text`` (bottom-up, so line numbers stay valid); CRLF line
    endings are kept."""
    crlf = "\r\n" in text
    lines = text.replace("\r\n", "\n").split("\n")
    for edit in sorted(edits, key=lambda e: (e.line, e.op != "append"), reverse=True):
        i = edit.line - 1
        if not 0 <= i < len(lines):
            raise ValueError(f"edit for {edit.gap_id} points at line {edit.line}, outside the text")
        if edit.op == "append":
            lines[i] = lines[i].rstrip() + edit.text
        elif edit.op == "replace":
            if lines[i].count(edit.old) != 1:
                raise ValueError(
                    f"edit for {edit.gap_id}: text to replace not found once on line {edit.line}"
                )
            lines[i] = lines[i].replace(edit.old, edit.text)
        else:
            block = ["", *edit.text.split("\n")]
            if i + 1 < len(lines) and lines[i + 1].strip():
                block.append("")
            lines[i + 1 : i + 1] = block
    return ("\r\n" if crlf else "\n").join(lines)
