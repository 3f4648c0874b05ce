"""What solidification persists: traces, templates with their state, sessions, opt-outs.

Templates are keyed by (skill set, harness, tool-schema hash, template id) and deliberately not
by model (docs/design.md): what one model taught replays for another. Editing a skill changes its
hash and changing the tools changes the schema hash, so either starts over under a new key.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from skvm_shim.jit.extract import Extractor
from skvm_shim.jit.slots import SlotClass
from skvm_shim.store import Table, content_hash, join_key

Role = str
"""A :data:`skvm_shim.jit.tokens.Role` (kept as ``str`` in records for forward compatibility)."""


def _now_ns() -> int:
    return time.time_ns()


# -- traces -------------------------------------------------------------------------------------


class TraceCall(BaseModel):
    name: str
    kind: str = "function"
    arguments: str


class TraceResult(BaseModel):
    text: str
    """The head of the result text (see ``RESULT_CHARS``): what extractors are learned on."""
    failed: bool = False


class TraceStep(BaseModel):
    calls: list[TraceCall]
    results: list[TraceResult]
    tokens: int | None = None
    """The model's input + output tokens for this step, when the API reported them."""
    model_ms: float | None = None


class Trace(BaseModel):
    """One session of a skill task: the task message, each tool-call step, the final answer."""

    session: str
    task: str
    steps: list[TraceStep]
    final: str
    final_tokens: int | None = None
    final_ms: float | None = None
    model: str | None = None
    at_ns: int = Field(default_factory=_now_ns)


class TraceSet(BaseModel):
    traces: list[Trace] = Field(default_factory=list)


# -- templates ----------------------------------------------------------------------------------


class Hole(BaseModel):
    """A span of the exemplar text that a slot's value replaces."""

    path: list[str | int] = Field(default_factory=list)
    """JSON path of the argument leaf (empty: the whole free-form arguments or final text)."""
    start: int
    end: int
    role: Role
    slot: str
    prefix: str = ""
    suffix: str = ""
    quote: str = ""


class CallTemplate(BaseModel):
    name: str
    kind: str = "function"
    json_args: bool = True
    exemplar: str
    """The arguments as the model wrote them in the template's first trace (compact JSON)."""
    holes: list[Hole] = Field(default_factory=list)


class StepTemplate(BaseModel):
    calls: list[CallTemplate]
    tokens: int = 0
    model_ms: float = 0.0


class FinalTemplate(BaseModel):
    text: str
    holes: list[Hole] = Field(default_factory=list)
    determined: bool = False
    """True when the whole answer follows from bound slots; only then is it replayed."""
    tokens: int = 0
    model_ms: float = 0.0


class Slot(BaseModel):
    id: str
    cls: SlotClass
    extractor: Extractor
    witnesses: list[Extractor] = Field(default_factory=list)
    """Other sources that held the same value in every trace: where one finds a value in a
    session (the task, or a result already there), it must be the same value."""
    leads: str = ""
    examples: list[str] = Field(default_factory=list)


FIXED_TEXT_CHARS = 512
"""Longer fixed task text is kept as a hash and its length (records are cached per process)."""


class FixedText(BaseModel):
    """Task text that must be there exactly: the text itself, or its hash when long."""

    text: str = ""
    digest: str = ""
    size: int = 0

    @classmethod
    def of(cls, text: str) -> FixedText:
        if len(text) <= FIXED_TEXT_CHARS:
            return cls(text=text, size=len(text))
        return cls(digest=content_hash(text), size=len(text))

    def equals(self, text: str) -> bool:
        if len(text) != self.size:
            return False
        return text == self.text if not self.digest else content_hash(text) == self.digest

    def show(self) -> str:
        return self.text if not self.digest else f"<{self.size} characters>"


class TaskPiece(BaseModel):
    """The task text between two slot tokens (or before the first, after the last).

    Fixed when it was the same in every trace; otherwise ``head`` and ``tail`` (what the traces
    had in common at its ends) with anything in between (``varies``).
    """

    head: FixedText
    tail: FixedText = Field(default_factory=FixedText)
    varies: bool = False

    def matches(self, text: str) -> bool:
        if not self.varies:
            return self.head.equals(text)
        if len(text) < self.head.size + self.tail.size:
            return False
        return self.head.equals(text[: self.head.size]) and self.tail.equals(
            text[len(text) - self.tail.size :]
        )


class TaskPattern(BaseModel):
    """What the task message must look like for the template to apply at all.

    The task is cut at the tokens its task slots bind to (``regions``: the slot ids in each,
    in order of position) and every piece around them must match (``pieces``, one more than
    regions). A task phrased in any other way (another word, a plural, another sentence order,
    an extra sentence, another language) does not match, and the model answers.
    """

    regions: list[list[str]] = Field(default_factory=list)
    pieces: list[TaskPiece] = Field(default_factory=list)


class TemplateSpec(BaseModel):
    """A learned template: the predictable prefix of the steps, the final answer if predictable."""

    structure: str
    total_steps: int
    steps: list[StepTemplate]
    final: FinalTemplate | None = None
    slots: list[Slot] = Field(default_factory=list)
    task: TaskPattern | None = None
    """The task guard; None when no consistent one could be learned (the template never
    applies)."""
    traces: int = 1
    stopped: str = ""
    """Why the template ends before the trace does (empty when it covers the whole trace)."""

    def slot(self, slot_id: str) -> Slot | None:
        return next((s for s in self.slots if s.id == slot_id), None)

    @property
    def predicts_final(self) -> bool:
        return self.final is not None and len(self.steps) == self.total_steps

    def same_prediction(self, other: TemplateSpec | None) -> bool:
        """Do both predict the same calls from the same sources (ignoring examples/counters)?"""
        return other is not None and _prediction(self) == _prediction(other)


def _prediction(spec: TemplateSpec) -> Any:
    data = spec.model_dump(exclude={"traces", "stopped"})
    for slot in data["slots"]:
        slot.pop("examples", None)
    for step in data["steps"]:
        step.pop("tokens", None)
        step.pop("model_ms", None)
    if data["final"] is not None:
        data["final"].pop("tokens", None)
        data["final"].pop("model_ms", None)
    return data


State = Literal["shadow", "promoted"]


class TemplateEvent(BaseModel):
    kind: str
    at_ns: int = Field(default_factory=_now_ns)
    session: str | None = None
    detail: str = ""


class TemplateRecord(BaseModel):
    """A template and its state machine.

    ``spec`` is the latest learned template, shadow-verified against the model (``streak``
    consecutive exact sessions). ``promoted`` is the spec that replays: the latest spec once it
    reached the promotion threshold, cleared again by ``failures`` consecutive failed replays.
    """

    id: str
    skills: list[str]
    harness: str
    tool_schema: str
    loaded: list[str] = Field(default_factory=list)
    """Skills whose text the traced sessions loaded (hashes); opt-outs apply to these."""
    skill_names: list[str] = Field(default_factory=list)
    spec: TemplateSpec
    promoted: TemplateSpec | None = None
    streak: int = 0
    failures: int = 0
    sessions: int = 0
    hits: int = 0
    misses: int = 0
    replays: int = 0
    replay_failures: int = 0
    promotions: int = 0
    demotions: int = 0
    created_ns: int = Field(default_factory=_now_ns)
    updated_ns: int = Field(default_factory=_now_ns)
    events: list[TemplateEvent] = Field(default_factory=list)

    @property
    def state(self) -> State:
        return "promoted" if self.promoted is not None else "shadow"


class KeyVersion(BaseModel):
    """Bumped on every template write under a key, so readers know when to reload."""

    version: int = 0


class JitSession(BaseModel):
    """Per-session memory that the conversation itself does not carry."""

    skills: list[str] = Field(default_factory=list)
    """The skill set fixed at the session's first request that had one (the template key)."""
    loaded: list[str] = Field(default_factory=list)
    judged: dict[str, str] = Field(default_factory=dict)
    """template id -> hit | miss | diverged (each template is judged once per session)."""
    verified: list[str] = Field(default_factory=list)
    """Replayed call ids whose results were already counted."""
    meta: dict[str, tuple[int | None, float | None]] = Field(default_factory=dict)
    """step index -> (tokens, model ms) of the model's answer at that step."""
    learned: bool = False
    updated_ns: int = Field(default_factory=_now_ns)


class OptOut(BaseModel):
    """``skvm-shim jit disable``: no learning or replay for this skill (by name or hash)."""

    at_ns: int = Field(default_factory=_now_ns)
    note: str = ""


TEMPLATES: Table[TemplateRecord] = Table("jit_templates", TemplateRecord, 2)
"""Version 2: whole-token binding and the task guard; version-1 templates read as missing and
are learned again from their stored traces."""
TRACES: Table[TraceSet] = Table("jit_traces", TraceSet, 1)
KEYS: Table[KeyVersion] = Table("jit_keys", KeyVersion, 1)
SESSIONS: Table[JitSession] = Table("jit_sessions", JitSession, 1)
OPTOUTS: Table[OptOut] = Table("jit_optouts", OptOut, 1)

JIT_TABLES = (TEMPLATES, TRACES, KEYS, SESSIONS, OPTOUTS)


def skill_set_id(skills: list[str] | tuple[str, ...]) -> str:
    """One key part for a set of skills: the hashes themselves when few, else their hash."""
    ordered = sorted(set(skills))
    joined = "+".join(ordered)
    return joined if len(ordered) <= 3 else "set-" + content_hash(joined)


def template_key(skills: list[str] | tuple[str, ...], harness: str, schema: str) -> str:
    return join_key(skill_set_id(skills), harness, schema)


def template_id(key: str, structure: str) -> str:
    return content_hash(key + "\x00" + structure)[:16]


def optout_key(kind: Literal["name", "hash"], value: str) -> str:
    return f"{kind}:{value}"
