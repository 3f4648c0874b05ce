"""Just enough Markdown structure for the compiler: frontmatter, headings, fences, lists, tables.

Line indexes are 0-based here; evidence spans shown to people are 1-based (``Span``). Fences may be
indented (skills put code blocks inside list items); a fence closes on the same character repeated
at least as often. An unclosed fence runs to the end of the file, as CommonMark says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

_FENCE_OPEN = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_HEADING = re.compile(r"^(?P<hashes>#{1,6})[ \t]+(?P<text>.*?)[ \t#]*$")
_ORDERED = re.compile(r"^(?P<indent>\s*)(?P<num>\d{1,3})[.)][ \t]+(?P<text>.*)$")
_BULLET = re.compile(r"^(?P<indent>\s*)[-*+][ \t]+(?P<text>.*)$")
_CHECKBOX = re.compile(r"^\[[ xX]\][ \t]*")
_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")


@dataclass(frozen=True, slots=True)
class Fence:
    start: int  # line of the opening fence
    end: int  # line of the closing fence (== last line when unclosed)
    lang: str
    info: str
    body: str
    closed: bool

    @property
    def body_lines(self) -> range:
        return range(self.start + 1, self.end if self.closed else self.end + 1)


@dataclass(frozen=True, slots=True)
class Heading:
    line: int
    level: int
    text: str
    raw: str


@dataclass(frozen=True, slots=True)
class ListItem:
    line: int
    end: int  # last line of the item (continuation lines included)
    ordered: bool
    number: int | None
    indent: int
    checkbox: bool
    text: str  # the item's text, continuation lines joined with spaces


@dataclass(frozen=True, slots=True)
class Table:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class InlineCode:
    line: int
    text: str


class Document:
    """A parsed Markdown text. Cheap to build; derived views are computed on first use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.crlf = "\r\n" in text
        # CRLF files: lines are parsed without their "\r" (see apply_edits for writing back).
        self.lines: list[str] = [ln.removesuffix("\r") for ln in text.split("\n")]
        self.frontmatter_end = _frontmatter_end(self.lines)  # index of closing '---', or -1
        self.fences, self.in_fence = _fences(self.lines, self.frontmatter_end + 1)

    @property
    def body_start(self) -> int:
        return self.frontmatter_end + 1

    @property
    def frontmatter_text(self) -> str | None:
        if self.frontmatter_end < 0:
            return None
        return "\n".join(self.lines[1 : self.frontmatter_end])

    def is_prose(self, index: int) -> bool:
        return index >= self.body_start and not self.in_fence[index]

    @cached_property
    def headings(self) -> tuple[Heading, ...]:
        out = []
        for i in range(self.body_start, len(self.lines)):
            if self.in_fence[i]:
                continue
            m = _HEADING.match(self.lines[i])
            if m:
                out.append(Heading(i, len(m["hashes"]), m["text"].strip(), self.lines[i].rstrip()))
        return tuple(out)

    @cached_property
    def list_items(self) -> tuple[ListItem, ...]:
        return tuple(_list_items(self))

    @cached_property
    def tables(self) -> tuple[Table, ...]:
        out: list[Table] = []
        start = -1
        for i in range(self.body_start, len(self.lines) + 1):
            is_row = (
                i < len(self.lines)
                and not self.in_fence[i]
                and self.lines[i].lstrip().startswith("|")
            )
            if is_row and start < 0:
                start = i
            elif not is_row and start >= 0:
                out.append(Table(start, i - 1))
                start = -1
        return tuple(out)

    @cached_property
    def inline_code(self) -> tuple[InlineCode, ...]:
        out: list[InlineCode] = []
        for i in range(self.body_start, len(self.lines)):
            if not self.in_fence[i] and "`" in self.lines[i]:
                out.extend(InlineCode(i, m.group(1)) for m in _INLINE_CODE.finditer(self.lines[i]))
        return tuple(out)

    def section_of(self, index: int) -> Heading | None:
        """The nearest heading at or above ``index`` (any level)."""
        best = None
        for h in self.headings:
            if h.line > index:
                break
            best = h
        return best

    def purpose_heading(self, index: int) -> Heading | None:
        """The nearest level-1/2 heading above ``index``; a level-3+ one if there is none."""
        best = None
        fallback = None
        for h in self.headings:
            if h.line > index:
                break
            if h.level <= 2:
                best = h
            fallback = h
        return best or fallback

    def table_at(self, index: int) -> Table | None:
        for t in self.tables:
            if t.start <= index <= t.end:
                return t
        return None

    def fence_at(self, index: int) -> Fence | None:
        for f in self.fences:
            if f.start <= index <= f.end:
                return f
        return None

    def item_at(self, index: int) -> ListItem | None:
        found = None
        for item in self.list_items:
            if item.line <= index <= item.end:
                found = item  # innermost (latest starting) wins
        return found


def _frontmatter_end(lines: list[str]) -> int:
    if not lines or lines[0].strip() != "---":
        return -1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return i
    return -1


def _fences(lines: list[str], start: int) -> tuple[tuple[Fence, ...], list[bool]]:
    in_fence = [False] * len(lines)
    for i in range(min(start, len(lines))):
        in_fence[i] = False
    fences: list[Fence] = []
    i = start
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m["fence"]
        info = m["info"].strip()
        close = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            j += 1
        closed = j < len(lines)
        end = j if closed else len(lines) - 1
        body = "\n".join(lines[i + 1 : j])
        lang = info.split()[0].lower() if info else ""
        fences.append(Fence(i, end, lang, info, body, closed))
        for k in range(i, end + 1):
            in_fence[k] = True
        i = end + 1
    return tuple(fences), in_fence


def _list_items(doc: Document) -> list[ListItem]:
    items: list[ListItem] = []
    lines = doc.lines
    i = doc.body_start
    while i < len(lines):
        if doc.in_fence[i]:
            i += 1
            continue
        line = lines[i]
        m = _ORDERED.match(line)
        ordered = m is not None
        if m is None:
            m = _BULLET.match(line)
        if m is None or _HEADING.match(line):
            i += 1
            continue
        indent = len(m["indent"].expandtabs(4))
        text = m["text"]
        checkbox = bool(_CHECKBOX.match(text))
        parts = [_CHECKBOX.sub("", text).strip()]
        j = i + 1
        # Lazy continuation: following non-blank lines that are not items, headings or fences.
        while j < len(lines) and lines[j].strip() and not doc.in_fence[j]:
            nxt = lines[j]
            if _ORDERED.match(nxt) or _BULLET.match(nxt) or _HEADING.match(nxt):
                break
            if nxt.lstrip().startswith("|"):
                break
            parts.append(nxt.strip())
            j += 1
        number = int(m["num"]) if ordered else None
        items.append(ListItem(i, j - 1, ordered, number, indent, checkbox, " ".join(parts)))
        i = j
    return items
