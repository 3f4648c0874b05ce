"""The demo's summary (``skvm-shim demo --json FILE``): what ran, what the shim did, what held.

Every figure is counted from what the harness saw (responses marked synthetic by the shim, the
usage the model reported, the demo's own grading) and from the shim's store; none is set by hand.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

BackendKind = Literal["local-model", "scripted"]
VariantSource = Literal["compiled", "none"]


class SkillInfo(BaseModel):
    name: str
    hash: str
    detected: bool = False
    """The shim found the skill's text in a request (it was loaded, not just listed)."""
    detected_calls: int = 0


class GapInfo(BaseModel):
    primitive: str
    needs: str
    has: str


class VariantInfo(BaseModel):
    """What the compiler made of the skill for the model, and whether the model received it."""

    id: str | None
    source: VariantSource
    status: str
    """``published``, or why nothing was (``unchanged``, ``no-profile``...)."""
    reason: str
    profile: str | None = None
    gaps: list[GapInfo] = Field(default_factory=list)
    diff: list[str] = Field(default_factory=list)
    served: bool = False
    """A request reached the model (or the replayer) with the variant in place of the skill."""
    served_calls: int = 0


class RoundSummary(BaseModel):
    round: int | str
    """The round's number; in the second act ``teach`` and ``inherit``."""
    who: str
    """Who answered the model steps: the local model, the scripted backend or the stand-in."""
    tasks: int
    model_calls: int
    replayed_steps: int
    tokens: int
    """Input + output tokens the model reported for its calls (replayed steps send none)."""
    wall_s: float
    time_saved_s: float = 0.0
    """For replayed steps: what the model took at that step before, minus the replay's time."""
    completed: int
    """Sessions that ended with an answer within the step limit."""
    correct: int
    """Answers the demo's checker graded correct (the right count, the input file unchanged)."""


class TemplateInfo(BaseModel):
    id: str
    state: str
    sessions: int
    hits: int
    misses: int
    streak: int
    replays: int
    steps: int
    final_replayable: bool


class Rate(BaseModel):
    correct: int
    completed: int
    tasks: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float:
        return round(self.correct / self.tasks, 3) if self.tasks else 0.0


class Transfer(BaseModel):
    """The second act: the local model without, then with, templates a stand-in taught."""

    before: Rate
    """The local model alone: the first act's sessions in which nothing was replayed."""
    after: Rate
    replayed_steps: int
    model_calls: int
    teacher_sessions: int
    promoted: bool
    teacher_round: RoundSummary
    """The stand-in's sessions (never the local model's)."""
    student_round: RoundSummary


class DemoSummary(BaseModel):
    backend: BackendKind
    backend_note: str
    model: str
    machine: str
    skill: SkillInfo
    variant: VariantInfo
    rounds: list[RoundSummary]
    completion: Rate
    """The first act's sessions answered by the model alone (nothing replayed)."""
    promote_after: int
    templates: list[TemplateInfo]
    promotions: int
    learning_note: str
    """Why templates did or did not promote, in words."""
    teacher: str | None = None
    transfer: Transfer | None = None
    second_act_note: str = ""
    spans: dict[str, int] = Field(default_factory=dict)
    """LLM-call spans the shim emitted, and how many were synthetic (answered by the shim)."""
