"""Variants: the compiled skill plus its provenance, content-addressed.

``variant_id`` hashes what is served (SKILL.md text, the bundle, env-setup.sh), not how or when it
was made, so compiling the same skill for the same profile twice yields the same id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from compiler.deps import EnvManifest
from compiler.edits import Edit
from compiler.envsetup import PresenceCache, render_env_note
from compiler.explicit import ExplicitPath
from compiler.gaps import Gap, GapReport, Transform, Unmeasured
from compiler.guard import GuardResult
from compiler.llm.structured import LlmCallReport
from compiler.rewrite import RewriteResult
from compiler.scr import SCR
from compiler.skill import BundleFile
from compiler.workflow import ParallelGroup, WorkflowDAG


def variant_id(skill_md: str, bundle: tuple[BundleFile, ...], env_setup: str | None) -> str:
    h = hashlib.sha256()
    h.update(b"SKILL.md\0" + skill_md.encode("utf-8"))
    for f in sorted(bundle, key=lambda b: b.path):
        h.update(b"\0" + f.path.encode("utf-8") + b"\0" + f.digest.encode())
    if env_setup is not None:
        h.update(b"\0env-setup.sh\0" + env_setup.encode("utf-8"))
    return "v-" + h.hexdigest()[:32]


class Provenance(BaseModel):
    model_config = ConfigDict(frozen=True)

    skill_name: str
    skill_hash: str
    skill_text_hash: str
    profile_id: str | None
    profile_model: str | None
    profile_harness: str | None
    model: str | None
    harness: str
    passes: tuple[int, ...]
    compiler_version: str
    ruleset: str
    compiler_model: str | None
    analysers: dict[str, str] = Field(default_factory=dict)  # scr / rewrite / plan -> rules|llm:...
    gaps: tuple[Gap, ...] = ()
    unmeasured: tuple[Unmeasured, ...] = ()
    transforms: tuple[Transform, ...] = ()
    edits: tuple[Edit, ...] = ()
    explicit: ExplicitPath | None = None  # the explicit path for a model no path fits
    guard: GuardResult
    timings_ms: dict[str, float] = Field(default_factory=dict)
    compiled_at: str


class Variant(BaseModel):
    """What the store keeps and the runtime serves."""

    model_config = ConfigDict(frozen=True)

    variant_id: str
    skill_md: str
    bundle: tuple[BundleFile, ...] = ()
    env_setup: str | None = None
    env: EnvManifest | None = None
    dag: WorkflowDAG | None = None
    provenance: Provenance

    @property
    def servable(self) -> bool:
        return self.provenance.guard.passed

    @property
    def parallel_groups(self) -> tuple[ParallelGroup, ...]:
        return self.dag.groups if self.dag is not None else ()

    @property
    def has_ilp(self) -> bool:
        """True when the served text asks for several tool calls in one turn."""
        return self.dag is not None and self.dag.has_ilp

    def env_note(self, presence: PresenceCache, *, script_path: str | None = None) -> str:
        """The environment note for this machine (empty when pass 2 found nothing)."""
        if self.env is None:
            return ""
        return render_env_note(self.env, presence.check(self.env), script_path=script_path)


class CompileResult(BaseModel):
    """Everything one compilation produced: the variant, and how it got there."""

    model_config = ConfigDict(frozen=True)

    variant: Variant
    scr: SCR
    gap_report: GapReport
    rewrite: RewriteResult | None = None
    llm_calls: tuple[LlmCallReport, ...] = ()
    errors: tuple[str, ...] = ()  # a pass that failed internally (the variant keeps its input text)

    @property
    def servable(self) -> bool:
        return self.variant.servable

    @property
    def edits(self) -> tuple[Edit, ...]:
        return self.rewrite.edits if self.rewrite is not None else ()

    def report(self) -> dict[str, Any]:
        """report.json: provenance, SCR, gaps, edits, environment, DAG, guard; no file bodies."""
        v = self.variant
        return {
            "variant_id": v.variant_id,
            "servable": v.servable,
            "provenance": v.provenance.model_dump(mode="json"),
            "bundle": [
                {"path": f.path, "sha256": f.digest, "bytes": len(f.data)} for f in v.bundle
            ],
            "env": v.env.model_dump(mode="json") if v.env is not None else None,
            "dag": v.dag.to_json_dict() if v.dag is not None else None,
            "scr": self.scr.model_dump(mode="json"),
            "unmeasured": [u.model_dump(mode="json") for u in self.gap_report.unmeasured],
            "skipped_transforms": (
                [s.model_dump(mode="json") for s in self.rewrite.skipped] if self.rewrite else []
            ),
            "llm_calls": [c.model_dump(mode="json") for c in self.llm_calls],
            "errors": list(self.errors),
        }
