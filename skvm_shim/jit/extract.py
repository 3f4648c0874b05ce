"""Extractors: where a slot's value is found in a new session (the task message or a tool result).

An extractor is learned from the text around the value in every trace of a template: the word
(or two) before it, optionally the punctuation after it, plus the slot's class. It is kept only
if it yields exactly the traced value in every trace, so it cannot over-match what it was
learned on; in a new session it either finds a value of the right class or nothing.

A value is only ever a *whole token* of its source: a word, a path, a number, a quoted or
backquoted string, a line. It may not be glued to a word or path character on either side (the
``l`` at the end of ``skill`` is not a token; in ``skills`` the same context would yield ``ls``),
and the context before it starts at a word boundary. A value holds blanks only if a learned one
did, and then only between quotes (or up to the end of a line of a tool result): between plain
words, "on north region.csv." cannot tell the name from "on the file north region.csv.". It
starts or ends with a quote or bracket only if a learned one did or quotes enclose it (else
`` `x.csv` `` in a task that backquotes the name would bind with its backquotes). All of this
is in the regular expression itself, so it is checked on every trace at learning and on every
new session.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from skvm_shim.jit.slots import LAZY, TOKEN, SlotClass, fits

Source = Literal["task", "result"]
Anchor = Literal["none", "start", "line"]
After = Literal["none", "literal", "space", "end"]

_MAX_OCCURRENCES = 4
_MAX_SCANNED = 64
_MAX_CONTEXT = 48
_WORD = re.compile(r"\w")
_SEARCH_CHARS = 262_144
GLUE = r"\w.~/+@%\-"
"""Characters that join text into one word or path: a value next to one is part of a token."""
_GLUED = re.compile(f"[{GLUE}]")
_LEFT = f"(?<![{GLUE}])"
_RIGHT = rf"(?=\Z|[^{GLUE}]|[^\w\s]*(?:\s|\Z))"
"""After a whole token: the end, a character that is not glue, or trailing punctuation before a
blank (``data.csv.`` ends a sentence; ``data.csv.bak`` is a longer token)."""
QUOTES = {
    '"': '"',
    "'": "'",
    "`": "`",
    "\u201c": "\u201d",
    "\u2018": "\u2019",
    "\u00ab": "\u00bb",
    "\u201e": "\u201c",
    "(": ")",
    "[": "]",
    "<": ">",
}
"""Opening delimiters and their closers: what may enclose a value that holds blanks."""
_EDGES = re.escape("".join(sorted(set(QUOTES) | set(QUOTES.values()))))
_NO_BLANKS: dict[SlotClass, str] = {
    **LAZY,
    "string": r"[^\s\x00-\x1f\x7f]+?",
    "free": r"[^\s\x00]+?",
}


class Extractor(BaseModel):
    """Find a value: ``before`` (after an optional anchor), the value, then what follows.

    ``after="none"`` takes the longest path-like token (the value's own boundaries delimit it);
    ``literal`` stops at the first ``after_text``, ``space`` at whitespace or the end, ``end`` at
    the end of the line.
    """

    model_config = ConfigDict(frozen=True)

    source: Source
    step: int = -1
    call: int = -1
    anchor: Anchor = "none"
    before: str = ""
    after: After = "none"
    after_text: str = ""
    cls: SlotClass = "path"
    blanks: bool = False
    """A learned value held whitespace (else a value may not)."""
    edges: bool = False
    """A learned value started or ended with a quote or bracket (else a value may not)."""

    def pattern(self) -> re.Pattern[str]:
        return _compile(
            self.anchor,
            self.before,
            after=self.after,
            after_text=self.after_text,
            cls=self.cls,
            blanks=self.blanks,
            edges=self.edges,
        )

    def apply(self, text: str) -> str | None:
        """The value in ``text``, or None when the context is not there."""
        found = self.find(text)
        return found[2] if found is not None else None

    def find(self, text: str) -> tuple[int, int, str] | None:
        """(start, end, value) of the value in ``text``, or None when the context is not there."""
        if len(text) > _SEARCH_CHARS:
            text = text[:_SEARCH_CHARS]
        m = self.pattern().search(text)
        if m is None or not fits(m.group(1), self.cls):
            return None
        return m.start(1), m.end(1), m.group(1)

    def describe(self) -> str:
        where = "task" if self.source == "task" else f"result of step {self.step}.{self.call}"
        anchor = {"none": "", "start": "^", "line": "line start "}[self.anchor]
        after = {
            "none": "",
            "literal": f" then {self.after_text!r}",
            "space": " then a blank",
            "end": " to line end",
        }[self.after]
        return f"{where}: {anchor}{self.before!r} + <{self.cls}>{after}"


@functools.lru_cache(maxsize=4096)
def _compile(
    anchor: Anchor,
    before: str,
    *,
    after: After,
    after_text: str,
    cls: SlotClass,
    blanks: bool,
    edges: bool,
) -> re.Pattern[str]:
    head = {"none": "", "start": r"\A", "line": r"(?m:^)"}[anchor]
    if anchor == "none" and before and _WORD.match(before[0]):
        head += r"(?<!\w)"  # the context is whole words, not the tail of a longer word
    if after == "none":
        # The longest path-like token (up to trailing punctuation: "data.csv." is "data.csv").
        return re.compile(head + re.escape(before) + _LEFT + f"({TOKEN})" + _RIGHT)
    tail = {
        "literal": re.escape(after_text),
        "space": r"(?=\s|\Z)",
        "end": r"(?m:$)",
    }[after]
    value = (LAZY if blanks else _NO_BLANKS)[cls]
    if not edges and not _encloses(before, after, after_text):
        value = f"(?![{_EDGES}]){value}(?<![{_EDGES}])"
    return re.compile(head + re.escape(before) + _LEFT + f"({value})" + _RIGHT + tail)


def learn_extractor(
    values: Sequence[str],
    texts: Sequence[str],
    cls: SlotClass,
    *,
    source: Source,
    step: int = -1,
    call: int = -1,
) -> Extractor | None:
    """An extractor that yields ``values[i]`` from ``texts[i]`` for every trace i, or None.

    Candidates come from the first trace's occurrences of its value; the first that holds in
    every trace wins (shortest context first).
    """
    if not values or len(values) != len(texts) or not all(values):
        return None
    first, text0 = values[0], texts[0][:_SEARCH_CHARS]
    blanks = any(ch.isspace() for v in values for ch in v)
    edges = any(v[0] in _EDGE_SET or v[-1] in _EDGE_SET for v in values)
    seen: set[Extractor] = set()
    for candidate in _candidates(
        first, text0, cls, source=source, step=step, call=call, blanks=blanks, edges=edges
    ):
        if candidate in seen or (blanks and not _delimited(candidate)):
            continue
        seen.add(candidate)
        if all(candidate.apply(t) == v for v, t in zip(values, texts, strict=True)):
            return candidate
    return None


_EDGE_SET = frozenset(QUOTES) | frozenset(QUOTES.values())


def _delimited(ex: Extractor) -> bool:
    """Does the context enclose a value with blanks: quotes around it, or (in a tool result,
    whose layout the tool fixes) the end of its line?"""
    if _encloses(ex.before, ex.after, ex.after_text):
        return True
    return ex.source == "result" and ex.after == "end"


def _encloses(before: str, after: After, after_text: str) -> bool:
    """Quotes (or brackets) around the value: everything up to the closer is the value."""
    if after != "literal" or not before or before[-1] not in QUOTES:
        return False
    return after_text.startswith(QUOTES[before[-1]])


def _candidates(
    value: str,
    text: str,
    cls: SlotClass,
    *,
    source: Source,
    step: int,
    call: int,
    blanks: bool,
    edges: bool,
) -> Iterator[Extractor]:
    make: Callable[..., Extractor] = functools.partial(
        Extractor, source=source, step=step, call=call, cls=cls, blanks=blanks, edges=edges
    )
    start = 0
    whole = 0
    for _ in range(_MAX_SCANNED):
        p = text.find(value, start)
        if p < 0 or whole >= _MAX_OCCURRENCES:
            return
        start = p + 1
        end = p + len(value)
        if not is_whole(text, p, end):
            continue  # part of a longer word or path: never a source
        whole += 1
        befores = _befores(text, p)
        afters = _afters(text, end)
        for anchor, before in befores:
            yield make(anchor=anchor, before=before)
        for anchor, before in befores:
            for after, after_text in afters:
                yield make(anchor=anchor, before=before, after=after, after_text=after_text)


def is_whole(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` a whole token of ``text`` (not glued to a word or path)?"""
    if start > 0 and _GLUED.match(text[start - 1]):
        return False
    return _WHOLE_END.match(text, end) is not None


_WHOLE_END = re.compile(_RIGHT)


def _befores(text: str, p: int) -> list[tuple[Anchor, str]]:
    """Contexts before position ``p``: one word back, two words back, the line start."""
    out: list[tuple[Anchor, str]] = []
    if p == 0:
        return [("start", "")]
    line_start = text.rfind("\n", 0, p) + 1
    q: int | None = p
    for _ in range(2):
        q = _word_start_before(text, q, line_start) if q is not None else None
        if q is None:
            break
        out.append(("none", text[q:p]))
    if p - line_start <= _MAX_CONTEXT:
        out.append(("line", text[line_start:p]))
    return out


def _word_start_before(text: str, p: int, floor: int) -> int | None:
    """Start of the word before ``p`` (skipping separators), not before ``floor``."""
    i = p
    while i > floor and not _WORD.match(text[i - 1]):
        i -= 1
    if i == floor:
        return None
    while i > floor and _WORD.match(text[i - 1]):
        i -= 1
    if p - i > _MAX_CONTEXT:
        return None
    return i


def _afters(text: str, end: int) -> list[tuple[After, str]]:
    if end >= len(text) or text[end] == "\n":
        return [("end", "")]
    out: list[tuple[After, str]] = []
    j = end
    while j < len(text) and j - end < 8 and not _WORD.match(text[j]) and not text[j].isspace():
        j += 1
    if j > end:
        out.append(("literal", text[end:j]))
    if text[end].isspace():
        out.append(("space", ""))
    return out
