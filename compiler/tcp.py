"""Target Capability Profile: SkVM's profile format, read unchanged, plus levels made monotone.

The model keeps every field of the SkVM-data JSON (camelCase on the wire, unknown keys preserved),
so a profile written by SkVM round-trips. On top of it each primitive gets an *effective* level
that the compiler uses, computed from the per-level pass counts by the rule below; the measured
levels (``capabilities``) and the per-level evidence stay available next to it.

Monotone rule (``isotonic-0.75``), and why:

SkVM's level is "the highest level whose 3 instances all passed", scanned L1 -> L3, so an L3 pass
over an L2 or L1 failure yields L3, and a single miss out of 3 drops a level. In the SkVM-data
profiles about a third of re-measured results change level between runs (skvm-data.md 5b, 6.13).
We treat each level's pass rate as a noisy estimate of a success probability that cannot rise
with difficulty, and

1. drop instances that carry no evidence about the model: skipped ones, runs killed by the harness
   (failure detail ``tainted: ...``) and runs whose grading script itself failed to compile (a
   ``SyntaxError`` raised in the ``<stdin>`` eval script, the follow.constraint L2 bug); a level
   left with fewer than 2 instances carries no evidence;
2. fit non-increasing rates over L1..L3 by pool-adjacent-violators, weighted by instance count (an
   inversion is resolved by pooling the inverted levels, not by trusting the higher one);
3. a level with no evidence inherits the fitted rate of the next higher level that has evidence
   (monotonicity makes that its lower bound), or 0 when there is none;
4. the model holds a level when its fitted rate is >= 0.75 (a lone 2/3 does not pass, as in SkVM;
   2/3 at L1 under 3/3 at L2 and L3 pools to 8/9 and passes);
5. a level whose clean instances (at least 2) all failed is never held, nor any level above it:
   pooling may lift a level that passed sometimes, never one the model failed outright (0/2 at L1
   under 2/2 at L2 and 4/4 at L3 pools to 6/8 = 0.75, yet the model is L0);
6. the effective level is the highest held level, and ``None`` (not measured) when no level has
   evidence. It may be lower than SkVM's level, and higher where SkVM's came from runs that
   carry no evidence (a timeout); but a measured level that SkVM's own rule does not give (a
   hand edit such as "Manually set to L0") caps it.

On the 34 SkVM-data profiles (872 primitive results) this changes 33: 31 lowered (inversions,
e.g. L1 1/3, L2 3/3, L3 0/3), one raised (tool.web L2 -> L3 where the L3 miss was a timeout) and
one unmeasured (tool.web L0 under hermes where every failure was a timeout).

A primitive listed in ``capabilities`` without ``details`` keeps its measured level.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from compiler.levels import Level
from compiler.model_ids import model_key

MONOTONE_RULE = "isotonic-0.75"
HOLD_THRESHOLD = 0.75
MIN_INSTANCES = 2  # a level judged on fewer clean instances carries no evidence

_CONFIG = ConfigDict(
    validate_by_name=True,
    validate_by_alias=True,
    serialize_by_alias=True,
    extra="allow",
    frozen=True,
)

_TAINTED = re.compile(r"^\s*tainted:", re.IGNORECASE)
_GRADER_SYNTAX = re.compile(r'File "<stdin>".*?SyntaxError', re.DOTALL)


class LevelResult(BaseModel):
    model_config = _CONFIG

    level: Literal["L1", "L2", "L3"]
    passed: bool
    pass_count: int = Field(alias="passCount", ge=0)
    total_count: int = Field(alias="totalCount", ge=0)
    skip_count: int = Field(default=0, alias="skipCount", ge=0)
    duration_ms: float = Field(default=0.0, alias="durationMs")
    cost_usd: float = Field(default=0.0, alias="costUsd")
    test_description: str = Field(default="", alias="testDescription")
    failure_details: list[str] = Field(default_factory=list, alias="failureDetails")
    failure_artifacts: list[dict[str, Any]] | None = Field(default=None, alias="failureArtifacts")


class PrimitiveDetail(BaseModel):
    model_config = _CONFIG

    primitive_id: str = Field(alias="primitiveId")
    highest_level: Literal["L0", "L1", "L2", "L3"] = Field(alias="highestLevel")
    level_results: list[LevelResult] = Field(default_factory=list, alias="levelResults")
    calibration_note: str | None = Field(default=None, alias="calibrationNote")
    conv_log_dir: str | None = Field(default=None, alias="convLogDir")


class TokenTotals(BaseModel):
    model_config = _CONFIG

    input: int = 0
    output: int = 0
    cache_read: int = Field(default=0, alias="cacheRead")
    cache_write: int = Field(default=0, alias="cacheWrite")


class ProfileCost(BaseModel):
    model_config = _CONFIG

    total_usd: float = Field(default=0.0, alias="totalUsd")
    total_tokens: TokenTotals = Field(default_factory=TokenTotals, alias="totalTokens")
    duration_ms: float = Field(default=0.0, alias="durationMs")


@dataclass(frozen=True, slots=True)
class LevelEvidence:
    """What one level's instances say: passes out of the instances that carry evidence."""

    level: Level
    passes: int
    total: int
    skipped: int
    no_evidence: int
    fitted: float | None = None

    @property
    def effective(self) -> int:
        n = max(0, self.total - self.skipped - self.no_evidence)
        return n if n >= MIN_INSTANCES else 0

    @property
    def rate(self) -> float | None:
        return self.passes / self.effective if self.effective else None


class TCP(BaseModel):
    """A (model, harness) capability profile in SkVM's format, with effective levels."""

    model_config = _CONFIG

    version: str = "1.0"
    model: str
    harness: str
    profiled_at: str = Field(alias="profiledAt")
    capabilities: dict[str, Literal["L0", "L1", "L2", "L3"]]
    details: list[PrimitiveDetail] = Field(default_factory=list)
    cost: ProfileCost = Field(default_factory=ProfileCost)
    is_partial: bool = Field(default=False, alias="isPartial")

    _levels: dict[str, Level | None] = PrivateAttr(default_factory=dict)
    _evidence: dict[str, tuple[LevelEvidence, ...]] = PrivateAttr(default_factory=dict)
    _profile_id: str = PrivateAttr(default="")

    def model_post_init(self, context: Any, /) -> None:
        by_id = {d.primitive_id: d for d in self.details}
        for pid in sorted(set(self.capabilities) | set(by_id)):
            detail = by_id.get(pid)
            measured = Level.parse(
                self.capabilities.get(pid) or (detail.highest_level if detail else "L0")
            )
            if detail is None or not detail.level_results:
                self._levels[pid] = measured
                self._evidence[pid] = ()
                continue
            evidence = _fit(_collect(detail))
            self._evidence[pid] = evidence
            # A measured level that SkVM's own rule does not give is a hand edit: it caps ours.
            hand_edited = measured != _skvm_level(detail)
            self._levels[pid] = _decide(evidence, measured if hand_edited else Level.L3)
        canonical = json.dumps(self.to_skvm_dict(), sort_keys=True, separators=(",", ":"))
        self._profile_id = "tcp-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]

    # -- what the compiler reads ------------------------------------------------------------

    def level(self, primitive_id: str) -> Level | None:
        """Effective (monotone) level; ``None`` when the profile has no evidence for it."""
        return self._levels.get(primitive_id)

    def measured_level(self, primitive_id: str) -> Level | None:
        raw = self.capabilities.get(primitive_id)
        return Level.parse(raw) if raw is not None else None

    def evidence(self, primitive_id: str) -> tuple[LevelEvidence, ...]:
        return self._evidence.get(primitive_id, ())

    @property
    def effective_levels(self) -> dict[str, Level | None]:
        return dict(self._levels)

    @property
    def adjustments(self) -> dict[str, tuple[Level | None, Level | None]]:
        """Primitives whose effective level differs from the measured one: (measured, effective)."""
        return {
            pid: (self.measured_level(pid), lvl)
            for pid, lvl in self._levels.items()
            if lvl != self.measured_level(pid)
        }

    @property
    def profile_id(self) -> str:
        """Content hash of the profile as SkVM wrote it."""
        return self._profile_id

    @property
    def model_key(self) -> str:
        return model_key(self.model)

    @property
    def profiled_at_time(self) -> datetime:
        try:
            stamp = datetime.fromisoformat(self.profiled_at.replace("Z", "+00:00"))
        except ValueError:
            return datetime.min.replace(tzinfo=UTC)
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

    # -- serialisation ---------------------------------------------------------------------

    def to_skvm_dict(self) -> dict[str, Any]:
        """The profile in SkVM's JSON shape (only the fields that were present)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_skvm_json(self) -> str:
        return json.dumps(self.to_skvm_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_skvm_json(cls, data: str | bytes) -> TCP:
        return cls.model_validate_json(data)


def _skvm_level(detail: PrimitiveDetail) -> Level:
    """SkVM's level: the highest level whose result says passed (not necessarily contiguous)."""
    passed = [Level.parse(r.level) for r in detail.level_results if r.passed]
    return max(passed, default=Level.L0)


def _no_evidence(detail: str) -> bool:
    return bool(_TAINTED.search(detail) or _GRADER_SYNTAX.search(detail))


def _collect(detail: PrimitiveDetail) -> list[LevelEvidence]:
    out: list[LevelEvidence] = []
    by_level = {Level.parse(r.level): r for r in detail.level_results}
    for level in (Level.L1, Level.L2, Level.L3):
        r = by_level.get(level)
        if r is None:
            out.append(LevelEvidence(level, 0, 0, 0, 0))
            continue
        failed = max(0, r.total_count - r.skip_count - r.pass_count)
        infra = min(failed, sum(1 for d in r.failure_details if _no_evidence(d)))
        out.append(LevelEvidence(level, r.pass_count, r.total_count, r.skip_count, infra))
    return out


def _fit(levels: list[LevelEvidence]) -> tuple[LevelEvidence, ...]:
    """Pool-adjacent-violators for a non-increasing rate over levels with evidence."""
    blocks: list[list[float]] = []  # [weight, weighted sum, member count]
    known = [e for e in levels if e.effective]
    for e in known:
        blocks.append([float(e.effective), float(e.passes), 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] < blocks[-1][1] / blocks[-1][0]:
            w, s, n = blocks.pop()
            blocks[-1][0] += w
            blocks[-1][1] += s
            blocks[-1][2] += n
    fitted_known: list[float] = []
    for w, s, n in blocks:
        fitted_known.extend([s / w] * int(n))
    fitted: dict[Level, float] = {e.level: f for e, f in zip(known, fitted_known, strict=True)}
    out: list[LevelEvidence] = []
    for i, e in enumerate(levels):
        value = fitted.get(e.level)
        if value is None:
            higher = [fitted[h.level] for h in levels[i + 1 :] if h.level in fitted]
            value = higher[0] if higher else 0.0
        out.append(LevelEvidence(e.level, e.passes, e.total, e.skipped, e.no_evidence, value))
    return tuple(out)


def _decide(evidence: tuple[LevelEvidence, ...], measured: Level) -> Level | None:
    if not any(e.effective for e in evidence):
        return None
    held = Level.L0
    for e in evidence:
        if e.effective >= 2 and e.passes == 0:
            break  # failed outright: pooling with easier-looking harder levels must not lift it
        if e.fitted is not None and e.fitted >= HOLD_THRESHOLD - 1e-9:
            held = e.level
        else:
            break
    return min(held, measured)
