"""What the runtime persists, and the tables it lives in.

Store model (docs/design.md): per (skill hash, model, harness) there can be several variants (the
original counts as one), one of them current, at most one canary, a small holdout share served the
original, and an append-only history of switches with their evidence. Variants themselves are
content-addressed and shared by every key that serves them.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from pydantic import BaseModel, Field

from skvm_shim.skills.model import Skill
from skvm_shim.store import Table

ORIGINAL = "original"
"""Variant id that stands for the unmodified skill text."""


def _now_ns() -> int:
    return time.time_ns()


class VariantRecord(BaseModel):
    """A compiled variant of one skill: its full SKILL.md text and where it came from."""

    id: str
    skill_hash: str
    skill_name: str
    text: str
    model: str
    harness: str
    servable: bool = True
    created_ns: int = Field(default_factory=_now_ns)
    provenance: dict[str, Any] = Field(default_factory=dict)
    ilp_groups: int = 0
    env_deps: list[dict[str, Any]] = Field(default_factory=list)


class Switch(BaseModel):
    at_ns: int = Field(default_factory=_now_ns)
    from_id: str | None
    to_id: str | None
    role: Literal["current", "canary"] = "current"
    reason: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class VariantSet(BaseModel):
    """Which variants serve one (skill hash, model, harness)."""

    current: str | None = None
    canary: str | None = None
    canary_share: float = 0.0
    holdout_share: float = 0.0
    history: list[Switch] = Field(default_factory=list)


class SessionRecord(BaseModel):
    """A conversation seen across calls (recognised by its opening and the messages it carried)."""

    id: str
    key: str
    generation: int = 0
    harness: str = "generic"
    started_ns: int = Field(default_factory=_now_ns)
    updated_ns: int = Field(default_factory=_now_ns)
    message_count: int = 0
    tool_results_seen: int = 0
    last_end_ns: int | None = None
    root_span_id: int | None = None
    pinned: dict[str, str] = Field(default_factory=dict)
    """skill hash -> variant id (or ``original``) fixed at the first request carrying the skill."""
    anchor_index: int | None = None
    """Index of a message a request of this conversation carried (the last one, when saved) ..."""
    anchor_digest: str | None = None
    """... and its digest: a continuation carries the same message at the same index."""


class SessionGroup(BaseModel):
    """The conversations that share an opening (the same system text and first user message)."""

    key: str
    next_generation: int = 0
    """Generations are never reused, so two conversations never share an id (a trace)."""
    sessions: list[SessionRecord] = Field(default_factory=list)
    """Most recently used first; a bounded number."""


class CompileRequest(BaseModel):
    skill_hash: str
    skill_name: str | None
    model: str
    harness: str
    requested_ns: int = Field(default_factory=_now_ns)
    count: int = 1


class Event(BaseModel):
    kind: str
    at_ns: int = Field(default_factory=_now_ns)
    data: dict[str, Any] = Field(default_factory=dict)


SKILLS: Table[Skill] = Table("skills", Skill, 1)
VARIANTS: Table[VariantRecord] = Table("variants", VariantRecord, 1)
VARIANT_SETS: Table[VariantSet] = Table("variant_sets", VariantSet, 1)
SESSIONS: Table[SessionGroup] = Table("sessions", SessionGroup, 2)
COMPILE_REQUESTS: Table[CompileRequest] = Table("compile_requests", CompileRequest, 1)
EVENTS: Table[Event] = Table("events", Event, 1)

ALL_TABLES = (SKILLS, VARIANTS, VARIANT_SETS, SESSIONS, COMPILE_REQUESTS, EVENTS)
