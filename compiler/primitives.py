"""The 26 primitive capabilities: category, what L1-L3 mean, how to lower a demand by one level.

Level meanings and degradation guidance follow SkVM's catalogue (``src/core/primitives.ts``,
paraphrased). The guidance is what pass 1 follows when it
compensates a gap; ``None`` means the demand cannot be lowered without changing the task, so only
substitution can help.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from compiler.levels import Level


class Category(StrEnum):
    GENERATION = "generation"
    REASONING = "reasoning"
    TOOL_USE = "tool_use"
    INSTRUCTION_FOLLOWING = "instruction_following"


@dataclass(frozen=True, slots=True)
class Primitive:
    id: str
    category: Category
    description: str
    l1: str
    l2: str
    l3: str
    lower_3_to_2: str | None
    lower_2_to_1: str | None

    def meaning(self, level: Level) -> str:
        """One-line meaning of ``level`` (L0 has none: it is the absence of L1)."""
        if level is Level.L0:
            return "fails even the L1 test"
        return {Level.L1: self.l1, Level.L2: self.l2, Level.L3: self.l3}[level]

    def lowering(self, required: Level) -> str | None:
        """Guidance for lowering a demand from ``required`` to one level below."""
        if required is Level.L3:
            return self.lower_3_to_2
        if required is Level.L2:
            return self.lower_2_to_1
        return None


_G, _R, _T, _F = (
    Category.GENERATION,
    Category.REASONING,
    Category.TOOL_USE,
    Category.INSTRUCTION_FOLLOWING,
)

PRIMITIVES: tuple[Primitive, ...] = (
    Primitive(
        "gen.code.python",
        _G,
        "Write Python code",
        "single-file script with basic syntax and file I/O",
        "standard library modules (csv, json, re, os)",
        "third-party libraries (pandas, requests, numpy)",
        "give explicit imports and basic call patterns; no chaining or advanced features",
        "give explicit open/read/write patterns; parse with split/strip instead of stdlib modules",
    ),
    Primitive(
        "gen.code.javascript",
        _G,
        "Write JavaScript/Node.js code",
        "single file, basic syntax, fs",
        "Node built-ins and npm packages",
        "async/await and complex APIs (DOM, build tools)",
        "replace async/await with callbacks or sync calls; simple npm calls with examples",
        "no npm or built-ins beyond fs; inline explicit patterns",
    ),
    Primitive(
        "gen.code.shell",
        _G,
        "Write shell commands and scripts",
        "basic commands (ls, cat, grep, mkdir)",
        "pipes, redirection, loops",
        "complex pipelines (sed, awk, xargs)",
        "replace sed/awk/xargs by loops or simple pipes; multi-step with variables",
        "one command per step; intermediate results to files",
    ),
    Primitive(
        "gen.code.sql",
        _G,
        "Write SQL",
        "SELECT, WHERE, basic aggregation",
        "JOIN, GROUP BY, subqueries, window functions",
        "CTEs, multi-table queries, optimisation hints",
        "CTEs become subqueries or temporary results; drop hints",
        "JOINs become sequential single-table queries; separate aggregations",
    ),
    Primitive(
        "gen.code.html",
        _G,
        "Write HTML/CSS",
        "headings, lists, links, paragraphs",
        "forms, tables, semantic HTML, basic SVG",
        "complex SVG, responsive layout, accessibility",
        "simpler table layouts and basic shapes; explicit ARIA attributes",
        "only headings, lists, links and paragraphs; give the exact structure",
    ),
    Primitive(
        "gen.text.structured",
        _G,
        "Generate JSON/YAML",
        "valid flat JSON/YAML under 500 bytes",
        "nested JSON/YAML under 5 KB",
        "deeply nested JSON/YAML over 5 KB",
        "chunk outputs below 5 KB; flatten levels",
        "flat key-values only; dot-notation keys",
    ),
    Primitive(
        "gen.text.long",
        _G,
        "Produce long output intact",
        "complete output under 1 KB",
        "1-5 KB with structure",
        "over 5 KB with delimiters intact",
        "split into sequential parts under 5 KB with boundaries or continuation markers",
        "keep each output under 1 KB; independent pieces",
    ),
    Primitive(
        "gen.text.prose",
        _G,
        "Write prose",
        "a short coherent paragraph",
        "multi-paragraph text with a consistent tone",
        "long-form text with sections and transitions",
        "independent headed sections, no cross-section transitions",
        "a single paragraph; give the topic sentence and points",
    ),
    Primitive(
        "gen.regex",
        _G,
        "Write regular expressions",
        "literals, character classes, quantifiers",
        "groups, alternation, anchors",
        "lookaround, named groups",
        "capture broadly, then filter with a second regex or a string check",
        "several simple regexes applied in sequence",
    ),
    Primitive(
        "reason.arithmetic",
        _R,
        "Compute numbers",
        "single-step operations",
        "multi-step calculations (averages, weighted sums)",
        "compound calculations (percentage chains, financial formulas)",
        "explicit intermediate steps and formulas",
        "single steps; precompute or delegate to code",
    ),
    Primitive(
        "reason.logic",
        _R,
        "Reason under constraints",
        "simple if-then",
        "multi-constraint satisfaction",
        "optimisation under constraints",
        "enumerate the feasible options, then pick the best",
        "a chain of single-constraint checks",
    ),
    Primitive(
        "reason.spatial",
        _R,
        "Reason about space and geometry",
        "2D distance and direction",
        "geometry (areas, transforms)",
        "spherical or 3D geometry",
        "2D approximations or explicit formulas; delegate to code",
        "explicit formulas; basic distance and direction only",
    ),
    Primitive(
        "reason.planning",
        _R,
        "Plan and order work",
        "order 3-5 steps with dependencies",
        "decompose goals, identify parallelism",
        "conditional branches, error recovery",
        "explicit decision trees; fallbacks stated up front",
        "a fixed linear list of 3-5 steps in order",
    ),
    Primitive(
        "reason.analysis",
        _R,
        "Analyse code and material",
        "purpose of a short snippet",
        "find bugs in moderate code",
        "multi-file root cause",
        "narrow to named files; give entry points and call chains",
        "short isolated snippets provided inline",
    ),
    Primitive(
        "tool.file.read",
        _T,
        "Read files",
        "read one file by path",
        "read multiple files, handle missing ones",
        "large files with offsets or pagination",
        "pre-split files or give byte/line offsets",
        "exact paths, one file at a time",
    ),
    Primitive(
        "tool.file.write",
        _T,
        "Write files",
        "write under 1 KB",
        "write 1-10 KB",
        "write multiple files in sequence",
        "one file at a time, with confirmation",
        "keep each write under 1 KB; chunk the content",
    ),
    Primitive(
        "tool.exec",
        _T,
        "Execute commands",
        "run a single command",
        "write a script, execute it, save its output",
        "chained multi-step execution",
        "write-then-execute, one script at a time, check the output",
        "give the exact command; no script writing",
    ),
    Primitive(
        "tool.call.format",
        _T,
        "Format tool-call arguments",
        "simple string arguments",
        "structured arguments (JSON, arrays)",
        "nested parameters, special characters",
        "flatten nested parameters; pre-escape",
        "plain string arguments; parse on the other side",
    ),
    Primitive(
        "tool.call.batch",
        _T,
        "Batch tool calls",
        "two parallel reads",
        "five parallel reads plus aggregation",
        "batch with cross-result reasoning",
        "process each result on its own, aggregate explicitly afterwards",
        "two sequential reads, one file at a time",
    ),
    Primitive(
        "tool.web",
        _T,
        "Fetch from the web",
        "simple GET, extract one field",
        "GET with query parameters, parse the response",
        "multiple APIs, pagination",
        "single-page requests (bigger page size); one API at a time",
        "give the exact URL; extract one field",
    ),
    Primitive(
        "tool.browser",
        _T,
        "Drive a browser / parse pages",
        "navigate, wait, extract text",
        "forms, clicks, dynamic content",
        "multi-step workflows with authentication",
        "independent single-page actions; authentication up front",
        None,
    ),
    Primitive(
        "follow.format",
        _F,
        "Follow an output format",
        "output in a named format (JSON)",
        "conform to a schema",
        "several format constraints at once",
        "one constraint at a time; post-process",
        "an exact template with placeholders",
    ),
    Primitive(
        "follow.constraint",
        _F,
        "Obey constraints",
        "one MUST constraint",
        "3-5 simultaneous constraints",
        "constraints conflicting with priors",
        "rephrase prior-conflicting constraints as positive instructions",
        "keep the most critical constraint inline; the others become post-checks",
    ),
    Primitive(
        "follow.procedure",
        _F,
        "Follow a procedure",
        "3 sequential steps",
        "5-7 steps with branches",
        "loops and verification",
        "a fixed number of explicit iterations; inline stop criteria",
        "3 steps, no branches, common path only",
    ),
    Primitive(
        "follow.delegation",
        _F,
        "Delegate computation to code",
        "write and execute a script",
        "prefer code over mental computation",
        "consistent delegation whenever it is obvious",
        "mark explicitly what to delegate; trigger phrases",
        "give an exact script template; always use code",
    ),
    Primitive(
        "follow.style",
        _F,
        "Keep a style",
        "switch formal/casual",
        "a specific persona or register",
        "consistent style across long output",
        "shorter sections, each with a style reminder",
        "a simple tone choice; explicit word examples",
    ),
)

CATALOGUE: dict[str, Primitive] = {p.id: p for p in PRIMITIVES}
PRIMITIVE_IDS: tuple[str, ...] = tuple(p.id for p in PRIMITIVES)


def get_primitive(primitive_id: str) -> Primitive:
    try:
        return CATALOGUE[primitive_id]
    except KeyError:
        raise KeyError(f"unknown primitive {primitive_id!r}") from None
