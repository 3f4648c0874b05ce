"""Pass 1's rewriter: turn chosen transforms into at most ``MAX_EDITS`` local edits.

Order of preference: gaps the model lacks entirely, then larger gaps, then gaps whose evidence is
structural (a code block, a template, a procedure) rather than a phrase, then earlier text. One
edit per primitive and per line. A transform whose renderer has nothing concrete to say about any
of its evidence is reported as skipped, never papered over with a generic note.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from compiler.compensations import COMPENSATIONS, SUBSTITUTIONS, RenderContext, Renderer
from compiler.edits import Edit, Placement, apply_edits, place_sentence
from compiler.gaps import Gap, Transform
from compiler.harness import HarnessFacts
from compiler.levels import Level
from compiler.scr import SCR, Evidence
from compiler.skill import SkillSource
from compiler.tcp import TCP

MAX_EDITS = 3

_STRUCTURAL = (
    "python.",
    "shell.",
    "sql.",
    "js.",
    "html.",
    "structured.",
    "template.",
    "steps.",
    "bundle.",
    "tree.",
    "regex.",
    "format.",
    "size.",
    "arith.weights",
    "web.query",
    "constraints.",
)


class SkippedTransform(BaseModel):
    model_config = ConfigDict(frozen=True)

    gap_id: str
    reason: str


class RewriteResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    edits: tuple[Edit, ...] = ()
    skipped: tuple[SkippedTransform, ...] = ()
    rewriter: str = "rules"


class Rewriter(Protocol):
    """Pass-1 rewriter interface (rule-based and LLM-backed)."""

    name: str

    def rewrite(
        self,
        skill: SkillSource,
        *,
        scr: SCR,
        gaps: tuple[Gap, ...],
        transforms: list[Transform],
        tcp: TCP,
        harness: HarnessFacts,
    ) -> RewriteResult: ...


def evidence_strength(ev: Evidence) -> int:
    return 1 if ev.rule.startswith(_STRUCTURAL) else 0


def rank_transforms(transforms: list[Transform], gaps: dict[str, Gap]) -> list[Transform]:
    def key(t: Transform) -> tuple[int, int, int, int, str]:
        gap = gaps[t.gap_id]
        strongest = max((evidence_strength(e) for e in gap.evidence), default=0)
        first = min((e.span.start_line for e in gap.evidence), default=0)
        return (gap.model is not Level.L0, -gap.distance, -strongest, first, t.gap_id)

    return sorted((t for t in transforms if t.kind != "flag"), key=key)


def rationale(t: Transform, gap: Gap, ev: Evidence) -> str:
    how = (
        f"lower {t.required}->{t.target}: {t.guidance}"
        if t.kind == "compensate"
        else f"substitute {t.alternative.id if t.alternative else '?'}: {t.guidance}"
    )
    return (
        f"purpose {gap.purpose_id}; {t.primitive} needs {t.required}, model has {t.model}; "
        f"span lines {ev.span.start_line}-{ev.span.end_line} ({ev.rule}); {how}"
    )


class RuleRewriter:
    name = "rules"

    def __init__(self, max_edits: int = MAX_EDITS) -> None:
        self.max_edits = max_edits

    def rewrite(
        self,
        skill: SkillSource,
        *,
        scr: SCR,
        gaps: tuple[Gap, ...],
        transforms: list[Transform],
        tcp: TCP,
        harness: HarnessFacts,
    ) -> RewriteResult:
        by_id = {g.id: g for g in gaps}
        ctx = RenderContext(skill=skill, doc=skill.document, tcp=tcp, harness=harness)
        edits: list[Edit] = []
        skipped: list[SkippedTransform] = []
        done_primitives: set[str] = set()
        used_lines: set[int] = set()
        for t in rank_transforms(transforms, by_id):
            gap = by_id[t.gap_id]
            if t.primitive in done_primitives:
                skipped.append(
                    SkippedTransform(
                        gap_id=t.gap_id, reason="an edit for this primitive was already made"
                    )
                )
                continue
            if len(edits) >= self.max_edits:
                skipped.append(
                    SkippedTransform(
                        gap_id=t.gap_id, reason=f"edit budget of {self.max_edits} used"
                    )
                )
                continue
            renderer, candidates = _renderer_and_evidence(t, gap)
            if renderer is None:
                skipped.append(
                    SkippedTransform(
                        gap_id=t.gap_id, reason="no rule-based edit for this transform"
                    )
                )
                continue
            edit = None
            collided = False
            for ev in candidates:
                placement = _place(ctx, renderer, ev)
                if placement is not None and placement.line in used_lines:
                    collided = True
                    continue
                if placement is None:
                    continue
                edit = Edit(
                    gap_id=t.gap_id,
                    transform="substitute" if t.kind == "substitute" else "compensate",
                    primitive=t.primitive,
                    anchor=ev.span,
                    op=placement.op,
                    line=placement.line + 1,
                    text=placement.text,
                    old=placement.old,
                    rationale=rationale(t, gap, ev),
                )
                used_lines.add(placement.line)
                break
            if edit is None:
                reason = (
                    "its place is taken by another edit"
                    if collided
                    else "nothing concrete to say about its evidence"
                )
                skipped.append(SkippedTransform(gap_id=t.gap_id, reason=reason))
                continue
            edits.append(edit)
            done_primitives.add(t.primitive)
        text = apply_edits(skill.skill_md, edits) if edits else skill.skill_md
        return RewriteResult(
            text=text, edits=tuple(edits), skipped=tuple(skipped), rewriter=self.name
        )


def _renderer_and_evidence(t: Transform, gap: Gap) -> tuple[Renderer | None, list[Evidence]]:
    ranked = sorted(
        gap.evidence, key=lambda e: (-evidence_strength(e), -e.level, e.span.start_line)
    )
    if t.kind == "substitute" and t.alternative is not None:
        first = [t.alternative.evidence] if t.alternative.evidence is not None else []
        return SUBSTITUTIONS.get(t.alternative.id), first + [e for e in ranked if e not in first]
    # Compensation lowers the required level: only evidence that demands it is relevant.
    relevant = [e for e in ranked if e.level >= t.required]
    return COMPENSATIONS.get((t.primitive, t.required)), relevant


def _place(ctx: RenderContext, renderer: Renderer, ev: Evidence) -> Placement | None:
    out = renderer(ctx, ev)
    if out is None:
        return None
    if isinstance(out, Placement):
        return out
    return place_sentence(ctx.doc, ev.span.start_line - 1, ev.span.end_line - 1, out)
