"""The LLM-backed SCR extractor, pass-1 rewriter and pass-3 planner.

They implement the same interfaces as the rule-based ones. What the model returns is validated
against the skill before use: unknown primitive ids go to ``unmatched``, evidence must lie inside
the text, edits must sit inside their gap's evidence and may not add headings or fences, plan
steps and dependencies must be the known ones and point backwards. When a call fails after its
retries, the analyser raises ``LlmAnalysisFailed`` carrying the call report; the pipeline then
falls back to the rule-based analyser and records why.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from compiler.edits import Edit, apply_edits
from compiler.gaps import Gap, Transform
from compiler.harness import HarnessFacts
from compiler.levels import Level
from compiler.llm import prompts
from compiler.llm.client import JsonLlm
from compiler.llm.structured import LlmCallReport, call_structured
from compiler.primitives import CATALOGUE
from compiler.rewrite import MAX_EDITS, RewriteResult, SkippedTransform, rationale
from compiler.scr import SCR, AlternativePath, Evidence, Need, Purpose, Requirement, Span
from compiler.scr_extract import quote_lines, slug
from compiler.skill import SkillSource
from compiler.tcp import TCP
from compiler.workflow import ParallelGroup, WorkflowDAG, WorkflowStep, build_dag

LevelName = Literal["L1", "L2", "L3"]


class LlmAnalysisFailed(RuntimeError):
    def __init__(self, report: LlmCallReport) -> None:
        super().__init__(f"{report.purpose} via {report.model} failed: {'; '.join(report.errors)}")
        self.report = report


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- SCR ----------------------------------------------------------------------------------------


class _LlmEvidence(_Strict):
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    quote: str = ""


class _LlmNeed(_Strict):
    primitive: str
    min_level: LevelName


class _LlmRequirement(_LlmNeed):
    evidence: _LlmEvidence


class _LlmAlternative(_Strict):
    replaces: str
    needs: list[_LlmNeed]
    note: str = ""


class _LlmPurpose(_Strict):
    id: str
    description: str
    requirements: list[_LlmRequirement]
    alternatives: list[_LlmAlternative] = Field(default_factory=list)


class LlmScrAnswer(_Strict):
    purposes: list[_LlmPurpose] = Field(min_length=1)


class LlmScrExtractor:
    def __init__(self, llm: JsonLlm, *, max_attempts: int = 3) -> None:
        self.llm = llm
        self.name = f"llm:{llm.name}"
        self.max_attempts = max_attempts
        self.reports: list[LlmCallReport] = []

    def extract(self, skill: SkillSource) -> SCR:
        answer, report = call_structured(
            self.llm,
            purpose="scr",
            system=prompts.SCR_SYSTEM.format(catalogue=prompts.catalogue_text()),
            user=prompts.SCR_USER.format(
                name=skill.name, numbered=prompts.numbered(skill.skill_md)
            ),
            output=LlmScrAnswer,
            max_attempts=self.max_attempts,
        )
        self.reports.append(report)
        if answer is None:
            raise LlmAnalysisFailed(report)
        return scr_from_answer(skill, answer, extractor=self.name)


def _anchor(skill: SkillSource, ev: _LlmEvidence) -> Span:
    doc = skill.document
    n = len(doc.lines)
    start, end = min(ev.start_line, n), min(max(ev.end_line, ev.start_line), n)
    quote = ev.quote.strip()
    window = "\n".join(doc.lines[start - 1 : end])
    if quote and quote not in window:
        # The model's line numbers are off: find the quote's first line instead.
        first = quote.split("\n")[0].strip()
        hit = next((i for i, line in enumerate(doc.lines) if first and first in line), None)
        if hit is not None:
            start = end = hit + 1
    return Span(start_line=start, end_line=end, quote=quote_lines(doc, start - 1, end - 1))


def scr_from_answer(skill: SkillSource, answer: LlmScrAnswer, *, extractor: str) -> SCR:
    purposes: list[Purpose] = []
    unmatched: list[str] = []
    used: set[str] = set()
    for p in answer.purposes:
        pid = slug(p.id) or "purpose"
        while pid in used:
            pid += "-x"
        used.add(pid)
        best: dict[str, Requirement] = {}
        for r in p.requirements:
            if r.primitive not in CATALOGUE:
                unmatched.append(f"{pid}: {r.primitive} {r.min_level}")
                continue
            level = Level.parse(r.min_level)
            ev = Evidence(
                span=_anchor(skill, r.evidence),
                rule="llm",
                level=level,
                note=r.evidence.quote[:120],
            )
            have = best.get(r.primitive)
            if have is None or level > have.min_level:
                best[r.primitive] = Requirement(
                    primitive=r.primitive, min_level=level, evidence=(ev,)
                )
        alternatives = []
        for n, a in enumerate(p.alternatives, start=1):
            needs = [x for x in a.needs if x.primitive in CATALOGUE]
            if a.replaces not in best or not needs:
                continue
            alternatives.append(
                AlternativePath(
                    id=f"llm-{pid}-{n}",
                    replaces=a.replaces,
                    needs=tuple(
                        Need(primitive=x.primitive, min_level=Level.parse(x.min_level))
                        for x in needs
                    ),
                    note=a.note,
                    evidence=best[a.replaces].evidence[0],
                )
            )
        purposes.append(
            Purpose(
                id=pid,
                description=p.description,
                requirements=tuple(best[k] for k in sorted(best)),
                alternatives=tuple(alternatives),
            )
        )
    return SCR(
        skill_name=skill.name,
        purposes=tuple(purposes),
        extractor=extractor,
        unmatched=tuple(unmatched),
    )


# -- pass-1 rewrite -------------------------------------------------------------------------------


class _LlmEdit(_Strict):
    gap_id: str
    line: int = Field(ge=1)
    op: Literal["append", "insert_after", "replace"]
    text: str
    old: str = ""
    purpose: str = ""
    primitive: str = ""
    levels: str = ""
    span: str = ""
    direction: str = ""
    how_demand_drops: str = ""


class LlmRewriteAnswer(_Strict):
    edits: list[_LlmEdit] = Field(default_factory=list)


_HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s", re.M)


class LlmRewriter:
    def __init__(self, llm: JsonLlm, *, max_edits: int = MAX_EDITS, max_attempts: int = 3) -> None:
        self.llm = llm
        self.name = f"llm:{llm.name}"
        self.max_edits = max_edits
        self.max_attempts = max_attempts
        self.reports: list[LlmCallReport] = []

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
        active = [t for t in transforms if t.kind != "flag"]
        if not active:
            return RewriteResult(text=skill.skill_md, rewriter=self.name)
        by_gap = {g.id: g for g in gaps}
        table = "\n".join(_gap_line(t, by_gap[t.gap_id]) for t in active)
        tools = ", ".join(sorted(harness.tool_names.values())) or "read, write and shell tools"
        answer, report = call_structured(
            self.llm,
            purpose="rewrite",
            system=prompts.REWRITE_SYSTEM.format(max_edits=self.max_edits, tools=tools),
            user=prompts.REWRITE_USER.format(
                numbered=prompts.numbered(skill.skill_md), gaps=table, max_edits=self.max_edits
            ),
            output=LlmRewriteAnswer,
            max_attempts=self.max_attempts,
        )
        self.reports.append(report)
        if answer is None:
            raise LlmAnalysisFailed(report)
        return self._apply(skill, answer, {t.gap_id: t for t in active}, by_gap)

    def _apply(
        self,
        skill: SkillSource,
        answer: LlmRewriteAnswer,
        transforms: dict[str, Transform],
        gaps: dict[str, Gap],
    ) -> RewriteResult:
        lines = skill.document.lines
        edits: list[Edit] = []
        skipped: list[SkippedTransform] = []
        used_lines: set[int] = set()
        for e in answer.edits:
            t = transforms.get(e.gap_id)
            problem = None
            ev = None
            if t is None:
                problem = "not one of the gaps given"
            else:
                ev = next(
                    (
                        x
                        for x in gaps[e.gap_id].evidence
                        if x.span.start_line <= e.line <= x.span.end_line
                    ),
                    None,
                )
                if ev is None:
                    problem = f"line {e.line} is outside the gap's evidence"
                elif len(edits) >= self.max_edits:
                    problem = f"over the budget of {self.max_edits} edits"
                elif e.line in used_lines:
                    problem = "a second edit on the same line"
                elif _HEADING_LINE.search(e.text) or "```" in e.text or "~~~" in e.text:
                    problem = "adds a heading or a code fence"
                elif e.op == "replace" and (not e.old or lines[e.line - 1].count(e.old) != 1):
                    problem = "text to replace is not on that line exactly once"
                elif skill.document.in_fence[e.line - 1] and e.op != "replace":
                    problem = "inserts inside a code block"
                elif e.line - 1 < skill.document.body_start:
                    problem = "touches the frontmatter"
            if problem is not None or t is None or ev is None:
                skipped.append(
                    SkippedTransform(gap_id=e.gap_id, reason=f"model edit rejected: {problem}")
                )
                continue
            text = e.text.strip()
            if e.op == "append":
                text = " " + text
            edits.append(
                Edit(
                    gap_id=e.gap_id,
                    transform="substitute" if t.kind == "substitute" else "compensate",
                    primitive=t.primitive,
                    anchor=ev.span,
                    op=e.op,
                    line=e.line,
                    text=text,
                    old=e.old,
                    rationale=rationale(t, gaps[e.gap_id], ev)
                    + (f"; model: {e.how_demand_drops}" if e.how_demand_drops else ""),
                )
            )
            used_lines.add(e.line)
        edited = {x.gap_id for x in edits}
        for gap_id in transforms:
            if gap_id not in edited and not any(s.gap_id == gap_id for s in skipped):
                skipped.append(
                    SkippedTransform(gap_id=gap_id, reason="the model made no edit for it")
                )
        text = apply_edits(skill.skill_md, edits) if edits else skill.skill_md
        return RewriteResult(
            text=text, edits=tuple(edits), skipped=tuple(skipped), rewriter=self.name
        )


def _gap_line(t: Transform, gap: Gap) -> str:
    spans = "; ".join(f"lines {e.span.start_line}-{e.span.end_line}" for e in gap.evidence[:3])
    action = (
        f"compensate {t.required}->{t.target}: {t.guidance}"
        if t.kind == "compensate"
        else f"substitute with alternative path ({t.guidance}); needs "
        + ", ".join(
            f"{n.primitive} {n.min_level}" for n in (t.alternative.needs if t.alternative else ())
        )
    )
    return (
        f"- gap_id {gap.id}: purpose {gap.purpose_id}; {gap.primitive} needs {gap.required}, "
        f"model has {gap.model} ({gap.kind}); evidence {spans}; action: {action}"
    )


# -- pass-3 plan --------------------------------------------------------------------------------


class _LlmPlanStep(_Strict):
    id: str
    depends_on: list[str] = Field(default_factory=list, alias="dependsOn")


class _LlmGroup(_Strict):
    type: Literal["dlp", "ilp", "tlp"]
    step_ids: list[str] = Field(alias="stepIds")
    reason: str = ""


class LlmPlanAnswer(_Strict):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    has_parallelism: bool = Field(alias="hasParallelism")
    steps: list[_LlmPlanStep] = Field(default_factory=list)
    parallel_groups: list[_LlmGroup] = Field(default_factory=list, alias="parallelGroups")


class LlmPlanner:
    def __init__(self, llm: JsonLlm, *, max_attempts: int = 3) -> None:
        self.llm = llm
        self.name = f"llm:{llm.name}"
        self.max_attempts = max_attempts
        self.reports: list[LlmCallReport] = []

    def plan(self, skill: SkillSource, harness: HarnessFacts) -> WorkflowDAG:
        base = build_dag(skill.document, harness)
        if len(base.steps) < 2:
            return base.model_copy(update={"planner": self.name})
        steps = "\n".join(
            f"- {s.id} (line {s.line}, {s.workflow}): {s.description}; "
            f"depends on {', '.join(s.depends_on) or 'nothing'}"
            for s in base.steps
        )
        answer, report = call_structured(
            self.llm,
            purpose="plan",
            system=prompts.PLAN_SYSTEM.format(
                ilp="dispatches" if harness.parallel_tool_calls else "does not dispatch",
                tlp="has" if harness.subagents else "has no",
            ),
            user=prompts.PLAN_USER.format(steps=steps, numbered=prompts.numbered(skill.skill_md)),
            output=LlmPlanAnswer,
            max_attempts=self.max_attempts,
        )
        self.reports.append(report)
        if answer is None:
            raise LlmAnalysisFailed(report)
        return dag_from_answer(base, answer, harness, planner=self.name)


def dag_from_answer(
    base: WorkflowDAG, answer: LlmPlanAnswer, harness: HarnessFacts, *, planner: str
) -> WorkflowDAG:
    order = {s.id: i for i, s in enumerate(base.steps)}
    workflow_of = {s.id: s.workflow for s in base.steps}
    deps = {s.id: set(s.depends_on) for s in base.steps}
    for st in answer.steps:
        if st.id not in order:
            continue
        # Only backward edges inside one workflow: the plan may refine, never create a cycle.
        deps[st.id] = {
            d
            for d in st.depends_on
            if d in order and order[d] < order[st.id] and workflow_of[d] == workflow_of[st.id]
        }
    steps = tuple(
        s.model_copy(update={"depends_on": tuple(sorted(deps[s.id], key=order.__getitem__))})
        for s in base.steps
    )
    groups: list[ParallelGroup] = []
    unsupported: list[ParallelGroup] = []
    if answer.has_parallelism:
        downstream: dict[str, set[str]] = {s.id: set() for s in steps}
        for s in steps:
            for d in s.depends_on:
                downstream[d].add(s.id)
        for g in answer.parallel_groups:
            members = list(dict.fromkeys(x for x in g.step_ids if x in order))
            if not _viable(g.type, members, steps, downstream):
                continue
            mechanism = {
                "dlp": "inline_parallel_primitive",
                "ilp": "batched_tool_use",
                "tlp": "sub_agent",
            }[g.type]
            group = ParallelGroup(
                kind=g.type,
                steps=tuple(members),
                mechanism=mechanism,
                reason=g.reason or "model plan",
            )
            supported = (
                g.type == "dlp"
                or (g.type == "ilp" and harness.parallel_tool_calls)
                or (g.type == "tlp" and harness.subagents)
            )
            (groups if supported else unsupported).append(group)
    return WorkflowDAG(
        steps=steps, groups=tuple(groups), unsupported=tuple(unsupported), planner=planner
    )


def _viable(
    kind: str, members: list[str], steps: tuple[WorkflowStep, ...], downstream: dict[str, set[str]]
) -> bool:
    if kind == "dlp":
        return len(members) >= 1
    if len(members) < 2:
        return False
    by_id = {s.id: s for s in steps}
    if any(d in members for m in members for d in by_id[m].depends_on):
        return False
    entries = {tuple(sorted(by_id[m].depends_on)) for m in members}
    if len(entries) == 1:
        return True
    return any(
        sum(1 for m in members if t in downstream[m]) >= 2 for m in members for t in downstream[m]
    )
