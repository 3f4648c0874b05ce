"""From a loaded skill to a variant folder and a servable variant in the store.

The variant is published under the runtime's identity of the skill (``Skill.parse(text).hash`` of
the original SKILL.md) and the runtime's model key, or the runtime would never find it, and under
the compiler's variant id, so the id a compile reports is the id the store serves. The folder is
written first (atomically); the store is touched only after, in one transaction, and only for a
variant that passed the guard, so a failure leaves nothing half-written in the store.

A variant is published only when there is something to serve: compiled against a capability
profile, and with a text that differs from the original. Otherwise the outcome says why and the
original stays served.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from compiler import (
    TCP,
    CompileResult,
    SkillSource,
    VariantWriteError,
    compile_skill,
    write_variant_folder,
)
from compiler.artifacts import artifact_paths
from compiler.llm.client import JsonLlm
from skvm_shim.compilation.facts import harness_facts
from skvm_shim.models import load_aliases, normalize_model
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.records import ORIGINAL, SKILLS, VARIANT_SETS, Switch, VariantRecord, VariantSet
from skvm_shim.skills.model import Skill, SkillParseError, normalize_text
from skvm_shim.store import Store, StoreUnavailable, join_key
from skvm_shim.variants import publish_variant

Status = Literal[
    "published", "unchanged", "no-profile", "not-servable", "write-failed", "store-failed"
]
ProfileKind = Literal["exact", "same-model-bare-agent", "same-model-newest", "file", "none"]


class CompileInputError(ValueError):
    """A skill or option the compile cannot start from; the message names the file."""


@dataclass(frozen=True, slots=True)
class CompileJob:
    """One skill to compile for one (model, harness), with the profile the lookup chose."""

    source: SkillSource
    skill: Skill
    model: str
    model_key: str
    harness: str
    passes: tuple[int, ...] = (1, 2, 3)
    tcp: TCP | None = None
    profile_kind: ProfileKind = "none"
    compiler_model: str | None = None


@dataclass(slots=True)
class CompileOutcome:
    """What one compile did: the result, where it went, and whether it is served."""

    job: CompileJob
    result: CompileResult
    status: Status
    reason: str
    folder: Path | None = None
    record: VariantRecord | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def servable(self) -> bool:
        """Nothing failed: the variant is served, or the original is, for the reason given."""
        return self.status in ("published", "unchanged", "no-profile")

    @property
    def variant_id(self) -> str | None:
        """The id the store serves this compile under; None when nothing was published."""
        return self.record.id if self.record is not None else None


def no_profile_reason(job: CompileJob) -> str:
    return (
        f"no variant published: no capability profile for ({job.model_key}, {job.harness}); "
        "the original is served (import one with `skvm-shim profiles import`, measure one with "
        "`skvm-shim profile`, or pass --profile)"
    )


UNCHANGED_REASON = (
    "no variant published: the compiled text is identical to the original; the original is served"
)


def runtime_skill(source: SkillSource) -> Skill:
    """The runtime's view of the skill (its hash keys the variants)."""
    try:
        return Skill.parse(source.skill_md, location=source.origin)
    except SkillParseError as exc:
        where = f"{source.origin}/SKILL.md" if source.origin else f"SKILL.md of {source.name}"
        raise CompileInputError(f"{where}: {exc}") from None


def compile_job(
    source: SkillSource,
    *,
    model: str,
    harness: str = "generic",
    passes: Sequence[int] = (1, 2, 3),
    store: Store | None = None,
    profiles: ProfileStore | None = None,
    tcp: TCP | None = None,
    compiler_model: str | None = None,
) -> CompileJob:
    """Resolve the model key and the profile (``tcp`` given wins over the stored lookup)."""
    kind: ProfileKind = "none"
    if tcp is not None:
        kind = "file"
    elif profiles is not None:
        match = profiles.find(model, harness)
        if match is not None:
            tcp, kind = match.tcp, match.kind
    return CompileJob(
        source=source,
        skill=runtime_skill(source),
        model=model,
        model_key=normalize_model(model, load_aliases(store)),
        harness=harness,
        passes=tuple(sorted(set(passes))),
        tcp=tcp,
        profile_kind=kind,
        compiler_model=compiler_model,
    )


def run_compile(job: CompileJob, *, llm: JsonLlm | None = None) -> CompileResult:
    return compile_skill(
        job.source,
        tcp=job.tcp,
        harness=harness_facts(job.harness),
        passes=job.passes,
        compiler_model=job.compiler_model if llm is None else None,
        llm=llm,
        model=job.model,
    )


def compile_and_publish(
    job: CompileJob,
    *,
    store: Store,
    variants_dir: Path,
    out_dir: Path | None = None,
    llm: JsonLlm | None = None,
    reason: str = "compiled",
    origin: str = "cli",
) -> CompileOutcome:
    """Compile, write the folder (``out_dir`` or ``variants_dir/<variant id>``), then publish.

    Publishes nothing without a profile (``no-profile``: the store is not touched) or when the
    compiled text equals the original (``unchanged``: the key is recorded as serving the
    original, so it is not compiled again); the folder of such a compile is written only to an
    ``out_dir`` asked for. Never raises for a fault after the skill loaded: the outcome's status
    and reason say what happened (``write-failed``/``store-failed`` leave the store as it was).
    """
    start = time.perf_counter()
    result = run_compile(job, llm=llm)
    timings = {"compile": _ms(start)}
    variant = result.variant
    status: Status = "published"
    if not result.servable:
        status = "not-servable"
    elif job.tcp is None:
        status = "no-profile"
    elif _same_text(job, result):
        status = "unchanged"
    folder: Path | None = out_dir
    if folder is None and status in ("published", "not-servable"):
        folder = variants_dir / variant.variant_id
    if folder is not None:
        start = time.perf_counter()
        try:
            folder = write_variant_folder(result, folder)
        except VariantWriteError as exc:
            return CompileOutcome(job, result, "write-failed", str(exc), None, None, timings)
        timings["write"] = _ms(start)
    if status == "not-servable":
        violations = "; ".join(variant.provenance.guard.violations) or "the guard failed"
        return CompileOutcome(
            job, result, "not-servable", f"guard: {violations}", folder, None, timings
        )
    if status == "no-profile":
        return CompileOutcome(job, result, status, no_profile_reason(job), folder, None, timings)
    start = time.perf_counter()
    provenance = _provenance(job, result, folder, origin)
    try:
        if store.get(SKILLS, job.skill.hash) is None:
            # Known to every runtime from now on, and to ``variants diff``.
            store.put(SKILLS, job.skill.hash, job.skill)
        if status == "unchanged":
            _serve_original(store, job, reason=f"{reason}: no change", evidence=provenance)
            outcome = CompileOutcome(job, result, "unchanged", UNCHANGED_REASON, folder)
        else:
            record = publish_variant(
                store,
                skill=job.skill,
                text=variant.skill_md,
                model=job.model_key,
                harness=job.harness,
                reason=reason,
                provenance=provenance,
                ilp_groups=sum(1 for g in variant.parallel_groups if g.kind == "ilp"),
                env_deps=[d.model_dump(mode="json") for d in variant.env.dependencies]
                if variant.env is not None
                else [],
                variant_id=variant.variant_id,
            )
            outcome = CompileOutcome(
                job,
                result,
                "published",
                f"served as {record.id} for ({job.model_key}, {job.harness})",
                folder,
                record,
            )
    except (StoreUnavailable, OSError) as exc:
        return CompileOutcome(job, result, "store-failed", f"store: {exc}", folder, None, timings)
    timings["publish"] = _ms(start)
    outcome.timings_ms = timings
    return outcome


def _same_text(job: CompileJob, result: CompileResult) -> bool:
    """The compiled SKILL.md is the original's text: serving it would change nothing the model
    reads (parallel groups always add their hints, so they change the text)."""
    return normalize_text(result.variant.skill_md) == job.skill.text


def _serve_original(
    store: Store, job: CompileJob, *, reason: str, evidence: dict[str, Any]
) -> None:
    """Record that this key serves the original (so it is known and not compiled again)."""
    key = join_key(job.skill.hash, job.model_key, job.harness)
    with store.transaction() as txn:
        current = txn.get(VARIANT_SETS, key) or VariantSet()
        if current.current != ORIGINAL:
            current.history.append(
                Switch(from_id=current.current, to_id=ORIGINAL, reason=reason, evidence=evidence)
            )
        current.current = ORIGINAL
        txn.put(VARIANT_SETS, key, current)


def _provenance(
    job: CompileJob, result: CompileResult, folder: Path | None, origin: str
) -> dict[str, Any]:
    v = result.variant
    names = artifact_paths({f.path for f in v.bundle})
    env_setup = (
        str(folder / names["env-setup.sh"])
        if folder is not None and v.env_setup is not None
        else None
    )
    data: dict[str, Any] = v.provenance.model_dump(mode="json")
    data.update(
        {
            "variant_id": v.variant_id,
            "origin": origin,
            "folder": str(folder) if folder is not None else None,
            "env_setup": env_setup,
            "profile_match": job.profile_kind,
            "model_key": job.model_key,
            "runtime_skill_hash": job.skill.hash,
            "parallel_groups": [g.model_dump(mode="json") for g in v.parallel_groups],
            "errors": list(result.errors),
        }
    )
    return data


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
