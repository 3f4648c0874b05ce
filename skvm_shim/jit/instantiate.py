"""Instantiating a template in a session: bind slots, render calls, check them, compare them.

Every refusal returns ``None`` (the caller falls through to the model): a slot whose context is
not in this session, a value outside its class, a value its place cannot hold, and a rendered
command whose structure differs from the template's (checked by lexing it again, so a value can
never add a word, an operator or a here-document line).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from adapters.ir import ToolCall
from skvm_shim.jit.leaves import canonical_call, leaf_kind, parse_arguments, set_leaf
from skvm_shim.jit.records import CallTemplate, Hole, TemplateSpec
from skvm_shim.jit.shell import ShellSyntaxError, tokenize_shell
from skvm_shim.jit.slots import accept, render
from skvm_shim.jit.tokens import Role, tokenize_leaf
from skvm_shim.jit.trace import SessionView


@dataclass(frozen=True, slots=True)
class PredictedCall:
    name: str
    kind: str
    arguments: str


class Binder:
    """Slot values of one template in one session, extracted on first use."""

    def __init__(self, spec: TemplateSpec, view: SessionView) -> None:
        self.spec = spec
        self.view = view
        self._values: dict[str, str | None] = {}

    def value(self, slot_id: str) -> str | None:
        if slot_id in self._values:
            return self._values[slot_id]
        slot = self.spec.slot(slot_id)
        value: str | None = None
        if slot is not None:
            ex = slot.extractor
            if ex.source == "task":
                text = self.view.task
            elif 0 <= ex.step < len(self.view.steps):
                text = self.view.steps[ex.step].result_text(ex.call)
            else:
                text = ""
            found = ex.apply(text) if text else None
            if found is not None and accept(found, slot.cls, slot.leads):
                value = found
        self._values[slot_id] = value
        return value

    def values(self) -> dict[str, str]:
        return {k: v for k, v in self._values.items() if v is not None}


def predict_step(
    spec: TemplateSpec, index: int, binder: Binder, harness: str
) -> list[PredictedCall] | None:
    if not 0 <= index < len(spec.steps):
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
    if final is None or not final.determined or not spec.predicts_final:
        return None
    return _fill(final.text, final.holes, binder)


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


def _shell_kept(before: str, after: str, holes: Sequence[Hole], binder: Binder) -> bool:
    try:
        old = tokenize_shell(before)
        new = tokenize_shell(after)
    except ShellSyntaxError:
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
