"""Pass 3: workflow steps, their data dependencies (a networkx DAG), and parallel groups.

Steps come from the skill's structure: each numbered list of two or more items, and each run of
"Step N" headings, is a workflow. A step *produces* the files it writes and *consumes* the files
it reads; a step depends on the earlier steps whose output it consumes. Conservatively, a step
also depends on its predecessor unless it names an external input of its own and no word ties
it to earlier results; a step that merges ("combine", "summarise", "compare") depends on every
earlier step nothing else consumes.

Groups (SkVM's, docs/compiler.md): DLP, one step applying one operation to many items (always
viable, needs no harness support); ILP, two or more independent single-call steps, or one step
fanning a single call out over many items; TLP, two or more independent multi-turn sub-tasks.
ILP/TLP groups are viable only with a shared entry (identical dependencies) or a shared
downstream step, and are kept only when the harness dispatches parallel tool calls (ILP) or has
sub-agents (TLP); the others are recorded as unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from compiler.codescan import words
from compiler.harness import HarnessFacts
from compiler.markdown import Document, ListItem
from compiler.scr_rules import ordered_lists

if TYPE_CHECKING:
    import networkx as nx

    from compiler.skill import SkillSource

PASS3_HEADING = "## Parallel execution hints"

GroupKind = Literal["dlp", "ilp", "tlp"]

_FILE = re.compile(
    r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.(?:json|jsonl|csv|tsv|md|txt|ya?ml|html?|py|sh|ics|xlsx|"
    r"docx|pptx|pdf|sql|js|ts|xml|log|ini|toml))\b"
)
_WRITE = re.compile(
    r"\b(?:write|writes|save|saves|create|creates|generate|output|export|produce|emit|append|store|"
    r"add|adds|into)\b",
    re.I,
)
_BACKREF = re.compile(
    r"\b(?:the (?:results?|outputs?|findings|data|list|draft|report|answers?|values?)|"
    r"from step \d+|"
    r"step \d+|above|previous|then|after(?:wards)?|once|based on|using (?:the|these|those|them)|"
    r"these|those|them|it)\b",
    re.I,
)
_MERGE = re.compile(
    r"\b(?:combine|merge|synthesi[sz]e|summari[sz]e|aggregate|compile|consolidate|compare|"
    r"cross-reference|reconcile)\b",
    re.I,
)
_FANOUT = re.compile(
    r"\b(?:each(?: of the)?|every|all(?: the| of the)?|multiple|several)\s+(?:\w+\s){0,2}"
    r"(?P<noun>files|urls|pages|sources|documents|sites|repos|repositories|images|csvs|reports|endpoints|apis|items|rows|"
    r"records|tickets|services|modules|packages|file|url|page|source|document|image|item|record)\b",
    re.I,
)
_URLS = re.compile(r"https?://[^\s`)>\]]+")
_PLURAL_TARGET = re.compile(
    r"(?<![\w./-])(?:files|urls|pages|sources|documents|sites|images|csvs|reports|endpoints|apis)"
    r"(?![\w.])",
    re.I,
)
_CALL_VERBS = words(
    """
    read open view fetch download load list run check get query search inspect look gather
    collect
    """
)
# Calls without side effects: the only ones safe to issue together or to fan out.
_READ_VERBS = words(
    """
    read open view fetch download load get query search inspect look gather collect
    """
)
_CALL_OPS = re.compile(
    r"\b(?:read|open|view|fetch|download|load|get|query|search|look up|gather|collect|web_fetch)\b",
    re.I,
)
_TASK_VERBS = words(
    """
    analyze analyse write draft implement review research design refactor investigate build fix
    test evaluate audit process convert transform summarize summarise
    """
)


class WorkflowStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    workflow: str
    description: str
    line: int  # 1-based
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = Field(default=(), serialization_alias="dependsOn")
    kind: Literal["call", "task", "fanout", "step"] = "step"


class ParallelGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: GroupKind
    steps: tuple[str, ...]
    mechanism: str
    reason: str
    fallback: str = "sequential_execution"


class WorkflowDAG(BaseModel):
    model_config = ConfigDict(frozen=True)

    steps: tuple[WorkflowStep, ...] = ()
    groups: tuple[ParallelGroup, ...] = ()
    unsupported: tuple[ParallelGroup, ...] = ()
    planner: str = "rules"

    @property
    def has_ilp(self) -> bool:
        return any(g.kind == "ilp" for g in self.groups)

    def graph(self) -> nx.DiGraph:
        import networkx as nx  # compile time only; the runtime never needs it

        g = nx.DiGraph()
        for s in self.steps:
            g.add_node(s.id, description=s.description)
        for s in self.steps:
            for dep in s.depends_on:
                g.add_edge(dep, s.id)
        return g

    def to_json_dict(self) -> dict[str, object]:
        """The reference's WorkflowDAG shape (steps with dependsOn, parallelism) plus extras."""
        return {
            "steps": [
                {
                    "id": s.id,
                    "workflow": s.workflow,
                    "description": s.description,
                    "line": s.line,
                    "kind": s.kind,
                    "produces": list(s.produces),
                    "consumes": list(s.consumes),
                    "dependsOn": list(s.depends_on),
                }
                for s in self.steps
            ],
            "parallelism": [
                {
                    "type": g.kind,
                    "steps": list(g.steps),
                    "mechanism": g.mechanism,
                    "reason": g.reason,
                    "fallback": g.fallback,
                }
                for g in self.groups
            ],
            "unsupported": [
                {
                    "type": g.kind,
                    "steps": list(g.steps),
                    "mechanism": g.mechanism,
                    "reason": g.reason,
                }
                for g in self.unsupported
            ],
            "planner": self.planner,
        }


@dataclass(frozen=True, slots=True)
class _RawStep:
    workflow: str
    index: int
    line: int
    title: str  # the item's own text or the step heading
    text: str  # everything the step says (for its files)


def _clean(text: str) -> str:
    text = re.sub(r"\*\*|__|`", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _title_of(text: str) -> str:
    m = re.match(r"\s*\*\*(.+?)\*\*", text)
    if m:
        return _clean(m.group(1)).rstrip(":.—-").strip()
    short = _clean(text)
    return short if len(short) <= 60 else short[:57].rstrip() + "…"


def extract_steps(doc: Document) -> list[list[_RawStep]]:
    workflows: list[list[_RawStep]] = []
    for n, group in enumerate(ordered_lists(doc), start=1):
        if len(group) < 2:
            continue
        heading = doc.section_of(group[0].line)
        name = heading.text if heading else f"list {n}"
        workflows.append([_raw(doc, name, i, item, group) for i, item in enumerate(group, start=1)])
    step_headings = [h for h in doc.headings if re.match(r"(?:step|phase)\s+\d+", h.text, re.I)]
    if len(step_headings) >= 2:
        parent = doc.section_of(step_headings[0].line - 1)
        name = parent.text if parent else "steps"
        raws = []
        for i, h in enumerate(step_headings, start=1):
            end = next(
                (x.line for x in doc.headings if x.line > h.line and x.level <= h.level),
                len(doc.lines),
            )
            body = " ".join(doc.lines[h.line + 1 : min(end, h.line + 12)])
            title = re.sub(r"^(?:step|phase)\s+[\d.]+\s*[:.—-]?\s*", "", h.text, flags=re.I)
            raws.append(_RawStep(name, i, h.line, title, body))
        workflows.append(raws)
    return workflows


def _raw(doc: Document, name: str, index: int, item: ListItem, group: list[ListItem]) -> _RawStep:
    nxt = next((g.line for g in group if g.line > item.line), None)
    end = (nxt - 1) if nxt is not None else item.end
    lines = [doc.lines[k] for k in range(item.end + 1, end + 1) if not doc.in_fence[k]]
    return _RawStep(name, index, item.line, item.text, " ".join([item.text, *lines]))


def _files(text: str) -> tuple[list[str], list[str]]:
    produces: list[str] = []
    consumes: list[str] = []
    for m in _FILE.finditer(text):
        name = m.group(1)
        before = text[max(0, m.start() - 60) : m.start()]
        clause = re.split(r"[.;:]\s", before)[-1]
        target = produces if _WRITE.search(clause) else consumes
        if name not in target:
            target.append(name)
    return produces, consumes


def _lead_verb(text: str) -> str:
    m = re.match(r"[^A-Za-z]*([A-Za-z]+)", _clean(text))
    return m.group(1).lower() if m else ""


def _kind(title: str) -> Literal["call", "task", "fanout", "step"]:
    """Classified by the step's leading verb and title only (conservative)."""
    verb = _lead_verb(title)
    plain = _clean(title)
    if verb in _READ_VERBS and (_FANOUT.search(plain) or _PLURAL_TARGET.search(plain)):
        return "fanout"
    if verb in _TASK_VERBS and _FANOUT.search(plain):
        return "fanout"
    if verb in _READ_VERBS:
        return "call"
    return "task" if verb in _TASK_VERBS else "step"


def build_dag(doc: Document, harness: HarnessFacts) -> WorkflowDAG:
    steps: list[WorkflowStep] = []
    viable: list[ParallelGroup] = []
    for w, raws in enumerate(extract_steps(doc), start=1):
        built = _workflow_steps(w, raws)
        steps.extend(built)
        viable.extend(_groups(built))
    import networkx as nx  # compile time only; the runtime never needs it

    graph = nx.DiGraph()
    graph.add_nodes_from(s.id for s in steps)
    graph.add_edges_from((d, s.id) for s in steps for d in s.depends_on)
    if not nx.is_directed_acyclic_graph(graph):  # cannot happen with backward-only edges
        return WorkflowDAG(steps=tuple(steps))
    line_of = {s.id: s.line for s in steps}
    viable.sort(key=lambda g: line_of[g.steps[0]])
    kept = tuple(g for g in viable if _supported(g, harness))
    dropped = tuple(g for g in viable if not _supported(g, harness))
    return WorkflowDAG(steps=tuple(steps), groups=kept, unsupported=dropped)


def _supported(g: ParallelGroup, harness: HarnessFacts) -> bool:
    if g.kind == "ilp":
        return harness.parallel_tool_calls
    if g.kind == "tlp":
        return harness.subagents
    return True


def _workflow_steps(w: int, raws: list[_RawStep]) -> list[WorkflowStep]:
    out: list[WorkflowStep] = []
    produced_by: dict[str, str] = {}
    consumed_ids: set[str] = set()
    for raw in raws:
        sid = f"w{w}s{raw.index}"
        produces, consumes = _files(raw.text)
        deps: list[str] = [produced_by[f] for f in consumes if f in produced_by]
        plain = _clean(raw.text)
        kind = _kind(raw.title)
        external = [f for f in consumes if f not in produced_by] + _URLS.findall(raw.text)
        tied = bool(_BACKREF.search(plain))
        # Independence needs evidence: a read-only call naming its own input, or a sub-task
        # naming its own input right after another such sub-task.
        free = (
            bool(external)
            and not tied
            and (
                kind in ("call", "fanout")
                or (kind == "task" and bool(out) and out[-1].kind == "task")
            )
        )
        if out and _MERGE.search(plain):
            deps.extend(s.id for s in out if s.id not in consumed_ids)
        elif out and not free and not deps:
            deps.append(out[-1].id)
        deps = list(dict.fromkeys(deps))
        consumed_ids.update(deps)
        for f in produces:
            produced_by[f] = sid
        out.append(
            WorkflowStep(
                id=sid,
                workflow=raw.workflow,
                description=_title_of(raw.title),
                line=raw.line + 1,
                produces=tuple(produces),
                consumes=tuple(consumes),
                depends_on=tuple(deps),
                kind=kind,
            )
        )
    return out


def _groups(steps: list[WorkflowStep]) -> list[ParallelGroup]:
    groups: list[ParallelGroup] = []
    for s in steps:
        if s.kind != "fanout":
            continue
        if _lead_verb(s.description) in _READ_VERBS:
            groups.append(
                ParallelGroup(
                    kind="ilp",
                    steps=(s.id,),
                    mechanism="batched_tool_use",
                    reason=f"{s.description}: one call per item, all independent",
                )
            )
        else:
            groups.append(
                ParallelGroup(
                    kind="dlp",
                    steps=(s.id,),
                    mechanism="inline_parallel_primitive",
                    reason=f"{s.description}: the same operation over many items",
                )
            )
    downstream: dict[str, set[str]] = {s.id: set() for s in steps}
    for s in steps:
        for d in s.depends_on:
            downstream[d].add(s.id)
    for kind, member_kind, mechanism in (
        ("ilp", "call", "batched_tool_use"),
        ("tlp", "task", "sub_agent"),
    ):
        candidates = [s for s in steps if s.kind == member_kind]
        by_entry: dict[tuple[str, ...], list[WorkflowStep]] = {}
        for s in candidates:
            by_entry.setdefault(tuple(sorted(s.depends_on)), []).append(s)
        for entry, members in by_entry.items():
            independent = [
                m for m in members if not any(d in {x.id for x in members} for d in m.depends_on)
            ]
            if len(independent) < 2:
                continue
            shared_downstream = any(
                sum(1 for m in independent if t in downstream[m.id]) >= 2
                for t in downstream_all(independent, downstream)
            )
            reason = "shared inputs" if entry or not shared_downstream else "shared downstream step"
            groups.append(
                ParallelGroup(
                    kind=kind,
                    steps=tuple(m.id for m in independent),
                    mechanism=mechanism,
                    reason=f"independent {'single calls' if kind == 'ilp' else 'sub-tasks'} "
                    f"with {reason}",
                )
            )
    return groups


def downstream_all(members: list[WorkflowStep], downstream: dict[str, set[str]]) -> set[str]:
    out: set[str] = set()
    for m in members:
        out |= downstream[m.id]
    return out


def render_hints(dag: WorkflowDAG) -> str:
    """The section appended to the variant (empty when there is no supported group)."""
    if not dag.groups:
        return ""
    by_id = {s.id: s for s in dag.steps}
    lines = [
        PASS3_HEADING,
        "",
        "Where these steps apply, they can run in parallel; where that is not possible, run them "
        "in order as written.",
        "",
    ]
    for g in dag.groups:
        members = [by_id[s] for s in g.steps]
        where = f'"{members[0].workflow}"'
        names = "; ".join(f"step {m.id.split('s')[-1]} ({m.description})" for m in members)
        if g.kind == "dlp":
            how = (
                "process the items concurrently (e.g. `xargs -P 4`, `multiprocessing.Pool`) "
                "and merge the results afterwards"
            )
        elif g.kind == "ilp" and len(members) == 1:
            verb = _lead_verb(members[0].description)
            m = _FANOUT.search(members[0].description) or _PLURAL_TARGET.search(
                members[0].description
            )
            noun = (
                m.group("noun") if m and "noun" in m.groupdict() else m.group(0) if m else "item"
            ).lower()
            noun = {"urls": "URL", "url": "URL", "apis": "API"}.get(
                noun, noun.rstrip("s") if noun.endswith("s") else noun
            )
            how = (
                f"issue one {verb} call per {noun}, all in the same turn, then use the results "
                f"together"
            )
        elif g.kind == "ilp":
            how = (
                "issue these tool calls together in one turn, and use each result where it is "
                "needed"
            )
        else:
            how = (
                "give each to its own sub-agent once their shared inputs are ready, then merge "
                "their outputs"
            )
        lines.append(f"- {where}, {names}: {how}.")
    return "\n".join(lines)


def render_mermaid(dag: WorkflowDAG) -> str:
    out = ["graph TD"]
    for s in dag.steps:
        label = s.description.replace('"', "'")
        out.append(f'  {s.id}["{s.id}: {label}"]')
    for s in dag.steps:
        for d in s.depends_on:
            out.append(f"  {d} --> {s.id}")
    for n, g in enumerate(dag.groups, start=1):
        out.append(f'  subgraph g{n}["{g.kind.upper()} group {n}"]')
        out.extend(f"    {sid}" for sid in g.steps)
        out.append("  end")
    return "\n".join(out) + "\n"


class ParallelPlanner(Protocol):
    """Pass-3 planner interface (rule-based and LLM-backed)."""

    name: str

    def plan(self, skill: SkillSource, harness: HarnessFacts) -> WorkflowDAG: ...


class RulePlanner:
    name = "rules"

    def plan(self, skill: SkillSource, harness: HarnessFacts) -> WorkflowDAG:
        return build_dag(skill.document, harness)


def append_hints(text: str, hints: str) -> str:
    """The variant text with the hints section appended (unchanged when there are none)."""
    if not hints:
        return text
    nl = "\r\n" if "\r\n" in text else "\n"
    return text.rstrip("\r\n") + nl + nl + hints.replace("\n", nl) + nl
