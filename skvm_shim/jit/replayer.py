"""The JIT replayer the pipeline calls: learn from traffic, predict in shadow, replay, verify.

``decide`` runs before every request of a session with a skill: it first verifies the results
of steps it replayed earlier (demoting on failures), then answers with the next step of a
promoted template when the session so far matches it exactly. ``observe`` runs with the model's
real answer: it judges every template's prediction for that step (shadow mode) and, when the
answer ends the trace, learns from the whole trace. Nothing here executes anything: replayed
tool calls go back to the harness, which runs them with its own tools and permissions.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry.trace import Span

from adapters.ir import AssistantTurn, ToolCall, Usage, WireFormat
from skvm_shim.config import JitMode
from skvm_shim.jit.config import JitConfig
from skvm_shim.jit.instantiate import (
    Binder,
    PredictedCall,
    history_matches,
    predict_final,
    predict_step,
    same_calls,
    same_shape,
    same_text,
)
from skvm_shim.jit.optout import OptOuts
from skvm_shim.jit.records import Hole, JitSession, TemplateEvent, TemplateRecord, TemplateSpec
from skvm_shim.jit.repository import Repository, TemplateKey
from skvm_shim.jit.state import on_hit, on_miss, on_promoted_miss, on_replay, on_replay_result
from skvm_shim.jit.trace import SessionView, trace_of, view_of
from skvm_shim.jit.writer import BackgroundWriter
from skvm_shim.pipeline import ReplayDecision, ReplayDeclined, ReplayQuery
from skvm_shim.skills.model import Skill
from skvm_shim.store import Store, StoreUnavailable
from skvm_shim.telemetry import semconv
from skvm_shim.telemetry.tool_outcome import tool_failed

log = logging.getLogger("skvm_shim.jit")

MARK = "skvmj"
_MAX_SAVED = 4096
_MARKED = re.compile(MARK + r"([0-9a-f]{8})s(\d+)x[0-9a-f]{8}$")

ATTR_REPLAYED = semconv.JIT_REPLAYED
ATTR_TEMPLATE = semconv.JIT_TEMPLATE_ID
ATTR_STEP = semconv.JIT_STEP
ATTR_LATENCY = semconv.JIT_LATENCY
ATTR_TOKENS_SAVED = semconv.JIT_TOKENS_SAVED
ATTR_MODEL_MS = semconv.JIT_MODEL_LATENCY
ATTR_FINAL = semconv.JIT_FINAL
ATTR_SLOT = semconv.JIT_SLOT_PREFIX
EVENT_PREFIX = semconv.JIT_EVENT_PREFIX
_MAX_SLOT_ATTR = 1024

Verdict = Literal["hit", "miss", "diverged", "pending"]

MAX_STEPS = 64
"""Longer sessions are not learned (they are not the repeated skill tasks this is for)."""
MAX_ARGUMENT_CHARS = 65_536
"""Sessions with a larger tool call (a big file written out) are not learned."""


@dataclass(frozen=True, slots=True)
class _Candidate:
    record: TemplateRecord
    spec: TemplateSpec
    calls: list[PredictedCall] | None
    text: str | None
    slots: dict[str, str]
    """The values of the slots this step uses (for its span)."""


class JitReplayer:
    """The :class:`~skvm_shim.pipeline.Replayer` that solidifies tool-call templates."""

    def __init__(
        self,
        store: Store,
        *,
        mode: JitMode = "on",
        config: JitConfig | None = None,
        skills: Callable[[str], Skill | None] = lambda _h: None,
    ) -> None:
        if mode == "off":
            raise ValueError("an off JIT has no replayer; pass replayer=None instead")
        self.mode = mode
        self.config = config or JitConfig()
        self.repo = Repository(store, self.config)
        self.optouts = OptOuts(store, skills)
        self.writer = BackgroundWriter()
        self._skills = skills
        self._lock = threading.Lock()
        self._saved: dict[str, tuple[object, ...]] = {}
        try:
            self.repo.prepare()
        except StoreUnavailable as exc:
            log.warning("skvm-shim: JIT store unavailable (%s); solidification inactive", exc)

    # -- decide ---------------------------------------------------------------------------------

    def decide(self, query: ReplayQuery) -> ReplayDecision | ReplayDeclined:
        try:
            return self._decide(query)
        except StoreUnavailable:
            # No state, no replay (other faults are the pipeline's to record).
            return ReplayDeclined("the JIT store is unavailable")

    def _decide(self, query: ReplayQuery) -> ReplayDecision | ReplayDeclined:
        memory = self._memory(query)
        if memory is None:
            return ReplayDeclined("no skill in this session")
        key = TemplateKey(tuple(memory.skills), query.harness, query.tool_schema_hash)
        view = view_of(query.request, query.harness)
        changed = False
        if self.mode == "on":
            changed = self._verify(query, memory, key, view)
        # The declines' reasons are constants or read what _replay already loaded: the -v log.
        decision: ReplayDecision | ReplayDeclined
        if self.mode != "on":
            decision = ReplayDeclined("JIT in shadow mode: it learns and verifies, never replays")
        elif not view.ready:
            decision = ReplayDeclined("the session is not at a step (no task, or a result missing)")
        elif view.any_failed():
            decision = ReplayDeclined("a tool call in this session failed")
        else:
            decision = self._replay(query, memory, key, view)
        if changed:
            self._save(query, memory)
        return decision

    def _replay(
        self, query: ReplayQuery, memory: JitSession, key: TemplateKey, view: SessionView
    ) -> ReplayDecision | ReplayDeclined:
        if self.optouts.any_off(memory.loaded):
            return ReplayDeclined("solidification is disabled for a skill of this session")
        offered = {t.name for t in query.request.tools}
        candidates: list[_Candidate] = []
        records = self.repo.templates(key)
        for record in records:
            spec = record.promoted
            if spec is None or self.optouts.any_off(record.loaded, record.skill_names):
                continue
            binder = Binder(spec, view)
            if not history_matches(spec, view, binder, key.harness):
                continue
            k = view.at_step
            if k < len(spec.steps):
                calls = predict_step(spec, k, binder, key.harness)
                if calls is None or any(
                    c.kind == "function" and c.name not in offered for c in calls
                ):
                    continue
                holes = [h for c in spec.steps[k].calls for h in c.holes]
                candidates.append(_Candidate(record, spec, calls, None, _used(holes, binder)))
            elif spec.predicts_final and k == spec.total_steps and k > 0:
                text = predict_final(spec, binder)
                if text is not None and spec.final is not None:
                    used = _used(spec.final.holes, binder)
                    candidates.append(_Candidate(record, spec, None, text, used))
        if not candidates:
            return ReplayDeclined(_no_candidate(records, self.config.promote_after))
        answers = {_answer_key(c) for c in candidates}
        if len(answers) > 1:
            return ReplayDeclined("promoted templates disagree")  # exact or absent
        chosen = max(candidates, key=lambda c: (c.record.hits, c.record.id))
        return self._render(query, key, view, chosen)

    def _render(
        self, query: ReplayQuery, key: TemplateKey, view: SessionView, chosen: _Candidate
    ) -> ReplayDecision:
        k = view.at_step
        record, spec = chosen.record, chosen.spec
        prefix = "toolu_" if query.request.format is WireFormat.ANTHROPIC_MESSAGES else "call_"
        if chosen.calls is not None:
            calls = tuple(
                ToolCall(
                    id=f"{prefix}{MARK}{record.id[:8]}s{k}x{secrets.token_hex(4)}",
                    name=c.name,
                    arguments=c.arguments,
                    kind=c.kind,  # type: ignore[arg-type]
                )
                for c in chosen.calls
            )
            turn = AssistantTurn(tool_calls=calls, finish_reason="tool_calls", usage=Usage(0, 0))
            step = spec.steps[k]
            tokens, model_ms = step.tokens, step.model_ms
        else:
            turn = AssistantTurn(text=chosen.text or "", finish_reason="stop", usage=Usage(0, 0))
            final = spec.final
            tokens = final.tokens if final is not None else 0
            model_ms = final.model_ms if final is not None else 0.0
            self._count_final(query, key, record.id)
        latency_ms = (time.time_ns() - query.start_ns) / 1e6 if query.start_ns else 0.0
        attributes: dict[str, Any] = {
            ATTR_REPLAYED: True,
            ATTR_TEMPLATE: record.id,
            ATTR_STEP: k,
            ATTR_FINAL: chosen.calls is None,
            ATTR_LATENCY: round(latency_ms, 3),
            ATTR_TOKENS_SAVED: tokens,
            ATTR_MODEL_MS: round(model_ms, 3),
        }
        for slot_id, value in chosen.slots.items():
            attributes[ATTR_SLOT + slot_id] = value[:_MAX_SLOT_ATTR]
        return ReplayDecision(turn, attributes)

    def _count_final(self, query: ReplayQuery, key: TemplateKey, tid: str) -> None:
        def count(record: TemplateRecord) -> TemplateEvent | None:
            on_replay(record)
            return None

        self.writer.submit(lambda: self.repo.modify(key, tid, count))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued state writes (replay counts) are in the store."""
        return self.writer.flush(timeout)

    def _verify(
        self, query: ReplayQuery, memory: JitSession, key: TemplateKey, view: SessionView
    ) -> bool:
        """Count the results of replayed steps that came back since the last request."""
        seen = set(memory.verified)
        outcomes: dict[tuple[str, int], bool] = {}
        fresh: list[str] = []
        for step in view.steps:
            for call, result in zip(step.calls, step.results, strict=True):
                m = _MARKED.search(call.id)
                if m is None or result is None or call.id in seen:
                    continue
                fresh.append(call.id)
                group = (m.group(1), int(m.group(2)))
                failed = tool_failed(
                    result.text,
                    result.is_error,
                    tool=call.name,
                    harness=query.harness,
                    fmt=query.request.format,
                )
                outcomes[group] = outcomes.get(group, False) or failed
        if not fresh:
            return False
        memory.verified.extend(fresh)
        records = {r.id[:8]: r.id for r in self.repo.templates(key)}
        for (short, _step), failed in outcomes.items():
            tid = records.get(short)
            if tid is None:
                continue

            def apply(record: TemplateRecord, failed: bool = failed) -> TemplateEvent | None:
                on_replay(record)
                return on_replay_result(
                    record,
                    failed=failed,
                    demote_after=self.config.demote_after,
                    session=query.session.id,
                )

            events: list[TemplateEvent | None] = []
            job = functools.partial(_modify_into, self.repo, key, tid, apply, events)
            # A success is only counted (later); a failure may demote, so it is waited for.
            self.writer.submit(job, wait=failed)
            if failed and events:
                _report(query.span, tid, events[0])
        return True

    # -- observe --------------------------------------------------------------------------------

    def observe(self, query: ReplayQuery, turn: AssistantTurn) -> None:
        with contextlib.suppress(StoreUnavailable):
            self._observe(query, turn)

    def _observe(self, query: ReplayQuery, turn: AssistantTurn) -> None:
        memory = self._memory(query)
        if memory is None:
            return
        view = view_of(query.request, query.harness)
        if not view.ready:
            return
        key = TemplateKey(tuple(memory.skills), query.harness, query.tool_schema_hash)
        k = view.at_step
        tokens = _tokens(turn.usage)
        model_ms = (time.time_ns() - query.start_ns) / 1e6 if query.start_ns else None
        memory.meta[str(k)] = (tokens, model_ms)
        if not self.optouts.any_off(memory.loaded):
            self._judge_all(query, memory, key, view, turn)
            if not turn.tool_calls and self._learnable(memory, view):
                self._learn(query, memory, key, view, turn)
        self._save(query, memory)

    def _judge_all(
        self,
        query: ReplayQuery,
        memory: JitSession,
        key: TemplateKey,
        view: SessionView,
        turn: AssistantTurn,
    ) -> None:
        session = query.session.id
        for record in self.repo.templates(key):
            promoted = record.promoted
            if promoted is not None and not promoted.same_prediction(record.spec):
                # What replays is judged too: a wrong prediction of it demotes it.
                mark = record.id + ":promoted"
                if mark not in memory.judged:
                    verdict, detail = _judge(promoted, view, turn, key.harness)
                    if verdict != "pending":
                        memory.judged[mark] = verdict
                    if verdict == "miss":
                        event = self.repo.modify(key, record.id, _demoted(session, detail))
                        _report(query.span, record.id, event)
            if record.id in memory.judged:
                continue
            verdict, detail = _judge(record.spec, view, turn, key.harness)
            if verdict == "pending":
                continue
            memory.judged[record.id] = verdict
            if verdict == "hit":
                event = self.repo.modify(
                    key,
                    record.id,
                    lambda r: on_hit(r, promote_after=self.config.promote_after, session=session),
                )
            elif verdict == "miss":
                event = self.repo.modify(key, record.id, _missed(session, detail))
                if promoted is not None and promoted.same_prediction(record.spec):
                    _report(query.span, record.id, event)
                    event = self.repo.modify(key, record.id, _demoted(session, detail))
            else:
                continue
            _report(query.span, record.id, event)

    def _learnable(self, memory: JitSession, view: SessionView) -> bool:
        return (
            not memory.learned
            and bool(memory.loaded)
            and 1 <= view.at_step <= MAX_STEPS
            and not view.any_failed()
            and all(len(c.arguments) <= MAX_ARGUMENT_CHARS for s in view.steps for c in s.calls)
        )

    def _learn(
        self,
        query: ReplayQuery,
        memory: JitSession,
        key: TemplateKey,
        view: SessionView,
        turn: AssistantTurn,
    ) -> None:
        trace = trace_of(
            view,
            session=query.session.id,
            final=turn.text,
            meta=memory.meta,
            model=turn.model or query.request.model,
        )
        names = loaded_names(memory.loaded, self._skills)
        tid, event = self.repo.learn(key, trace, loaded=list(memory.loaded), names=names)
        memory.learned = True
        _report(query.span, tid, event)

    # -- sessions -------------------------------------------------------------------------------

    def _memory(self, query: ReplayQuery) -> JitSession | None:
        """The session's JIT memory, fixing its skill set at the first request that has one."""
        if not query.skills and not query.loaded:
            return None
        memory = self.repo.session(query.session.id)
        with self._lock:
            if not memory.skills:
                memory.skills = sorted(set(query.skills) | set(query.loaded))
            fresh = set(query.loaded) - set(memory.loaded)
            if fresh:
                memory.loaded = sorted(set(memory.loaded) | fresh)
        return memory

    def _save(self, query: ReplayQuery, memory: JitSession) -> None:
        """Write the session's memory behind, when it changed since it was last written.

        A retried or repeated call changes nothing worth a store write (the step's token and time
        figures are overwritten in place); every new step, verdict or replayed result does.
        """
        signature = (
            len(memory.skills),
            len(memory.loaded),
            len(memory.judged),
            len(memory.verified),
            memory.learned,
            tuple(sorted(memory.meta)),
        )
        with self._lock:
            if self._saved.get(query.session.id) == signature:
                return
            self._saved[query.session.id] = signature
            while len(self._saved) > _MAX_SAVED:
                self._saved.pop(next(iter(self._saved)))
        memory.updated_ns = time.time_ns()
        with contextlib.suppress(StoreUnavailable):
            self.repo.save_session(query.session.id, memory)


def _judge(
    spec: TemplateSpec, view: SessionView, turn: AssistantTurn, harness: str
) -> tuple[Verdict, str]:
    """This template's verdict on the model's answer at the session's current step."""
    k = view.at_step
    binder = Binder(spec, view)
    predicts_step = k < len(spec.steps)
    predicts_final = spec.predicts_final and k == spec.total_steps
    if not (predicts_step or predicts_final):
        return "pending", ""
    if not history_matches(spec, view, binder, harness):
        return "pending", ""
    if predicts_step:
        predicted = predict_step(spec, k, binder, harness)
        if predicted is None:
            return "pending", ""
        if not turn.tool_calls or not same_shape(predicted, turn.tool_calls):
            return "diverged", ""
        if not same_calls(harness, predicted, turn.tool_calls):
            return "miss", f"step {k}"
        last = k == len(spec.steps) - 1 and not spec.predicts_final
        return ("hit", "") if last else ("pending", "")
    if turn.tool_calls:
        return "diverged", ""
    if spec.final is not None and spec.final.determined:
        text = predict_final(spec, binder)
        if text is None:
            return "pending", ""
        if not same_text(text, turn.text):
            return "miss", "final answer"
    return "hit", ""


def _missed(session: str, detail: str) -> Callable[[TemplateRecord], TemplateEvent | None]:
    def apply(record: TemplateRecord) -> TemplateEvent | None:
        return on_miss(record, session=session, detail=detail)

    return apply


def _modify_into(
    repo: Repository,
    key: TemplateKey,
    tid: str,
    fn: Callable[[TemplateRecord], TemplateEvent | None],
    events: list[TemplateEvent | None],
) -> None:
    events.append(repo.modify(key, tid, fn))


def _demoted(session: str, detail: str) -> Callable[[TemplateRecord], TemplateEvent | None]:
    def apply(record: TemplateRecord) -> TemplateEvent | None:
        return on_promoted_miss(record, session=session, detail=detail)

    return apply


def _no_candidate(records: tuple[TemplateRecord, ...], promote_after: int) -> str:
    """Why no template answers: none learned, none promoted (the best shadow streak), or the
    promoted ones do not fit this session (another path, step or offered tools)."""
    if not records:
        return "no template learned for this skill set yet"
    if any(r.promoted is not None for r in records):
        return "the promoted template does not fit this point of the session"
    best = max(r.streak for r in records)
    return f"no promoted template; best in shadow {best}/{promote_after}"


def _used(holes: Iterable[Hole], binder: Binder) -> dict[str, str]:
    out: dict[str, str] = {}
    for hole in holes:
        value = binder.value(hole.slot)
        if value is not None:
            out[hole.slot] = value
    return dict(sorted(out.items()))


def _answer_key(candidate: _Candidate) -> object:
    if candidate.calls is not None:
        return tuple((c.name, c.kind, c.arguments) for c in candidate.calls)
    return candidate.text


def _tokens(usage: Usage | None) -> int | None:
    if usage is None or (usage.input_tokens is None and usage.output_tokens is None):
        return None
    return (usage.input_tokens or 0) + (usage.output_tokens or 0)


def _report(span: Span | None, tid: str, event: TemplateEvent | None) -> None:
    if span is None or event is None:
        return
    attributes: dict[str, Any] = {ATTR_TEMPLATE: tid}
    if event.detail:
        attributes[semconv.JIT_DETAIL] = event.detail
    try:
        span.add_event(EVENT_PREFIX + event.kind, attributes)
    except Exception:
        log.debug("span event not recorded", exc_info=True)


def loaded_names(skills: Iterable[str], lookup: Callable[[str], Skill | None]) -> list[str]:
    return [s.name for s in (lookup(h) for h in skills) if s is not None]
