"""Instantiating a template in a session: bind slots, render calls, check them, compare them.

Every refusal returns ``None`` (the caller falls through to the model): a task that does not
match the template's task guard, a slot whose context is not in this session, a value outside
its class, a value its place cannot hold, and a rendered command whose structure differs from
the template's (checked by lexing it again, so a value can never add a word, an operator or a
here-document line).
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from adapters.ir import ToolCall
from skvm_shim.jit import guard
from skvm_shim.jit.extract import Extractor
from skvm_shim.jit.leaves import canonical_call, leaf_kind, parse_arguments, set_leaf
from skvm_shim.jit.records import CallTemplate, Hole, Slot, TemplateSpec, Trace
from skvm_shim.jit.shell import ShellSyntaxError, ShellToken, tokenize_shell
from skvm_shim.jit.slots import accept, render
from skvm_shim.jit.tokens import Role, tokenize_leaf
from skvm_shim.jit.trace import SessionView, view_of_trace


@dataclass(frozen=True, slots=True)
class PredictedCall:
    name: str
    kind: str
    arguments: str


class Binder:
    """Slot values of one template in one session, extracted on first use.

    Nothing binds unless the session's task passes the template's task guard (checked once,
    binding every task slot on the way).
    """

    def __init__(self, spec: TemplateSpec, view: SessionView) -> None:
        self.spec = spec
        self.view = view
        self._values: dict[str, str | None] = {}
        self._applies: bool | None = None

    @property
    def applies(self) -> bool:
        """Does the template apply to this session's task at all?"""
        if self._applies is None:
            self._applies = self._check_task()
        return self._applies

    def _check_task(self) -> bool:
        pattern = self.spec.task
        if pattern is None:
            return False
        task = self.view.task
        spans: list[guard.Span] = []
        for slot in guard.task_slots(self.spec.slots):
            found = slot.extractor.find(task)
            if found is None or not self._confirmed(slot, found[2]):
                return False
            self._values[slot.id] = found[2]
            spans.append((found[0], found[1], slot.id))
        return guard.matches(pattern, task, spans)

    def value(self, slot_id: str) -> str | None:
        if not self.applies:
            return None
        if slot_id in self._values:
            return self._values[slot_id]
        slot = self.spec.slot(slot_id)
        value: str | None = None
        if slot is not None:
            text = self._source(slot.extractor)
            found = slot.extractor.apply(text) if text is not None else None
            if found is not None and self._confirmed(slot, found):
                value = found
        self._values[slot_id] = value
        return value

    def _source(self, ex: Extractor) -> str | None:
        """The text an extractor reads in this session; None while that result is not there."""
        if ex.source == "task":
            return self.view.task
        if 0 <= ex.step < len(self.view.steps):
            return self.view.steps[ex.step].result_text(ex.call)
        return None

    def _confirmed(self, slot: Slot, value: str) -> bool:
        """The value fits the slot, and no witness finds another one (a witness whose context
        is not in this session says nothing)."""
        if not accept(value, slot.cls, slot.leads):
            return False
        for witness in slot.witnesses:
            text = self._source(witness)
            seen = witness.apply(text) if text is not None else None
            if seen is not None and seen != value:
                return False
        return True

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self._values.items() if v is not None}


def predict_step(
    spec: TemplateSpec, index: int, binder: Binder, harness: str
) -> list[PredictedCall] | None:
    if not 0 <= index < len(spec.steps) or not binder.applies:
        return None
    out = []
    for call in spec.steps[index].calls:
        arguments = _instantiate_call(call, binder, harness)
        if arguments is None:
            return None
        out.append(PredictedCall(call.name, call.kind, arguments))
    return out


def predict_final(spec: TemplateSpec, binder: Binder) -> str | None:
    """The final answer when the template determines it, else None."""
    final = spec.final
    if final is None or not final.determined or not spec.predicts_final or not binder.applies:
        return None
    return _fill(final.text, final.holes, binder)


def same_predictions(
    old: TemplateSpec, new: TemplateSpec, traces: Sequence[Trace], harness: str
) -> bool:
    """Do both specs predict the same at every step (and the final answer) of every trace?

    A relearned spec that does keeps the old one's shadow streak: the sessions that earned it
    would have been exact under the new spec too.
    """
    if len(old.steps) != len(new.steps) or old.predicts_final != new.predicts_final:
        return False
    for trace in traces:
        for k in range(len(new.steps) + 1):
            if k > len(trace.steps):
                break
            view = view_of_trace(trace, k)
            a, b = Binder(old, view), Binder(new, view)
            if k < len(new.steps):
                pa, pb = predict_step(old, k, a, harness), predict_step(new, k, b, harness)
                if (pa is None) != (pb is None):
                    return False
                if pa is not None and pb is not None and not _same_predicted(harness, pa, pb):
                    return False
            else:
                fa, fb = predict_final(old, a), predict_final(new, b)
                if (fa is None) != (fb is None):
                    return False
                if fa is not None and fb is not None and not same_text(fa, fb):
                    return False
    return True


def _same_predicted(harness: str, a: Sequence[PredictedCall], b: Sequence[PredictedCall]) -> bool:
    return len(a) == len(b) and all(
        x == y
        or canonical_call(harness, x.name, x.kind, x.arguments)
        == canonical_call(harness, y.name, y.kind, y.arguments)
        for x, y in zip(a, b, strict=True)
    )


def same_calls(
    harness: str, predicted: Sequence[PredictedCall], actual: Sequence[ToolCall]
) -> bool:
    if len(predicted) != len(actual):
        return False
    return all(
        canonical_call(harness, p.name, p.kind, p.arguments)
        == canonical_call(harness, a.name, a.kind, a.arguments)
        for p, a in zip(predicted, actual, strict=True)
    )


def same_shape(predicted: Sequence[PredictedCall], actual: Sequence[ToolCall]) -> bool:
    """Did the model do the same kind of thing (same tools, same argument keys)?"""
    from skvm_shim.jit.learn import call_shape

    return [call_shape(p.name, p.kind, p.arguments) for p in predicted] == [
        call_shape(a.name, a.kind, a.arguments) for a in actual
    ]


def same_text(predicted: str, actual: str) -> bool:
    return predicted.rstrip() == actual.rstrip()


def history_matches(spec: TemplateSpec, view: SessionView, binder: Binder, harness: str) -> bool:
    """Were the session's steps so far exactly the template's (so its next step applies)?"""
    if view.at_step > len(spec.steps):
        return False
    for index, step in enumerate(view.steps):
        predicted = predict_step(spec, index, binder, harness)
        if predicted is None or not same_calls(harness, predicted, step.calls):
            return False
    return True


# -- rendering ----------------------------------------------------------------------------------


def _instantiate_call(call: CallTemplate, binder: Binder, harness: str) -> str | None:
    if not call.holes:
        return call.exemplar
    if not call.json_args:
        return _fill(call.exemplar, call.holes, binder)
    is_json, value = parse_arguments(call.exemplar)
    if not is_json:
        return None
    exemplar = json.loads(call.exemplar)
    by_path: dict[tuple[str | int, ...], list[Hole]] = {}
    for hole in call.holes:
        by_path.setdefault(tuple(hole.path), []).append(hole)
    for path, holes in by_path.items():
        leaf = _get(value, path)
        if holes[0].role == "json_number":
            hole = holes[0]
            number = binder.value(hole.slot)
            if number is None:
                return None
            try:
                set_leaf(
                    value,
                    path,
                    json.loads(
                        render("json_number", number, prefix=hole.prefix, suffix=hole.suffix)
                    ),
                )
            except ValueError:
                return None
            continue
        if not isinstance(leaf, str):
            return None
        kind = leaf_kind(harness, call.name, call.kind, path, exemplar)
        filled = _fill(leaf, holes, binder)
        if filled is None or not _structure_kept(kind, leaf, filled, holes, binder):
            return None
        set_leaf(value, path, filled)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _get(value: object, path: tuple[str | int, ...]) -> object:
    for part in path:
        value = value[part]  # type: ignore[index]
    return value


def _fill(text: str, holes: Sequence[Hole], binder: Binder) -> str | None:
    out = text
    for hole in sorted(holes, key=lambda h: h.start, reverse=True):
        value = binder.value(hole.slot)
        if value is None:
            return None
        try:
            piece = render(
                cast(Role, hole.role),
                value,
                prefix=hole.prefix,
                suffix=hole.suffix,
                quote=hole.quote,
            )
        except ValueError:
            return None
        out = out[: hole.start] + piece + out[hole.end :]
    return out


def _structure_kept(
    kind: str, before: str, after: str, holes: Sequence[Hole], binder: Binder
) -> bool:
    """Re-read the rendered value: every token outside a hole unchanged, every hole one token
    with exactly the intended value."""
    if kind == "shell":
        return _shell_kept(before, after, holes, binder)
    if kind == "python":
        return _python_kept(before, after, holes, binder)
    return True


_CACHED_COMMAND_CHARS = 4096


def _lexed(text: str) -> tuple[ShellToken, ...] | None:
    """A command's tokens, None if it does not lex. Cached up to a size: a template's exemplar
    commands, and the commands of a session's earlier steps, are lexed on every request."""
    return _lexed_cached(text) if len(text) <= _CACHED_COMMAND_CHARS else _lex(text)


@functools.lru_cache(maxsize=1024)
def _lexed_cached(text: str) -> tuple[ShellToken, ...] | None:
    return _lex(text)


def _lex(text: str) -> tuple[ShellToken, ...] | None:
    try:
        return tuple(tokenize_shell(text))
    except ShellSyntaxError:
        return None


def _shell_kept(before: str, after: str, holes: Sequence[Hole], binder: Binder) -> bool:
    old = _lexed(before)
    new = _lexed(after)
    if old is None or new is None:
        return False
    if len(old) != len(new) or [t.kind for t in old] != [t.kind for t in new]:
        return False
    for o, n in zip(old, new, strict=True):
        inside = [h for h in holes if h.start >= o.start and h.end <= o.end]
        if not inside:
            if o.key != n.key:
                return False
            continue
        if o.kind == "word":
            hole = inside[0]
            value = binder.value(hole.slot)
            if value is None or n.value != hole.prefix + value + hole.suffix:
                return False
    return True


def _python_kept(before: str, after: str, holes: Sequence[Hole], binder: Binder) -> bool:
    old = tokenize_leaf("python", before)
    new = tokenize_leaf("python", after)
    if len(old) != len(new):
        return False
    for o, n in zip(old, new, strict=True):
        inside = [h for h in holes if h.start == o.start and h.end == o.end]
        if not inside:
            if o.key != n.key:
                return False
            continue
        hole = inside[0]
        value = binder.value(hole.slot)
        if value is None:
            return False
        intended = hole.prefix + value + hole.suffix
        if hole.role == "py_string":
            try:
                if ast.literal_eval(after[n.start : n.end]) != intended:
                    return False
            except (ValueError, SyntaxError):
                return False
        elif after[n.start : n.end] != intended:
            return False
    return True
