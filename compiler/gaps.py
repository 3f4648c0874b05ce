"""Gap analysis (pure) and the choice of transform per gap.

A gap is a requirement of the SCR's current path that the profile's effective level does not
meet. Per gap (the rule SkVM's paper describes and its code never implements):

- **compensate** when the gap is one level, the model holds at least L1 and the catalogue has a
  degradation for the required level: make the demand explicit and lower it by one level;
- **substitute** when the model is at L0, the gap is two levels or more, or no degradation exists,
  and an alternative path of the purpose has every primitive met by the profile;
- otherwise **flag**: leave the text alone and report it.

A primitive the profile never measured is not a gap (no evidence either way); it is listed as
unmeasured.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from compiler.levels import Level
from compiler.primitives import CATALOGUE
from compiler.scr import SCR, AlternativePath, Evidence, LevelField
from compiler.tcp import TCP


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Gap(_Frozen):
    id: str
    purpose_id: str
    primitive: str
    required: LevelField
    model: LevelField
    kind: Literal["missing", "weak"]
    evidence: tuple[Evidence, ...]

    @property
    def distance(self) -> int:
        return int(self.required) - int(self.model)


class Unmeasured(_Frozen):
    purpose_id: str
    primitive: str
    required: LevelField


class GapReport(_Frozen):
    profile_id: str | None
    gaps: tuple[Gap, ...]
    unmeasured: tuple[Unmeasured, ...] = ()


def analyse_gaps(scr: SCR, tcp: TCP | None) -> GapReport:
    if tcp is None:
        return GapReport(profile_id=None, gaps=())
    gaps: list[Gap] = []
    unmeasured: list[Unmeasured] = []
    for purpose, req in scr.requirements():
        have = tcp.level(req.primitive) if req.primitive in CATALOGUE else Level.L0
        if have is None:
            unmeasured.append(
                Unmeasured(purpose_id=purpose.id, primitive=req.primitive, required=req.min_level)
            )
            continue
        if have >= req.min_level:
            continue
        gaps.append(
            Gap(
                id=f"{purpose.id}:{req.primitive}",
                purpose_id=purpose.id,
                primitive=req.primitive,
                required=req.min_level,
                model=have,
                kind="missing" if have is Level.L0 else "weak",
                evidence=req.evidence,
            )
        )
    return GapReport(profile_id=tcp.profile_id, gaps=tuple(gaps), unmeasured=tuple(unmeasured))


class Transform(_Frozen):
    gap_id: str
    primitive: str
    kind: Literal["compensate", "substitute", "flag"]
    required: LevelField
    model: LevelField
    target: LevelField | None = None  # the level a compensation lowers the demand to
    alternative: AlternativePath | None = None
    guidance: str
    reason: str


def choose_transform(gap: Gap, alternatives: tuple[AlternativePath, ...], tcp: TCP) -> Transform:
    primitive = CATALOGUE.get(gap.primitive)
    lowering = primitive.lowering(gap.required) if primitive else None
    base = {
        "gap_id": gap.id,
        "primitive": gap.primitive,
        "required": gap.required,
        "model": gap.model,
    }
    if gap.distance == 1 and gap.model >= Level.L1 and lowering is not None:
        return Transform(
            **base,
            kind="compensate",
            target=Level(int(gap.required) - 1),
            guidance=lowering,
            reason=f"one level short ({gap.model} < {gap.required}); {gap.required}->"
            f"{Level(int(gap.required) - 1)} degradation exists",
        )
    why = (
        "the model lacks it (L0)"
        if gap.model is Level.L0
        else f"{gap.distance} levels short"
        if gap.distance >= 2
        else f"no {gap.required} degradation"
    )
    for alt in alternatives:
        if alt.replaces != gap.primitive:
            continue
        unmet = [
            n for n in alt.needs if (lvl := tcp.level(n.primitive)) is None or lvl < n.min_level
        ]
        if not unmet:
            return Transform(
                **base,
                kind="substitute",
                alternative=alt,
                guidance=alt.note,
                reason=f"{why}; alternative path {alt.id} is within the profile",
            )
    return Transform(
        **base,
        kind="flag",
        guidance=lowering or "no standard degradation",
        reason=f"{why}; no alternative path within the profile",
    )


def choose_transforms(report: GapReport, scr: SCR, tcp: TCP | None) -> list[Transform]:
    if tcp is None:
        return []
    alternatives = {p.id: p.alternatives for p in scr.purposes}
    return [choose_transform(g, alternatives.get(g.purpose_id, ()), tcp) for g in report.gaps]
