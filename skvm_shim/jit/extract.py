"""Extractors: where a slot's value is found in a new session (the task message or a tool result).

An extractor is learned from the text around the value in every trace of a template: the word
(or two) before it, optionally the punctuation after it, plus the slot's class. It is kept only
if it yields exactly the traced value in every trace, so it cannot over-match what it was
learned on; in a new session it either finds a value of the right class or nothing.
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
_MAX_CONTEXT = 48
_WORD = re.compile(r"\w")
_SEARCH_CHARS = 262_144


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

    def pattern(self) -> re.Pattern[str]:
        return _compile(self.anchor, self.before, self.after, self.after_text, self.cls)

    def apply(self, text: str) -> str | None:
        """The value in ``text``, or None when the context is not there."""
        if len(text) > _SEARCH_CHARS:
            text = text[:_SEARCH_CHARS]
        m = self.pattern().search(text)
        if m is None or not fits(m.group(1), self.cls):
            return None
        return m.group(1)

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
    anchor: Anchor, before: str, after: After, after_text: str, cls: SlotClass
) -> re.Pattern[str]:
    head = {"none": "", "start": r"\A", "line": r"(?m:^)"}[anchor]
    if after == "none":
        # The token must be a whole word of the text: up to the next blank only punctuation may
        # follow ("data.csv." yes, "it's.csv" no: that would cut the value short).
        body = f"({TOKEN})"
        if not (before and _WORD.fullmatch(before[-1])):
            body += r"(?=[^\w\s]*(?:\s|\Z))"
        return re.compile(head + re.escape(before) + body)
    tail = {
        "literal": re.escape(after_text),
        "space": r"(?=\s|\Z)",
        "end": r"(?m:$)",
    }[after]
    return re.compile(head + re.escape(before) + f"({LAZY[cls]})" + tail)


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
    if not values or len(values) != len(texts):
        return None
    first, text0 = values[0], texts[0][:_SEARCH_CHARS]
    seen: set[Extractor] = set()
    for candidate in _candidates(first, text0, cls, source=source, step=step, call=call):
        if candidate in seen:
            continue
        seen.add(candidate)
        if all(candidate.apply(t) == v for v, t in zip(values, texts, strict=True)):
            return candidate
    return None


def _candidates(
    value: str, text: str, cls: SlotClass, *, source: Source, step: int, call: int
) -> Iterator[Extractor]:
    make: Callable[..., Extractor] = functools.partial(
        Extractor, source=source, step=step, call=call, cls=cls
    )
    start = 0
    for _ in range(_MAX_OCCURRENCES):
        p = text.find(value, start)
        if p < 0:
            return
        start = p + 1
        end = p + len(value)
        befores = _befores(text, p)
        afters = _afters(text, end)
        for anchor, before in befores:
            yield make(anchor=anchor, before=before)
        for anchor, before in befores:
            for after, after_text in afters:
                yield make(anchor=anchor, before=before, after=after, after_text=after_text)


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
