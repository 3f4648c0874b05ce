"""Store-level operations behind ``skvm-shim jit``: list, show, reset, disable, enable.

Each write bumps the affected keys' versions, so running shims reload at their next request.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from skvm_shim.jit import guard
from skvm_shim.jit.leaves import parse_arguments, set_leaf
from skvm_shim.jit.records import (
    KEYS,
    OPTOUTS,
    TEMPLATES,
    TRACES,
    CallTemplate,
    Hole,
    KeyVersion,
    OptOut,
    Slot,
    TemplateRecord,
    TemplateSpec,
    Trace,
    optout_key,
)
from skvm_shim.records import SKILLS
from skvm_shim.store import Store, join_key, split_key


@dataclass(frozen=True, slots=True)
class Stored:
    key: str
    record: TemplateRecord

    @property
    def group(self) -> str:
        """The (skill set, harness, tool schema) key the template lives under."""
        return join_key(*split_key(self.key)[:3])


def all_templates(store: Store) -> list[Stored]:
    return [Stored(k, r) for k, r in store.scan(TEMPLATES)]


def find(store: Store, prefix: str) -> list[Stored]:
    return [s for s in all_templates(store) if s.record.id.startswith(prefix)]


def skill_names(store: Store, record: TemplateRecord) -> list[str]:
    """Names of the template's skills: recorded at learning, else looked up by hash."""
    if record.skill_names:
        return record.skill_names
    names = []
    for h in record.loaded or record.skills:
        skill = store.get(SKILLS, h)
        names.append(skill.name if skill is not None else h[:12])
    return names


def matches_skill(store: Store, record: TemplateRecord, skill: str) -> bool:
    hashes = set(record.skills) | set(record.loaded)
    return skill in skill_names(store, record) or any(h.startswith(skill) for h in hashes)


def reset(store: Store, stored: Iterable[Stored]) -> int:
    """Delete templates and their traces; learning starts over for them."""
    items = list(stored)
    if not items:
        return 0
    with store.transaction() as txn:
        for item in items:
            txn.delete(TEMPLATES, item.key)
            txn.delete(TRACES, item.key)
        for group in {i.group for i in items}:
            current = txn.get(KEYS, group)
            txn.put(KEYS, group, KeyVersion(version=(current.version if current else 0) + 1))
    return len(items)


def disable(store: Store, skill: str, *, by_hash: bool, note: str = "") -> str:
    key = optout_key("hash" if by_hash else "name", skill)
    store.put(OPTOUTS, key, OptOut(note=note))
    return key


def enable(store: Store, skill: str) -> list[str]:
    removed = []
    for key in (optout_key("name", skill), optout_key("hash", skill)):
        if store.delete(OPTOUTS, key):
            removed.append(key)
    return removed


def optouts(store: Store) -> list[str]:
    return [k for k, _ in store.scan(OPTOUTS)]


# -- display ------------------------------------------------------------------------------------


def summary(store: Store, stored: Stored) -> dict[str, Any]:
    r = stored.record
    spec = r.promoted or r.spec
    return {
        "id": r.id,
        "skills": skill_names(store, r),
        "harness": r.harness,
        "tool_schema": r.tool_schema,
        "state": r.state,
        "streak": r.streak,
        "hits": r.hits,
        "misses": r.misses,
        "sessions": r.sessions,
        "replays": r.replays,
        "replay_failures": r.replay_failures,
        "failures": r.failures,
        "promotions": r.promotions,
        "demotions": r.demotions,
        "steps": len(spec.steps),
        "total_steps": spec.total_steps,
        "final_replayable": bool(spec.final and spec.final.determined and spec.predicts_final),
        "slots": [s.id for s in spec.slots],
        "updated_ns": r.updated_ns,
    }


def detail(store: Store, stored: Stored) -> dict[str, Any]:
    r = stored.record
    out = summary(store, stored)
    traces = store.get(TRACES, stored.key)
    exemplar = traces.traces[0] if traces is not None and traces.traces else None
    out["structure"] = r.spec.structure
    out["spec"] = describe_spec(r.spec, exemplar)
    out["promoted_spec"] = describe_spec(r.promoted, exemplar) if r.promoted is not None else None
    out["shadow_differs"] = r.promoted is not None and not r.spec.same_prediction(r.promoted)
    out["events"] = [e.model_dump() for e in r.events]
    return out


def describe_spec(spec: TemplateSpec, exemplar: Trace | None = None) -> dict[str, Any]:
    """The spec for people; with the exemplar trace, where each slot's value sits in it."""
    return {
        "traces": spec.traces,
        "stopped": spec.stopped or None,
        "task": guard.describe(spec.task),
        "steps": [
            {
                "calls": [
                    {"tool": c.name, "kind": c.kind, "arguments": placeholders(c)} for c in s.calls
                ],
                "tokens": s.tokens,
                "model_ms": round(s.model_ms, 1),
            }
            for s in spec.steps
        ],
        "final": None
        if spec.final is None
        else {
            "text": _fill_placeholders(spec.final.text, spec.final.holes)
            if spec.final.determined
            else None,
            "replayable": spec.final.determined and spec.predicts_final,
        },
        "slots": [
            {
                "id": s.id,
                "class": s.cls,
                "from": s.extractor.describe(),
                "checked": [w.describe() for w in s.witnesses],
                "binds": binding(s, exemplar) if exemplar is not None else None,
                "leads": s.leads or None,
                "examples": s.examples,
            }
            for s in spec.slots
        ],
    }


_CONTEXT_CHARS = 32


def binding(slot: Slot, trace: Trace) -> dict[str, Any] | None:
    """The token of ``trace`` the slot binds to: its value, its source, and the text around it
    (the token marked ``⟦…⟧``); None when the extractor finds nothing there."""
    ex = slot.extractor
    if ex.source == "task":
        where, text = "the task", trace.task
    elif 0 <= ex.step < len(trace.steps) and 0 <= ex.call < len(trace.steps[ex.step].results):
        where = f"the result of step {ex.step}.{ex.call}"
        text = trace.steps[ex.step].results[ex.call].text
    else:
        return None
    found = ex.find(text)
    if found is None:
        return None
    start, end, value = found
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    left = text[max(line_start, start - _CONTEXT_CHARS) : start]
    right = text[end : min(line_end, end + _CONTEXT_CHARS)]
    context = (
        ("…" if start - len(left) > line_start else "")
        + f"{left}⟦{value}⟧{right}"
        + ("…" if end + len(right) < line_end else "")
    )
    return {"value": value, "in": where, "start": start, "end": end, "context": context}


def placeholders(call: CallTemplate) -> str:
    """The call's arguments with each slot shown as ``{{sN}}`` (never instantiated)."""
    if not call.json_args:
        return _fill_placeholders(call.exemplar, call.holes)
    is_json, value = parse_arguments(call.exemplar)
    if not is_json:
        return call.exemplar
    by_path: dict[tuple[str | int, ...], list[Hole]] = {}
    for hole in call.holes:
        by_path.setdefault(tuple(hole.path), []).append(hole)
    for path, holes in by_path.items():
        leaf: Any = value
        for part in path:
            leaf = leaf[part]
        if holes[0].role == "json_number":
            set_leaf(value, path, "{{" + holes[0].slot + "}}")
        elif isinstance(leaf, str):
            set_leaf(value, path, _fill_placeholders(leaf, holes))
    return json.dumps(value, ensure_ascii=False)


def _fill_placeholders(text: str, holes: Iterable[Hole]) -> str:
    out = text
    for hole in sorted(holes, key=lambda h: h.start, reverse=True):
        out = (
            out[: hole.start]
            + hole.prefix
            + "{{"
            + hole.slot
            + "}}"
            + hole.suffix
            + out[hole.end :]
        )
    return out
