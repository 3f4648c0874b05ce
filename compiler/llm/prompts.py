"""Prompts for the LLM-backed analysers (SkVM's, summarised and tightened: its SCR extractor,
agentic rewrite and parallelism pass; see docs/compiler.md)."""

from __future__ import annotations

from compiler.levels import Level
from compiler.primitives import PRIMITIVES


def catalogue_text() -> str:
    return "\n".join(
        f"- {p.id} ({p.category.value}): L1 {p.l1}; L2 {p.l2}; L3 {p.l3}" for p in PRIMITIVES
    )


def numbered(text: str) -> str:
    return "\n".join(f"{i:>4}| {line}" for i, line in enumerate(text.split("\n"), start=1))


SCR_SYSTEM = """\
You are a skill compiler analysing what an agent skill demands of the model that follows it. Be \
precise and conservative: list a primitive only where the skill's text requires it, at the lowest \
level that text needs.

Decompose the skill into purposes (functional goals, usually one per main section). For each \
purpose list the primitive capabilities its current approach needs, each with a minimum level \
(L1, L2 or L3) and the evidence: the 1-based line range in the numbered SKILL.md and a short exact \
quote from those lines. Where the same goal could be reached with different primitives (e.g. a \
pandas script instead of SQL, a script instead of mental arithmetic), add an alternative path \
with its primitives and a one-sentence note. Use only these primitive ids:

{catalogue}
"""

SCR_USER = """\
Skill name: {name}

SKILL.md (line numbers on the left are not part of the file):
{numbered}
"""

REWRITE_SYSTEM = """\
You are a compensation editor for agent skills, not a general improver. For each capability gap \
you are given, reason purpose -> primitive -> required level -> model level -> the direction in \
which the demand should drop -> one local text edit. Prefer the smallest set of local edits; gaps \
the model lacks entirely and larger gaps first; skip a gap you cannot map to a concrete span of \
its evidence.

Allowed: simplify one local sentence; replace an open-ended instruction with one default path; \
add at most one short, concrete clarifying sentence per gap (an explicit command, call pattern, \
formula or order); simplify an execution or output shape. A substitution may replace the \
instruction at its evidence with the alternative path.

Forbidden: new sections or headings; removing checklist items, quality criteria, validation \
requirements, outputs or steps; narrowing the task's scope or coverage; wholesale rewrites; \
turning short instructions into long procedures; generic advice ("verify carefully", "retry"); \
anything that increases the demand (extra branches, passes, loops); editing more than {max_edits} \
places; mentioning tools the agent does not have ({tools}). Never touch the frontmatter, headings \
or code blocks unless a substitution replaces a block. When in doubt, leave the text unchanged \
and return fewer edits.

Each edit is anchored at a line inside one of its gap's evidence spans: op "append" adds text at \
the end of that line, "insert_after" adds a new paragraph after that line, "replace" replaces the \
exact substring "old" (which must occur once on that line) with "text". Answer the six questions \
for every edit: purpose, primitive, levels, span, direction, how the demand drops.
"""

REWRITE_USER = """\
SKILL.md (numbered):
{numbered}

Gaps to address (at most {max_edits} edits in total):
{gaps}
"""

PLAN_SYSTEM = """\
You are a skill compiler looking for parallelism in an agent skill's workflow. Definitions: DLP, \
one step applies the same operation to many independent items (run with xargs -P, \
multiprocessing, Promise.all); ILP, two or more independent steps that are each one tool call \
(issue them in the same turn); TLP, two or more independent sub-tasks that each need several \
turns (one sub-agent each). Prefer false negatives: mark steps parallel only when they start \
from the same available inputs and their results can be merged; a linear workflow has no \
parallelism. Prefer DLP over ILP for homogeneous collections and ILP over TLP when each branch is \
one call. Use only the step ids given. The harness {ilp} parallel tool calls and {tlp} sub-agents.
"""

PLAN_USER = """\
Steps found in the skill (id, line, description, current dependencies):
{steps}

SKILL.md (numbered):
{numbered}
"""


def level_name(level: Level) -> str:
    return str(level)
