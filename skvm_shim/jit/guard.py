"""The task guard: a template applies only to a task phrased like the ones it was learned from.

Extractors find a value by its literal context, so a task phrased differently could make one
find the wrong token ("the number of lines in x.csv" for a context ``of ``). The guard closes
that: the task is cut at the tokens the template's task slots bind to, and every piece of text
around them must be what it was in the traces (fixed where all traces agreed, a fixed head and
tail around text that varied otherwise). Only the slot tokens themselves may differ, so the
values land exactly where the model found them in the traces; anything else and the template
does not apply (the model answers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from skvm_shim.jit.records import FixedText, Slot, TaskPattern, TaskPiece, Trace

_WORD_END = re.compile(r"\w+\Z")
_WORD_START = re.compile(r"\A\w+")

Span = tuple[int, int, str]
"""(start, end, slot id) of a task slot's token in the task."""
Region = tuple[int, int, tuple[str, ...]]


def task_slots(slots: Iterable[Slot]) -> list[Slot]:
    return [s for s in slots if s.extractor.source == "task"]


def learn_pattern(traces: Sequence[Trace], slots: Sequence[Slot]) -> TaskPattern | None:
    """The guard of a template learned from ``traces``; None when the slots' tokens do not sit
    in the same order in every trace (no consistent pattern: the template never applies)."""
    bound = task_slots(slots)
    layouts: list[list[Region]] = []
    for trace in traces:
        spans: list[Span] = []
        for slot in bound:
            found = slot.extractor.find(trace.task)
            if found is None:
                return None
            spans.append((found[0], found[1], slot.id))
        layouts.append(_regions(spans))
    shapes = {tuple(ids for _, _, ids in regions) for regions in layouts}
    if len(shapes) != 1:
        return None
    cut = [_pieces(t.task, regions) for t, regions in zip(traces, layouts, strict=True)]
    pieces = []
    for texts in zip(*cut, strict=True):
        first = texts[0]
        if all(text == first for text in texts):
            pieces.append(TaskPiece(head=FixedText.of(first)))
            continue
        # What varies is whole words: "mention line." and "mention lines." vary after
        # "mention ", not after "mention line".
        head = _WORD_END.sub("", _common_prefix(texts))
        tails = [text[len(head) :][::-1] for text in texts]
        tail = _WORD_START.sub("", _common_prefix(tails)[::-1])
        pieces.append(TaskPiece(head=FixedText.of(head), tail=FixedText.of(tail), varies=True))
    return TaskPattern(regions=[list(ids) for ids in shapes.pop()], pieces=pieces)


def matches(pattern: TaskPattern, task: str, spans: Sequence[Span]) -> bool:
    """Does ``task``, with its slot tokens at ``spans``, match ``pattern``?"""
    regions = _regions(spans)
    if [list(ids) for _, _, ids in regions] != pattern.regions:
        return False
    pieces = _pieces(task, regions)
    return len(pieces) == len(pattern.pieces) and all(
        piece.matches(text) for piece, text in zip(pattern.pieces, pieces, strict=True)
    )


def describe(pattern: TaskPattern | None) -> str | None:
    """The pattern for people: ``{{sN}}`` at slot tokens, ``…`` where the traces differed."""
    if pattern is None:
        return None
    out: list[str] = []
    for i, piece in enumerate(pattern.pieces):
        out.append(piece.head.show())
        if piece.varies:
            out.append("…" + piece.tail.show())
        if i < len(pattern.regions):
            out.append("{{" + "|".join(pattern.regions[i]) + "}}")
    return "".join(out)


def _common_prefix(texts: Sequence[str]) -> str:
    shortest = min(texts, key=len)
    for i, ch in enumerate(shortest):
        if any(text[i] != ch for text in texts):
            return shortest[:i]
    return shortest


def _regions(spans: Iterable[Span]) -> list[Region]:
    """Slot tokens in order of position; overlapping ones merged into one region."""
    out: list[tuple[int, int, list[str]]] = []
    for start, end, sid in sorted(spans, key=lambda s: (s[0], -s[1], s[2])):
        if out and start < out[-1][1]:
            last = out[-1]
            out[-1] = (last[0], max(last[1], end), [*last[2], sid])
        else:
            out.append((start, end, [sid]))
    return [(start, end, tuple(sorted(ids))) for start, end, ids in out]


def _pieces(task: str, regions: Sequence[Region]) -> list[str]:
    pieces = []
    at = 0
    for start, end, _ in regions:
        pieces.append(task[at:start])
        at = end
    pieces.append(task[at:])
    return pieces
