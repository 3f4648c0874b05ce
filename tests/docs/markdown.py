"""Just enough Markdown for the docs tests: fenced blocks, inline code spans and links, with lines.

Not a Markdown renderer: it knows fences (``` and ~~~, indented inside list items), code spans
(which may wrap onto the next line of a paragraph) and inline links, which is what the README and
docs/ use. Line numbers are 1-based, as an editor shows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_SPAN = re.compile(r"(?<!`)(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)", re.DOTALL)
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\((?P<target><[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(?P<target>\S+)", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """A fenced code block."""

    line: int
    """Line of the first content line (the fence is the line before)."""
    lang: str
    text: str
    before: str
    """The nearest non-blank line above the fence (where a marker comment goes)."""


@dataclass(frozen=True)
class Span:
    """An inline code span, its content as Markdown renders it (newlines become spaces)."""

    line: int
    text: str


@dataclass(frozen=True)
class Link:
    line: int
    target: str


@dataclass(frozen=True)
class _Parsed:
    blocks: list[Block]
    paragraphs: list[tuple[int, str]]
    """Text outside fences, one entry per paragraph: (first line, text)."""


def _parse(text: str) -> _Parsed:
    lines = text.splitlines()
    blocks: list[Block] = []
    paragraphs: list[tuple[int, str]] = []
    para: list[str] = []
    para_start = 0
    i = 0
    last_nonblank = ""

    def flush() -> None:
        if para:
            paragraphs.append((para_start, "\n".join(para)))
            para.clear()

    while i < len(lines):
        line = lines[i]
        opened = _FENCE.match(line)
        if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            flush()
            indent, fence = len(opened["indent"]), opened["fence"]
            closer = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            body: list[str] = []
            j = i + 1
            while j < len(lines) and not closer.match(lines[j]):
                content = lines[j]
                body.append(content[min(indent, len(content) - len(content.lstrip(" "))) :])
                j += 1
            blocks.append(Block(i + 2, opened["info"].strip(), "\n".join(body), last_nonblank))
            last_nonblank = ""
            i = j + 1
            continue
        if line.strip():
            if not para:
                para_start = i + 1
            para.append(line)
            last_nonblank = line.strip()
        else:
            flush()
        i += 1
    flush()
    return _Parsed(blocks, paragraphs)


def fenced_blocks(text: str) -> list[Block]:
    return _parse(text).blocks


def code_spans(text: str) -> list[Span]:
    """Every inline code span outside fenced blocks; ``\\|`` (a pipe in a table cell) is ``|``."""
    spans: list[Span] = []
    for start, para in _parse(text).paragraphs:
        for match in _SPAN.finditer(para):
            code = match["code"].replace("\n", " ").replace("\\|", "|").strip()
            spans.append(Span(start + para.count("\n", 0, match.start()), code))
    return spans


def links(text: str) -> list[Link]:
    """Every inline link, image and reference definition target outside code."""
    found: list[Link] = []
    for start, para in _parse(text).paragraphs:
        # Code spans are blanked out (newlines kept, so line numbers stay right).
        prose = _SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), para)
        for pattern in (_LINK, _REF_DEF):
            for match in pattern.finditer(prose):
                target = match["target"].strip("<>")
                found.append(Link(start + prose.count("\n", 0, match.start()), target))
    return found


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = _SPAN.sub(lambda m: m["code"], heading.strip().lstrip("#").strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The fragments a document's headings can be linked by (duplicates get ``-1``, ``-2``...)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, para in _parse(text).paragraphs:
        for line in para.splitlines():
            if re.match(r"^#{1,6} ", line):
                base = github_anchor(line)
                n = seen.get(base, 0)
                seen[base] = n + 1
                out.add(base if n == 0 else f"{base}-{n}")
    return out
