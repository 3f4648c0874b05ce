"""Learning a template from traces of one shape, by anti-unification.

One trace: every token whose value is found as a whole token in the task message (or, for
path-like and numeric values, in an earlier tool result) becomes a slot; everything else stays
constant. Several traces: each argument value is tokenised for its kind and aligned with the
first trace's; tokens equal in all traces stay constant, the differing ones become typed slots.
A slot must be bindable: an extractor learned from the surrounding text must find its value, as
a whole token of its source, in every trace. A value that is the same in every trace stays
constant unless an earlier tool result of every trace holds it (a count copied from output):
found in the task only, nothing tells a copy from a coincidence. A step with a varying value
that is not bindable ends the template there; the model writes the rest. The final answer is
part of the template only when every varying part of it is bindable. The task guard
(``guard.py``) is learned last, from where the task slots' tokens sit in every trace.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from skvm_shim.jit.extract import Extractor, learn_extractor
from skvm_shim.jit.guard import learn_pattern
from skvm_shim.jit.leaves import LeafPath, flatten, leaf_kind, parse_arguments, skeleton
from skvm_shim.jit.records import (
    CallTemplate,
    FinalTemplate,
    Hole,
    Slot,
    StepTemplate,
    TemplateSpec,
    Trace,
)
from skvm_shim.jit.slots import SlotClass, allowed, classify, leads_of
from skvm_shim.jit.tokens import LeafKind, Role, Token, tokenize_leaf

MAX_LEAF_CHARS = 4096
"""Longer argument values are kept whole: constant if equal in every trace, else unpredictable."""
MAX_ALIGN_TOKENS = 512
"""Alignment is quadratic in the worst case; longer varying values are not aligned."""
_MAX_TASK_WORDS = 256
_MAX_SUBWORD_TOKEN = 256
_MAX_GUESSES = 32
"""Slots guessed per value from one trace (a long text is data, not a template)."""
_MAX_WITNESSES = 4

_SINGLE_TOKEN_ROLES = frozenset(
    {"shell_word", "py_string", "py_name", "py_number", "whole", "argv", "json_number"}
)
_SPAN_ROLES = frozenset({"text", "prose", "heredoc"})
_TASK_WORD = re.compile(r"[\w.~/+@%,:=-]*[\w~/+@%=-]")
_COMMON_WORD = re.compile(r"[a-z]{1,4}")


def call_shape(name: str, kind: str, arguments: str) -> tuple[str, str, str]:
    is_json, value = parse_arguments(arguments)
    keys = ",".join(sorted(value)) if is_json else "~"
    return name, kind, keys


def structure(trace: Trace) -> str:
    parts = [
        ";".join("{}:{}({})".format(*call_shape(c.name, c.kind, c.arguments)) for c in step.calls)
        for step in trace.steps
    ]
    return "|".join([*parts, "$"])


@dataclass
class _Draft:
    """A span of the exemplar that varies (or, in a single trace, is found in the task)."""

    step: int
    call: int
    path: LeafPath
    start: int
    end: int
    role: Role
    values: list[str]
    quote: str = ""
    prefix: str = ""
    suffix: str = ""
    guessed: bool = False
    """Found in a single trace only: keep it constant if it turns out not to be bindable."""


@dataclass
class _Bound:
    draft: _Draft
    cores: list[str]
    cls: SlotClass
    extractor: Extractor
    prefix: str = ""
    suffix: str = ""
    witnesses: list[Extractor] = field(default_factory=list)


@dataclass
class _Context:
    traces: Sequence[Trace]
    harness: str
    known: list[list[str]] = field(default_factory=list)
    """Value vectors of the slots found so far (their occurrences in prose become slots too)."""
    found: dict[tuple[object, ...], list[Extractor]] = field(default_factory=dict)
    """Sources already searched for (values, class, step): a value seen many times is looked
    up once."""


class _Unpredictable(Exception):
    """A step (or the final answer) whose varying parts cannot all be bound."""


def learn(traces: Sequence[Trace], harness: str) -> TemplateSpec:
    """The template of ``traces``: one structure, oldest first (the first is the exemplar)."""
    if not traces:
        raise ValueError("learn() needs at least one trace")
    ctx = _Context(traces, harness)
    first = traces[0]
    total = len(first.steps)
    steps: list[StepTemplate] = []
    bound: list[_Bound] = []
    stopped = ""
    for j in range(total):
        try:
            step_bound, calls = _learn_step(ctx, j)
        except _Unpredictable as why:
            stopped = f"step {j}: {why}"
            break
        bound.extend(step_bound)
        ctx.known.extend(b.draft.values for b in step_bound if not b.prefix and not b.suffix)
        steps.append(
            StepTemplate(
                calls=calls,
                tokens=_mean_int([t.steps[j].tokens for t in traces]),
                model_ms=_mean_float([t.steps[j].model_ms for t in traces]),
            )
        )
    final: FinalTemplate | None = None
    if len(steps) == total:
        final_tokens = _mean_int([t.final_tokens for t in traces])
        final_ms = _mean_float([t.final_ms for t in traces])
        try:
            final_bound = _learn_leaf(
                ctx, -1, -1, (), kind="prose", texts=[t.final for t in traces]
            )
        except _Unpredictable:
            final = FinalTemplate(text=first.final, tokens=final_tokens, model_ms=final_ms)
        else:
            bound.extend(final_bound)
            final = FinalTemplate(
                text=first.final, determined=True, tokens=final_tokens, model_ms=final_ms
            )
    ids = _slot_ids(bound)
    for step_index, step in enumerate(steps):
        for call_index, call in enumerate(step.calls):
            call.holes = _holes(
                [b for b in bound if b.draft.step == step_index and b.draft.call == call_index], ids
            )
    if final is not None and final.determined:
        final.holes = _holes([b for b in bound if b.draft.step == -1], ids)
    slots = _slots(bound, ids)
    return TemplateSpec(
        structure=structure(first),
        total_steps=total,
        steps=steps,
        final=final,
        slots=slots,
        task=learn_pattern(traces, slots),
        traces=len(traces),
        stopped=stopped,
    )


# -- steps --------------------------------------------------------------------------------------


def _learn_step(ctx: _Context, j: int) -> tuple[list[_Bound], list[CallTemplate]]:
    first = ctx.traces[0].steps[j]
    bound: list[_Bound] = []
    calls: list[CallTemplate] = []
    for c, call in enumerate(first.calls):
        parsed = [parse_arguments(t.steps[j].calls[c].arguments) for t in ctx.traces]
        if len({is_json for is_json, _ in parsed}) != 1:
            raise _Unpredictable("arguments change between JSON and text")
        is_json, exemplar = parsed[0]
        if not is_json:
            bound += _learn_leaf(ctx, j, c, (), kind="text", texts=[str(v) for _, v in parsed])
            calls.append(
                CallTemplate(
                    name=call.name, kind=call.kind, json_args=False, exemplar=call.arguments
                )
            )
            continue
        if len({skeleton(v) for _, v in parsed}) != 1:
            raise _Unpredictable("the arguments' shape differs between traces")
        leaves = [dict(flatten(v)) for _, v in parsed]
        for path, leaf in flatten(exemplar):
            values = [lv[path] for lv in leaves]
            if isinstance(leaf, str):
                kinds = {leaf_kind(ctx.harness, call.name, call.kind, path, v) for _, v in parsed}
                if len(kinds) != 1:
                    raise _Unpredictable("an argument is read differently between traces")
                bound += _learn_leaf(
                    ctx, j, c, path, kind=kinds.pop(), texts=[str(v) for v in values]
                )
            else:
                bound += _learn_scalar(ctx, j, c, path, values)
        calls.append(
            CallTemplate(
                name=call.name,
                kind=call.kind,
                json_args=True,
                exemplar=json.dumps(exemplar, ensure_ascii=False, separators=(",", ":")),
            )
        )
    return bound, calls


def _learn_scalar(
    ctx: _Context, j: int, c: int, path: LeafPath, values: Sequence[object]
) -> list[_Bound]:
    if all(v == values[0] and type(v) is type(values[0]) for v in values):
        return []
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise _Unpredictable("a non-string argument varies")
    texts = [json.dumps(v) for v in values]
    draft = _Draft(j, c, path, 0, 0, "json_number", texts)
    found = _bind(ctx, draft, j)
    if found is None:
        raise _Unpredictable(f"number at {_path_text(path)} is not found in the task or results")
    return [found]


def _learn_leaf(
    ctx: _Context, j: int, c: int, path: LeafPath, *, kind: LeafKind, texts: list[str]
) -> list[_Bound]:
    if any(len(t) > MAX_LEAF_CHARS for t in texts):
        # Too long to align cheaply (a whole file written out): all or nothing.
        if all(t == texts[0] for t in texts):
            return []
        raise _Unpredictable(f"a value over {MAX_LEAF_CHARS} characters varies")
    tokens = [tokenize_leaf(kind, t) for t in texts]
    if any(len(t) > MAX_ALIGN_TOKENS for t in tokens) and any(t != texts[0] for t in texts):
        raise _Unpredictable(f"a value of over {MAX_ALIGN_TOKENS} tokens varies")
    copies = len(ctx.traces)
    drafts = _known(ctx, j, c, path, texts=texts, tokens=tokens)
    if copies > 1 and any(t != texts[0] for t in texts):
        drafts += [
            d
            for d in _align(j, c, path, texts, tokens)
            if not any(k.start <= d.start and d.end <= k.end for k in drafts)
        ]
    # Constant text that the task or a result also holds is bound rather than frozen: a count
    # copied from tool output must follow the output, not the traces it was learned from.
    drafts += _guess(
        ctx,
        j,
        c,
        path,
        text=texts[0],
        tokens=tokens[0],
        taken=[(d.start, d.end) for d in drafts],
        copies=copies,
    )
    out: list[_Bound] = []
    for draft in drafts:
        found = _bind(ctx, draft, j)
        if found is not None:
            out.append(found)
        elif not draft.guessed:
            where = _path_text(path) if j >= 0 else "the final answer"
            raise _Unpredictable(
                f"{draft.values[0]!r} in {where} varies and is not found in the task or results"
            )
    return out


# -- one trace: guess slots from the task ---------------------------------------------------------


def _guess(
    ctx: _Context,
    j: int,
    c: int,
    path: LeafPath,
    *,
    text: str,
    tokens: list[Token],
    taken: list[tuple[int, int]],
    copies: int,
) -> list[_Draft]:
    """Slots for tokens of the first trace found in the task or an earlier result.

    With several traces this only looks at text that is the same in all of them (``taken``
    holds the varying spans), the value must be found the same way in every trace, and only in
    tool results: a constant that the task also holds stays constant.
    """
    trace = ctx.traces[0]
    from_task = copies == 1
    task_words = sorted(
        {w for w in _TASK_WORD.findall(trace.task) if len(w) >= 3}, key=len, reverse=True
    )[:_MAX_TASK_WORDS]
    drafts: list[_Draft] = []
    for tok in tokens:
        if len(drafts) >= _MAX_GUESSES:
            break
        if tok.value is None or any(s < tok.end and tok.start < e for s, e in taken):
            continue
        value = tok.value
        if not _worth(value, tok.role):
            continue
        if (from_task and value in trace.task) or _in_results(trace, j, value):
            drafts.append(
                _Draft(
                    j,
                    c,
                    path,
                    tok.start,
                    tok.end,
                    tok.role,
                    [value] * copies,
                    quote=tok.quote,
                    guessed=True,
                )
            )
            continue
        if not from_task or tok.role in _SPAN_ROLES or len(value) > _MAX_SUBWORD_TOKEN:
            continue
        for word in task_words:
            at = value.find(word)
            if at < 0 or not _word_bounded(value, at, at + len(word)):
                continue
            drafts.append(
                _Draft(
                    j,
                    c,
                    path,
                    tok.start,
                    tok.end,
                    tok.role,
                    [value] * copies,
                    quote=tok.quote,
                    prefix=value[:at],
                    suffix=value[at + len(word) :],
                    guessed=True,
                )
            )
            break
    return drafts


def _known(
    ctx: _Context, j: int, c: int, path: LeafPath, *, texts: list[str], tokens: list[list[Token]]
) -> list[_Draft]:
    """Values slotted in earlier steps, where text (prose) repeats them: the k-th occurrence in
    every trace, on token boundaries. A name with blanks stays one slot instead of being cut
    into the words that happen to differ."""
    if not tokens[0] or tokens[0][0].role not in _SPAN_ROLES:
        return []
    role = tokens[0][0].role
    drafts: list[_Draft] = []
    taken: list[tuple[int, int]] = []
    bounds = [({t.start for t in toks}, {t.end for t in toks}) for toks in tokens]
    for values in dict.fromkeys(tuple(v) for v in ctx.known):
        if len(values) != len(texts) or any(len(v) < 2 for v in values):
            continue
        if not all(v in text for v, text in zip(values, texts, strict=True)):
            continue
        spans = [_token_spans(b, text, v) for b, text, v in zip(bounds, texts, values, strict=True)]
        for k in range(min(len(found) for found in spans)):
            start, end = spans[0][k]
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            drafts.append(_Draft(j, c, path, start, end, role, list(values), guessed=True))
    return drafts


def _worth(value: str, role: Role) -> bool:
    """Worth guessing as a slot: not blank, not punctuation, not a short common word, and in
    prose not a plain word at all (prose echoes the task's words)."""
    if not value.strip() or not re.search(r"\w", value):
        return False
    if value.isdigit():
        return True
    if role in ("prose", "text") and value.isalpha():
        return False
    return len(value) >= 2 and not _COMMON_WORD.fullmatch(value)


def _in_results(trace: Trace, j: int, value: str) -> bool:
    end = len(trace.steps) if j < 0 else j
    return any(value in r.text for step in trace.steps[:end] for r in step.results)


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not (before and before.isalnum()) and not (after and after.isalnum())


def _token_spans(bounds: tuple[set[int], set[int]], text: str, value: str) -> list[tuple[int, int]]:
    """Spans where ``value`` occurs in ``text`` starting and ending on token boundaries."""
    starts, ends = bounds
    out: list[tuple[int, int]] = []
    at = text.find(value)
    while at >= 0 and len(out) < 8:
        if at in starts and at + len(value) in ends:
            out.append((at, at + len(value)))
        at = text.find(value, at + 1)
    return out


# -- several traces: align ----------------------------------------------------------------------


def _align(
    j: int, c: int, path: LeafPath, texts: list[str], tokens: list[list[Token]]
) -> list[_Draft]:
    base = tokens[0]
    keys0 = [t.key for t in base]
    varying: set[int] = set()
    maps: list[dict[int, int]] = []
    for other in tokens[1:]:
        matcher = difflib.SequenceMatcher(None, keys0, [t.key for t in other], autojunk=False)
        mapping: dict[int, int] = {}
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if tag == "equal":
                for d in range(i2 - i1):
                    mapping[i1 + d] = j1 + d
            elif i1 == i2:
                # An insertion: the exemplar token before it (or after, at the start) absorbs it.
                varying.add(max(i1 - 1, 0) if base else 0)
            else:
                varying.update(range(i1, i2))
        maps.append(mapping)
    if not base:
        raise _Unpredictable("an empty value became non-empty")
    drafts: list[_Draft] = []
    for a, b in _runs(sorted(varying)):
        spans: list[tuple[int, int]] = [(a, b)]
        for mapping, other in zip(maps, tokens[1:], strict=True):
            if (a > 0 and a - 1 not in mapping) or (b < len(base) and b not in mapping):
                raise _Unpredictable("the traces do not align")
            spans.append(
                (mapping[a - 1] + 1 if a > 0 else 0, mapping[b] if b < len(base) else len(other))
            )
        if b - a > 1 and all(e - s == b - a for s, e in spans):
            # Adjacent words that all vary (``grep WORD FILE``): one slot each, word by word.
            for d in range(b - a):
                one = [(s + d, s + d + 1) for s, _ in spans]
                drafts.append(_region(j, c, path, texts=texts, tokens=tokens, spans=one))
            continue
        drafts.append(_region(j, c, path, texts=texts, tokens=tokens, spans=spans))
    return drafts


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i in indices:
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def _region(
    j: int,
    c: int,
    path: LeafPath,
    *,
    texts: list[str],
    tokens: list[list[Token]],
    spans: list[tuple[int, int]],
) -> _Draft:
    roles = {t.role for toks, (s, e) in zip(tokens, spans, strict=True) for t in toks[s:e]}
    if len(roles) != 1:
        raise _Unpredictable("a varying part spans different kinds of text")
    role = roles.pop()
    base = tokens[0]
    a, b = spans[0]
    if role in _SINGLE_TOKEN_ROLES:
        picked = []
        for toks, (s, e) in zip(tokens, spans, strict=True):
            if e - s != 1 or toks[s].value is None:
                raise _Unpredictable(
                    "a varying word is not a plain value (expansion, several words)"
                )
            picked.append(toks[s])
        if len({t.quote for t in picked}) != 1:
            raise _Unpredictable("a varying string literal changes its quotes")
        values = [t.value for t in picked if t.value is not None]
        return _Draft(
            j, c, path, base[a].start, base[b - 1].end, role, values, quote=picked[0].quote
        )
    values = []
    for text, toks, (s, e) in zip(texts, tokens, spans, strict=True):
        values.append(text[toks[s].start : toks[e - 1].end] if e > s else "")
    return _Draft(j, c, path, base[a].start, base[b - 1].end, role, values)


# -- binding ------------------------------------------------------------------------------------


def _bind(ctx: _Context, draft: _Draft, j: int) -> _Bound | None:
    """Find where the draft's values come from: whole, else the part between constant text."""
    if draft.prefix or draft.suffix:
        cut = [v[len(draft.prefix) : len(v) - len(draft.suffix)] for v in draft.values]
        return _bind_core(ctx, draft, j, cut, prefix=draft.prefix, suffix=draft.suffix)
    whole = _bind_core(ctx, draft, j, draft.values, prefix="", suffix="")
    if whole is not None or len(draft.values) < 2:
        return whole
    for prefix, suffix in _cuts(draft.values):
        cores = [v[len(prefix) : len(v) - len(suffix)] for v in draft.values]
        found = _bind_core(ctx, draft, j, cores, prefix=prefix, suffix=suffix)
        if found is not None:
            return found
    return None


_SEPARATORS = frozenset("/._-=:, @+")


def _cuts(values: list[str]) -> list[tuple[str, str]]:
    """Constant (prefix, suffix) pairs around the varying part, cut at separators, longest
    varying part first: ``logs/app-2024-01.log`` vs ``logs/app-2024-03.log`` tries
    ``logs/`` + ``app-2024-01.log`` before ``logs/app-2024-`` + ``01`` + ``.log``."""
    common = _common_prefix(values)
    rest = [v[len(common) :][::-1] for v in values]
    tail = _common_prefix(rest)[::-1]
    shortest = min(len(v) for v in values)
    prefixes = [
        common[:i] for i in range(len(common) + 1) if i == 0 or common[i - 1] in _SEPARATORS
    ]
    prefixes.append(common)
    suffixes = [tail[i:] for i in range(len(tail) + 1) if i == len(tail) or tail[i] in _SEPARATORS]
    suffixes.append(tail)
    pairs = {(p, x) for p in prefixes for x in suffixes if (p or x) and len(p) + len(x) < shortest}
    return sorted(pairs, key=lambda px: (len(px[0]) + len(px[1]), len(px[0])))


def _bind_core(
    ctx: _Context, draft: _Draft, j: int, cores: list[str], *, prefix: str, suffix: str
) -> _Bound | None:
    cls = classify(cores)
    if cls is None or not allowed(draft.role, cls, subword=bool(prefix or suffix)):
        return None
    traces = ctx.traces
    memo = (tuple(cores), cls, j)
    sources = ctx.found.get(memo)
    if sources is None:
        sources = ctx.found[memo] = _sources(traces, j, cores, cls)
    # The same value in every trace is no evidence that the model copied it from the task (the
    # skill may fix it): only a tool result may justify binding it.
    task_ok = len(traces) == 1 or any(core != cores[0] for core in cores)
    results_ok = _result_source_ok(draft, cores, cls)
    primary = next(
        (
            ex
            for ex in sources
            if (ex.source == "task" and task_ok) or (ex.source == "result" and results_ok)
        ),
        None,
    )
    if primary is None:
        return None
    witnesses = [ex for ex in sources if ex is not primary][:_MAX_WITNESSES]
    return _Bound(draft, cores, cls, primary, prefix, suffix, witnesses)


def _sources(traces: Sequence[Trace], j: int, cores: list[str], cls: SlotClass) -> list[Extractor]:
    """Every place the values come from in every trace: the task, then earlier steps' results,
    the latest first. The first one allowed is where the slot binds; the others are witnesses
    that must agree in a new session (a number in the task that a tool also printed in every
    trace: which one the model copied is unknown, so both must say the same)."""
    found = []
    task = learn_extractor(cores, [t.task for t in traces], cls, source="task")
    if task is not None:
        found.append(task)
    last = len(traces[0].steps) if j < 0 else j
    for i in range(last - 1, -1, -1):
        for r in range(len(traces[0].steps[i].results)):
            texts = [
                t.steps[i].results[r].text if r < len(t.steps[i].results) else "" for t in traces
            ]
            ex = learn_extractor(cores, texts, cls, source="result", step=i, call=r)
            if ex is not None:
                found.append(ex)
                if len(found) > _MAX_WITNESSES:
                    return found
    return found


def _common_prefix(values: Sequence[str]) -> str:
    first = min(values, key=len)
    for i, ch in enumerate(first):
        if any(v[i] != ch for v in values):
            return first[:i]
    return first


def _result_source_ok(draft: _Draft, cores: list[str], cls: SlotClass) -> bool:
    """Guessing from one trace, only distinctive values are taken from tool output."""
    if not draft.guessed:
        return True
    value = cores[0]
    if cls == "number":
        return True
    return (
        cls in ("identifier", "path")
        and len(value) >= 3
        and any(ch.isdigit() or ch in "./" for ch in value)
    )


# -- slots --------------------------------------------------------------------------------------


def _slot_ids(bound: list[_Bound]) -> dict[int, str]:
    """One slot per distinct value vector (the same value used twice is one slot)."""
    by_values: dict[tuple[str, ...], str] = {}
    ids: dict[int, str] = {}
    # Numbered by position, not by discovery order, so relearning the same template from more
    # traces gives the same ids.
    for b in sorted(bound, key=_position):
        key = tuple(b.cores)
        if key not in by_values:
            by_values[key] = f"s{len(by_values)}"
        ids[id(b)] = by_values[key]
    return ids


def _position(b: _Bound) -> tuple[int, int, str, int]:
    step = b.draft.step if b.draft.step >= 0 else 1 << 30
    return step, b.draft.call, repr(b.draft.path), b.draft.start


def _holes(bound: list[_Bound], ids: dict[int, str]) -> list[Hole]:
    return [
        Hole(
            path=list(b.draft.path),
            start=b.draft.start,
            end=b.draft.end,
            role=b.draft.role,
            slot=ids[id(b)],
            prefix=b.prefix,
            suffix=b.suffix,
            quote=b.draft.quote,
        )
        for b in sorted(bound, key=_position)
    ]


def _slots(bound: list[_Bound], ids: dict[int, str]) -> list[Slot]:
    out: dict[str, Slot] = {}
    for b in sorted(bound, key=_position):
        sid = ids[id(b)]
        if sid in out:
            # The same value used again (in a later step, the answer): its other sources there
            # are witnesses too.
            slot = out[sid]
            for w in [b.extractor, *b.witnesses]:
                fresh = w != slot.extractor and w not in slot.witnesses
                if fresh and len(slot.witnesses) < _MAX_WITNESSES:
                    slot.witnesses.append(w)
            continue
        examples = list(dict.fromkeys(reversed(b.cores)))[:3]
        out[sid] = Slot(
            id=sid,
            cls=b.cls,
            extractor=b.extractor,
            witnesses=list(b.witnesses),
            leads=leads_of(b.cores),
            examples=examples,
        )
    return list(out.values())


def _path_text(path: LeafPath) -> str:
    return ".".join(str(p) for p in path) or "the arguments"


def _mean_int(values: Sequence[int | None]) -> int:
    got = [v for v in values if v is not None]
    return round(sum(got) / len(got)) if got else 0


def _mean_float(values: Sequence[float | None]) -> float:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else 0.0
