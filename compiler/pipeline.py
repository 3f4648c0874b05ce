"""``compile_skill``: SCR -> gaps -> pass 1 -> pass 2 -> pass 3 -> guard -> variant.

Pure apart from the optional compiler-model calls: no file is read or written here (see
``compiler.skill.load_skill_dir`` and ``compiler.artifacts.write_variant_folder``). An internal
fault in a pass is caught and recorded in ``CompileResult.errors``; that pass then leaves the text
as it found it, so a compile never raises for a skill that loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from compiler.deps import EnvManifest, extract_dependencies
from compiler.edits import Edit, apply_edits
from compiler.envsetup import render_env_setup
from compiler.explicit import ExplicitPath, plan_explicit_path
from compiler.gaps import GapReport, Transform, analyse_gaps, choose_transforms
from compiler.guard import GuardResult, run_guard
from compiler.harness import HarnessFacts
from compiler.llm.analysers import LlmAnalysisFailed, LlmPlanner, LlmRewriter, LlmScrExtractor
from compiler.llm.client import JsonLlm, LlmError, make_llm
from compiler.llm.structured import LlmCallReport
from compiler.rewrite import MAX_EDITS, Rewriter, RewriteResult, RuleRewriter
from compiler.scr import SCR
from compiler.scr_extract import RuleScrExtractor, ScrExtractor
from compiler.scr_rules import Hit
from compiler.skill import SkillSource
from compiler.tcp import TCP
from compiler.variant import CompileResult, Provenance, Variant, variant_id
from compiler.version import COMPILER_VERSION, ruleset_id
from compiler.workflow import ParallelPlanner, RulePlanner, WorkflowDAG, append_hints, render_hints

ALL_PASSES = (1, 2, 3)
T = TypeVar("T")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


def compile_skill(
    skill: SkillSource,
    *,
    tcp: TCP | None,
    harness: str | HarnessFacts = "generic",
    passes: Sequence[int] = ALL_PASSES,
    compiler_model: str | None = None,
    llm: JsonLlm | None = None,
    model: str | None = None,
    max_edits: int = MAX_EDITS,
    extractor: ScrExtractor | None = None,
    rewriter: Rewriter | None = None,
    planner: ParallelPlanner | None = None,
) -> CompileResult:
    """Compile ``skill`` for the target described by ``tcp`` and ``harness``.

    ``tcp`` None still runs passes 2 and 3 (pass 1 needs a profile; without one the SCR is
    extracted for the report and the text is left alone). ``compiler_model`` (``openai/...`` or
    ``anthropic/...``) or an explicit ``llm`` switches SCR extraction, the pass-1 rewrite and the
    pass-3 plan to the LLM-backed analysers; each falls back to the rules if its call fails.
    """
    wanted = tuple(sorted(set(passes)))
    if any(p not in ALL_PASSES for p in wanted):
        raise ValueError(f"unknown pass in {list(passes)}; passes are 1, 2 and 3")
    facts = harness if isinstance(harness, HarnessFacts) else HarnessFacts(harness=harness)
    total = time.perf_counter()
    timings: dict[str, float] = {}
    errors: list[str] = []
    llm_reports: list[LlmCallReport] = []
    analysers: dict[str, str] = {}

    if llm is None and compiler_model is not None:
        try:
            llm = make_llm(compiler_model)
        except LlmError as exc:
            errors.append(f"compiler model unavailable, using rules: {exc}")
    # The SCR feeds only pass 1; without pass 1 or a profile it is for the report: rules suffice.
    wants_scr = 1 in wanted and tcp is not None
    llm_scr = LlmScrExtractor(llm) if llm is not None and extractor is None and wants_scr else None
    llm_rw = LlmRewriter(llm, max_edits=max_edits) if llm is not None and rewriter is None else None
    llm_plan = LlmPlanner(llm) if llm is not None and planner is None else None

    def attempt(stage: str, primary: Callable[[], T], fallback: Callable[[], T], name: str) -> T:
        try:
            value = primary()
            analysers[stage] = name
            return value
        except LlmAnalysisFailed as exc:
            llm_reports.append(exc.report)
            errors.append(f"{stage}: {exc}; used the rules instead")
        analysers[stage] = "rules"
        return fallback()

    # SCR and gaps (pass 1's analysis).
    start = time.perf_counter()
    rules_extractor = RuleScrExtractor()
    chosen_extractor = extractor or llm_scr or rules_extractor
    rule_hits: list[Hit] | None = None

    def by_rules() -> SCR:
        nonlocal rule_hits
        found, rule_hits = rules_extractor.extract_with_hits(skill)
        return found

    scr: SCR
    try:
        scr = attempt(
            "scr",
            by_rules
            if chosen_extractor is rules_extractor
            else lambda: chosen_extractor.extract(skill),
            by_rules,
            chosen_extractor.name,
        )
    except Exception as exc:  # an analyser bug must not sink the compile
        errors.append(f"scr: internal error: {type(exc).__name__}: {exc}")
        scr = SCR(skill_name=skill.name, purposes=(), extractor="failed")
    gap_report = (
        analyse_gaps(scr, tcp)
        if 1 in wanted
        else GapReport(profile_id=tcp.profile_id if tcp else None, gaps=())
    )
    transforms: list[Transform] = choose_transforms(gap_report, scr, tcp) if 1 in wanted else []
    timings["scr"] = _ms(start)

    # Pass 1.
    text = skill.skill_md
    rewrite: RewriteResult | None = None
    explicit: ExplicitPath | None = None
    if 1 in wanted and tcp is not None:
        start = time.perf_counter()
        rules_rw = RuleRewriter(max_edits)
        chosen_rw = rewriter or llm_rw or rules_rw

        def run(rw: Rewriter) -> RewriteResult:
            return rw.rewrite(
                skill, scr=scr, gaps=gap_report.gaps, transforms=transforms, tcp=tcp, harness=facts
            )

        try:
            rewrite = attempt(
                "rewrite", lambda: run(chosen_rw), lambda: run(rules_rw), chosen_rw.name
            )
            text = rewrite.text
        except Exception as exc:
            errors.append(f"pass 1: internal error: {type(exc).__name__}: {exc}")
        if rewrite is not None:
            try:
                explicit, rewrite = _explicit_path(
                    skill,
                    scr=scr,
                    hits=rule_hits,
                    gap_report=gap_report,
                    transforms=transforms,
                    tcp=tcp,
                    rewrite=rewrite,
                    max_edits=max_edits,
                )
                text = rewrite.text
            except Exception as exc:
                errors.append(
                    f"pass 1 (explicit path): internal error: {type(exc).__name__}: {exc}"
                )
        timings["pass1"] = _ms(start)

    # Pass 2.
    env: EnvManifest | None = None
    env_setup: str | None = None
    if 2 in wanted:
        start = time.perf_counter()
        try:
            env = extract_dependencies(skill)
            env_setup = render_env_setup(env, skill_name=skill.name, version=COMPILER_VERSION)
        except Exception as exc:
            errors.append(f"pass 2: internal error: {type(exc).__name__}: {exc}")
        timings["pass2"] = _ms(start)

    # Pass 3.
    dag: WorkflowDAG | None = None
    if 3 in wanted:
        start = time.perf_counter()
        rules_plan = RulePlanner()
        chosen_plan = planner or llm_plan or rules_plan
        try:
            dag = attempt(
                "plan",
                lambda: chosen_plan.plan(skill, facts),
                lambda: rules_plan.plan(skill, facts),
                chosen_plan.name,
            )
            text = append_hints(text, render_hints(dag))
        except Exception as exc:
            errors.append(f"pass 3: internal error: {type(exc).__name__}: {exc}")
        timings["pass3"] = _ms(start)

    for analyser in (llm_scr, llm_rw, llm_plan):
        if analyser is not None:
            llm_reports.extend(r for r in analyser.reports if r not in llm_reports)

    # Guard.
    start = time.perf_counter()
    edits = rewrite.edits if rewrite is not None else ()
    guard: GuardResult = run_guard(
        skill.skill_md,
        text,
        substituted_blocks=_substituted_blocks(skill, edits),
        replaced_lines=[e.line for e in edits if e.op == "replace"],
    )
    timings["guard"] = _ms(start)
    timings["total"] = _ms(total)

    provenance = Provenance(
        skill_name=skill.name,
        skill_hash=skill.content_hash,
        skill_text_hash=skill.text_hash,
        profile_id=tcp.profile_id if tcp else None,
        profile_model=tcp.model if tcp else None,
        profile_harness=tcp.harness if tcp else None,
        model=model or (tcp.model if tcp else None),
        harness=facts.harness,
        passes=wanted,
        compiler_version=COMPILER_VERSION,
        ruleset=ruleset_id(),
        compiler_model=llm.name if llm is not None else None,
        analysers=analysers,
        gaps=gap_report.gaps,
        unmeasured=gap_report.unmeasured,
        transforms=tuple(transforms),
        edits=edits,
        explicit=explicit,
        guard=guard,
        timings_ms=timings,
        compiled_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    variant = Variant(
        variant_id=variant_id(text, skill.bundle, env_setup),
        skill_md=text,
        bundle=skill.bundle,
        env_setup=env_setup,
        env=env,
        dag=dag,
        provenance=provenance,
    )
    return CompileResult(
        variant=variant,
        scr=scr,
        gap_report=gap_report,
        rewrite=rewrite,
        llm_calls=tuple(llm_reports),
        errors=tuple(errors),
    )


def _explicit_path(
    skill: SkillSource,
    *,
    scr: SCR,
    hits: list[Hit] | None,
    gap_report: GapReport,
    transforms: list[Transform],
    tcp: TCP,
    rewrite: RewriteResult,
    max_edits: int,
) -> tuple[ExplicitPath | None, RewriteResult]:
    """For a model no transform helps: the explicit plans, added to pass 1's edits."""
    explicit, plans = plan_explicit_path(
        skill,
        scr=scr,
        gaps=gap_report.gaps,
        transforms=transforms,
        tcp=tcp,
        hits=hits,
        used_lines={e.line for e in rewrite.edits},
        budget=max_edits - len(rewrite.edits),
    )
    if not plans:
        return explicit, rewrite
    edits = (*rewrite.edits, *plans)
    return explicit, rewrite.model_copy(
        update={"edits": edits, "text": apply_edits(skill.skill_md, list(edits))}
    )


def _substituted_blocks(skill: SkillSource, edits: Sequence[Edit]) -> list[str]:
    """Bodies of code blocks that a recorded substitution edited (exempt from the block check)."""
    out = []
    for e in edits:
        if e.op == "replace" and e.transform == "substitute":
            fence = skill.document.fence_at(e.line - 1)
            if fence is not None:
                out.append(fence.body)
    return out
