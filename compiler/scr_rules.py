"""The rule-based SCR analyser's rules. Each rule is a small named function from the parsed skill
to *hits* (primitive, level, lines, quote, details); ``compiler.scr_extract`` groups hits into
purposes. Table-driven signals live in ``compiler.signals``.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from compiler.codescan import KNOWN_CLIS, STDLIB, python_imports, shell_lines, words
from compiler.levels import Level
from compiler.markdown import Document, Fence
from compiler.signals import (
    CSS_LANGS,
    DATA_LANGS,
    FILE_FORMATS,
    HTML_LANGS,
    JS_LANGS,
    LIBRARIES,
    LIBRARY_BY_NAME,
    PATTERN_SIGNALS,
    PYTHON_LANGS,
    SHELL_COMMAND_BY_WORD,
    SHELL_LANGS,
    SQL_LANGS,
    TEMPLATE_LANGS,
    PatternSignal,
)
from compiler.skill import SkillSource

L1, L2, L3 = Level.L1, Level.L2, Level.L3


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    primitive: str
    level: Level
    start: int  # 0-based first line
    end: int  # 0-based last line (inclusive)
    note: str
    detail: dict[str, Any] = field(default_factory=dict)


class RuleContext:
    """The skill plus views the rules share (prose text with line offsets, fence kinds)."""

    def __init__(self, skill: SkillSource) -> None:
        self.skill = skill
        self.doc: Document = skill.document

    @cached_property
    def prose(self) -> str:
        """Body text with fenced lines blanked, so offsets map back to lines."""
        lines = self.doc.lines
        return "\n".join(
            "" if (i < self.doc.body_start or self.doc.in_fence[i]) else lines[i]
            for i in range(len(lines))
        )

    @cached_property
    def prose_lower(self) -> str:
        """Lower-cased prose with the same offsets (falls back when case folding changes length)."""
        lower = self.prose.lower()
        if len(lower) == len(self.prose):
            return lower
        return "".join(c.lower() if len(c.lower()) == 1 else c for c in self.prose)

    @cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        for line in self.prose.split("\n")[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        return starts

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._line_starts, offset) - 1

    @cached_property
    def shell_fences(self) -> tuple[Fence, ...]:
        return tuple(f for f in self.doc.fences if _is_shell_fence(f))


def _is_shell_fence(f: Fence) -> bool:
    if f.lang in SHELL_LANGS:
        return True
    if f.lang:
        return False
    lines = [
        ln.strip() for ln in f.body.split("\n") if ln.strip() and not ln.strip().startswith("#")
    ]
    if not lines:
        return False
    commandish = sum(1 for ln in lines if ln.startswith("$ ") or ln.split()[0] in KNOWN_CLIS)
    return commandish * 2 >= len(lines)


Rule = Callable[[RuleContext], Iterator[Hit]]


def literal_keys(pattern: str, flags: int = 0) -> tuple[str, ...] | None:
    """Literal strings one of which every match must contain (its first literal run per
    branch), or None when that cannot be told. A cheap ``in`` test on them skips most regex
    scans; scanning 35 KB with a ``\\b(?:...)`` alternation costs ~0.5 ms, ``in`` ~0.01 ms."""
    try:
        parsed = _sre_parse(pattern, flags)
    except Exception:  # an unusual pattern: no prefilter, still correct
        return None
    keys = _first_literals(list(parsed))
    if not keys or any(len(k) < 2 for k in keys):
        return None
    return tuple(k.lower() for k in keys) if flags & re.IGNORECASE else tuple(keys)


def _sre_parse(pattern: str, flags: int) -> Any:
    import importlib

    # The stdlib's own regex parser (no stubs for the private module); prefilter only.
    return importlib.import_module("re._parser").parse(pattern, flags)


def _first_literals(items: list[Any]) -> list[str] | None:
    import importlib

    c: Any = importlib.import_module("re._parser")  # re-exports the opcode constants

    i = 0
    while i < len(items) and items[i][0] is c.AT:  # anchors (\b, ^) match no text
        i += 1
    if i >= len(items):
        return None
    op, arg = items[i]
    if op is c.LITERAL:
        run = []
        while i < len(items) and items[i][0] is c.LITERAL:
            run.append(chr(items[i][1]))
            i += 1
        return ["".join(run)]
    if op is c.SUBPATTERN:
        return _first_literals(list(arg[-1]))
    if op is c.BRANCH:
        out: list[str] = []
        for branch in arg[1]:
            keys = _first_literals(list(branch))
            if keys is None:
                return None
            out.extend(keys)
        return out
    return None


# -- phrase signals ------------------------------------------------------------------------


_IMPERATIVES = words(
    """
    write create generate produce use read open fetch calculate compute analyze analyse review
    identify define list check verify run save follow match maintain keep add build draft apply
    make ensure avoid never always do don't split break combine compare prioritize prioritise
    rank estimate convert format output return respond include provide document map plan pick
    choose select extract parse search scan validate test fix rewrite replace remove find get
    send call query collect gather summarize summarise synthesize report present explain
    describe note record update set go start begin stop try load export import install deploy
    design implement structure organize organise group sort filter count measure track lead
    quantify state recommend ask confirm cross-reference pull research proceed route detect
    spawn fill submit click navigate wait log sign copy paste edit delete move rename
    """
)
_MARKER = re.compile(r"^\s*(?:>\s*)?(?:[-*+]|\d+[.)])?\s*(?:\[[ xX]\]\s*)?")
_WORD = re.compile(r"[*_\s]*([A-Za-z][A-Za-z'-]*)")
_SECOND_PERSON = re.compile(
    r"\b(?:you|your|must|should|always|never|make sure|be sure|remember to|need to|needs to)\b",
    re.I,
)


def is_instruction(line: str) -> bool:
    """Does the line tell the agent to do something (imperative or second person)?

    Looks at the first word, the first word after a bold label ("**Output:** write ...") and
    the first word after a colon or dash ("Label — do this").
    """
    if _SECOND_PERSON.search(line):
        return True
    body = _MARKER.sub("", line, count=1)
    starts = [body]
    bold = re.match(r"\s*\*\*[^*]{1,80}\*\*\s*[:—–-]*\s*", body)
    if bold:
        starts.append(body[bold.end() :])
    parts = re.split(r"[:—–]\s+|\s-\s", body, maxsplit=1)
    if len(parts) == 2:
        starts.append(parts[1])
    for start in starts:
        m = _WORD.match(start)
        if m and m.group(1).lower() in _IMPERATIVES:
            return True
    return False


def make_phrase_rule(signals: tuple[PatternSignal, ...]) -> Rule:
    """A rule matching every signal of a table: adding a signal is one table entry."""
    # Case-insensitive signals run without re.IGNORECASE on lower-cased text (several times
    # faster); the patterns are written in lower case.
    compiled = tuple(
        (
            sig,
            re.compile(sig.pattern, sig.flags & ~re.IGNORECASE),
            bool(sig.flags & re.IGNORECASE),
            literal_keys(sig.pattern, sig.flags),
        )
        for sig in signals
    )

    def rule_phrases(ctx: RuleContext) -> Iterator[Hit]:
        """Each phrase signal, once per line; tables hold reference data, so rows are skipped,
        and most signals count only on lines that instruct."""
        text = ctx.prose
        lower = ctx.prose_lower
        for signal, regex, folded, keys in compiled:
            haystack = lower if folded else text
            if keys is not None and not any(k in haystack for k in keys):
                continue
            seen: set[int] = set()
            for m in regex.finditer(haystack):
                line = ctx.line_of(m.start())
                if line in seen:
                    continue
                seen.add(line)
                if ctx.doc.table_at(line) is not None:
                    continue
                if signal.instruction_only and not is_instruction(ctx.doc.lines[line]):
                    continue
                yield Hit(
                    signal.id,
                    signal.primitive,
                    signal.level,
                    line,
                    line,
                    signal.note,
                    {"match": m.group(0)},
                )

    return rule_phrases


rule_phrases = make_phrase_rule(PATTERN_SIGNALS)


# -- code blocks by language ---------------------------------------------------------------


def rule_python_blocks(ctx: RuleContext) -> Iterator[Hit]:
    """Python blocks: basic code (L1), stdlib imports (L2), third-party imports (L3)."""
    local = {PurePosixPath(p).stem for p in ctx.skill.bundle_paths if p.endswith(".py")}
    for f in ctx.doc.fences:
        if f.lang not in PYTHON_LANGS or len(f.body.strip()) < 10:
            continue
        yield Hit("python.block", "gen.code.python", L1, f.start, f.end, "includes Python code")
        for imp in python_imports(f.body):
            if imp.module in local:
                continue
            line = f.start + 1 + imp.line
            if imp.module in STDLIB:
                yield Hit(
                    "python.stdlib",
                    "gen.code.python",
                    L2,
                    line,
                    line,
                    f"uses the standard library ({imp.module})",
                    {"module": imp.module},
                )
                continue
            yield Hit(
                "python.third_party",
                "gen.code.python",
                L3,
                line,
                line,
                f"uses a third-party library ({imp.module})",
                {"library": imp.module},
            )
            lib = LIBRARY_BY_NAME.get(imp.module)
            if lib is not None and lib.primitive != "gen.code.python":
                yield Hit(
                    f"library.{lib.name}",
                    lib.primitive,
                    lib.level,
                    line,
                    line,
                    f"uses {lib.name}",
                    {"library": lib.name},
                )


def rule_shell_blocks(ctx: RuleContext) -> Iterator[Hit]:
    """Shell blocks: commands to run (tool.exec), and the shell constructs they need."""
    for f in ctx.shell_fences:
        lines = shell_lines(f.body)
        if not lines:
            continue
        yield Hit("shell.block", "tool.exec", L1, f.start, f.end, "runs shell commands")
        for sl in lines:
            at = f.start + 1 + sl.line
            words = [c.word for c in sl.commands]
            if "|" in sl.operators or sl.loop or ">" in sl.operators or sl.substitution:
                what = "a pipeline" if "|" in sl.operators else "redirection or a loop"
                yield Hit(
                    "shell.pipes",
                    "gen.code.shell",
                    L2,
                    at,
                    at,
                    f"uses {what}",
                    {"command": sl.text},
                )
            else:
                yield Hit(
                    "shell.command",
                    "gen.code.shell",
                    L1,
                    at,
                    at,
                    "runs a command",
                    {"command": sl.text},
                )
            if "&&" in sl.operators and len(sl.commands) >= 2:
                yield Hit(
                    "shell.chain", "tool.exec", L3, at, at, "chains commands", {"command": sl.text}
                )
            for word in words:
                known = SHELL_COMMAND_BY_WORD.get(word)
                if known is not None:
                    yield Hit(
                        f"shell.{word}",
                        known.primitive,
                        known.level,
                        at,
                        at,
                        f"uses {word}",
                        {"command": sl.text, "tool": word},
                    )
            urls = re.findall(r"https?://[^\s\"'`)>]+", sl.text)
            if any("?" in u and "=" in u for u in urls):
                yield Hit(
                    "shell.query",
                    "tool.web",
                    L2,
                    at,
                    at,
                    "requests a URL with parameters",
                    {"url": urls[0]},
                )


_SQL_L3 = re.compile(r"\bWITH\s+(?:RECURSIVE\s+)?\w+\s+AS\s*\(|/\*\+|\bEXPLAIN\b", re.I)
_SQL_L2 = re.compile(r"\bJOIN\b|\bGROUP\s+BY\b|\bHAVING\b|\bOVER\s*\(|\(\s*SELECT\b", re.I)


def rule_sql_blocks(ctx: RuleContext) -> Iterator[Hit]:
    for f in ctx.doc.fences:
        if f.lang not in SQL_LANGS or len(f.body.strip()) < 10:
            continue
        level, note = L1, "writes SQL"
        if _SQL_L3.search(f.body):
            level, note = L3, "writes SQL with CTEs"
        elif _SQL_L2.search(f.body):
            level, note = L2, "writes SQL with joins or grouping"
        yield Hit("sql.block", "gen.code.sql", level, f.start, f.end, note)


_JS_L3 = re.compile(r"\basync\b|\bawait\b|\bPromise\.|\bdocument\.|addEventListener|querySelector")
_NODE = re.compile(r"\brequire\(['\"](?:fs|path|child_process)|\bprocess\.|\bfs\.\w+\(")
_JS_DOM = re.compile(r"\bdocument\.|\bwindow\.|\bReact\b|<[A-Z]\w*[\s/>]")
_JS_L2 = re.compile(r"\brequire\(|^\s*import\s.+\sfrom\s", re.M)


def rule_js_blocks(ctx: RuleContext) -> Iterator[Hit]:
    for f in ctx.doc.fences:
        if f.lang not in JS_LANGS or len(f.body.strip()) < 10:
            continue
        level, note = L1, "writes JavaScript"
        if _JS_L3.search(f.body):
            level, note = L3, "writes async or DOM JavaScript"
        elif _JS_L2.search(f.body):
            level, note = L2, "writes JavaScript with modules"
        node = (
            bool(_NODE.search(f.body))
            and not _JS_DOM.search(f.body)
            and f.lang not in {"jsx", "tsx"}
        )
        yield Hit("js.block", "gen.code.javascript", level, f.start, f.end, note, {"node": node})


_HTML_L3 = re.compile(r"@media\b|\baria-|<canvas\b|\bgrid-template|<path\s[^>]*\bd=", re.I)
_HTML_L2 = re.compile(r"<(?:table|form|svg|header|main|section|nav|footer|article)\b", re.I)


def rule_html_blocks(ctx: RuleContext) -> Iterator[Hit]:
    for f in ctx.doc.fences:
        if f.lang not in HTML_LANGS and f.lang not in CSS_LANGS:
            continue
        if len(f.body.strip()) < 10:
            continue
        level, note = (L2, "writes CSS") if f.lang in CSS_LANGS else (L1, "writes HTML")
        if _HTML_L3.search(f.body):
            level, note = L3, "writes responsive or complex HTML/SVG"
        elif _HTML_L2.search(f.body):
            level, note = L2, "writes structured HTML"
        yield Hit("html.block", "gen.code.html", level, f.start, f.end, note)


_OUTPUT_CONTEXT = re.compile(
    r"\b(?:output|return|respond|generate|produce|create|write|save|emit|format|structure|schema|"
    r"template|shape)\b",
    re.I,
)


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _context_before(ctx: RuleContext, line: int, span: int = 3) -> str:
    lines = ctx.doc.lines
    out: list[str] = []
    k = line - 1
    while k >= ctx.doc.body_start and len(out) < span:
        if lines[k].strip() and not ctx.doc.in_fence[k]:
            out.append(lines[k])
        elif ctx.doc.in_fence[k]:
            break
        k -= 1
    return " ".join(reversed(out))


def rule_structured_outputs(ctx: RuleContext) -> Iterator[Hit]:
    """JSON/YAML examples presented as something to produce: size and nesting set the level."""
    for f in ctx.doc.fences:
        if f.lang not in DATA_LANGS or len(f.body.strip()) < 10:
            continue
        if not _OUTPUT_CONTEXT.search(_context_before(ctx, f.start)):
            continue
        size = len(f.body.encode("utf-8"))
        depth = 2
        if f.lang.startswith("json"):
            try:
                depth = _depth(json.loads(f.body))
            except ValueError:
                depth = max(1, min(f.body.count("{"), 4))
        else:
            indents = [len(ln) - len(ln.lstrip()) for ln in f.body.split("\n") if ln.strip()]
            depth = 1 + max(indents, default=0) // 2
        if size > 5000 or depth >= 5:
            level = L3
        elif size > 500 or depth >= 3:
            level = L2
        else:
            level = L1
        yield Hit(
            "structured.output",
            "gen.text.structured",
            level,
            f.start,
            f.end,
            f"produces {f.lang.upper()} ({size} bytes, depth {depth})",
            {"lang": f.lang, "bytes": size, "depth": depth},
        )


_TEMPLATE_HEADING = re.compile(r"^\s*#{1,6}\s+\S")
_PLACEHOLDER = re.compile(r"\[[^\]\n]{2,60}\]|<[a-z][^<>\n]{1,40}>|\{[a-z_ ]{2,40}\}", re.I)


def rule_output_templates(ctx: RuleContext) -> Iterator[Hit]:
    """Markdown templates of a document to produce: length and schema demands."""
    for f in ctx.doc.fences:
        if f.lang not in TEMPLATE_LANGS or _is_shell_fence(f):
            continue
        body_lines = f.body.split("\n")
        sections = sum(1 for ln in body_lines if _TEMPLATE_HEADING.match(ln))
        placeholders = len(_PLACEHOLDER.findall(f.body))
        if sections < 3 and placeholders < 3:
            continue
        detail = {"sections": sections, "placeholders": placeholders}
        if placeholders >= 3:
            yield Hit(
                "template.placeholders",
                "follow.format",
                L2,
                f.start,
                f.end,
                "fills a template with placeholders",
                detail,
            )
        size = len(f.body.encode("utf-8"))
        if sections >= 6 or size > 800:
            level = L3 if sections >= 12 or size > 2500 else L2
            yield Hit(
                "template.document",
                "gen.text.long",
                level,
                f.start,
                f.end,
                f"produces a {sections}-section document",
                detail,
            )


_REGEX_CALL = re.compile(
    r"(?:re\.(?:compile|search|match|fullmatch|findall|finditer|sub|split)\(\s*r?"
    r"""|new RegExp\(\s*)(["'])(?P<pat>.+?)\1"""
)
_REGEX_L3 = re.compile(r"\(\?[=!]|\(\?<[=!]|\(\?P?<\w+>")
_REGEX_L2 = re.compile(r"\((?!\?)|\||\\b|\^|\$")


def rule_regexes(ctx: RuleContext) -> Iterator[Hit]:
    for f in ctx.doc.fences:
        for n, line in enumerate(f.body.split("\n")):
            for m in _REGEX_CALL.finditer(line):
                pat = m["pat"]
                level = L3 if _REGEX_L3.search(pat) else L2 if _REGEX_L2.search(pat) else L1
                at = f.start + 1 + n
                yield Hit(
                    "regex.pattern",
                    "gen.regex",
                    level,
                    at,
                    at,
                    "writes a regular expression",
                    {"pattern": pat},
                )


# -- structure ------------------------------------------------------------------------------

_BRANCH_START = re.compile(
    r"^\W*(?:\*\*)?\s*(?:if|unless|otherwise|optionally|only if|when no|\(optional\)|in case)\b",
    re.I,
)
_LOOP = re.compile(r"\b(?:repeat|until|iterate|loop|again|re-?run)\b", re.I)
_VERIFY = re.compile(r"\b(?:verify|validate|double-check|confirm that|check that)\b", re.I)


def rule_steps(ctx: RuleContext) -> Iterator[Hit]:
    """Numbered procedures: length, branches and loops set the follow.procedure level."""
    for group in ordered_lists(ctx.doc):
        n = len(group)
        if n < 3:
            continue
        texts = [it.text for it in group]
        if sum(1 for t in texts if is_instruction(t)) * 2 < n:
            continue  # a list of things, not of steps
        branches = [i + 1 for i, t in enumerate(texts) if _BRANCH_START.match(t)]
        loops = [i + 1 for i, t in enumerate(texts) if _LOOP.search(t)]
        checks = [i + 1 for i, t in enumerate(texts) if _VERIFY.search(t)]
        if loops:
            level, note = L3, "a procedure with a loop"
        elif n >= 5 or branches or checks:
            extra = " with branches" if branches else " with checks" if checks else ""
            level, note = L2, f"a {n}-step procedure{extra}"
        else:
            level, note = L1, f"a {n}-step procedure"
        yield Hit(
            "steps.procedure",
            "follow.procedure",
            level,
            group[0].line,
            group[-1].end,
            note,
            {"steps": n, "branches": branches, "loops": loops, "checks": checks},
        )


def ordered_lists(doc: Document) -> list[list[Any]]:
    """Consecutive ordered items at one indent, split where numbering restarts."""
    groups: list[list[Any]] = []
    current: list[Any] = []
    for item in doc.list_items:
        if not item.ordered:
            if current and item.indent <= current[0].indent:
                groups.append(current)
                current = []
            continue
        if current and (
            item.indent != current[0].indent
            or item.number == 1
            or item.line - current[-1].end > 12
            or _heading_between(doc, current[-1].end, item.line)
        ):
            if item.indent > current[0].indent:
                continue  # nested sub-list: belongs to its parent step
            groups.append(current)
            current = []
        current.append(item)
    if current:
        groups.append(current)
    return groups


def _heading_between(doc: Document, a: int, b: int) -> bool:
    return any(a < h.line < b for h in doc.headings)


_CONSTRAINT = re.compile(
    r"\b(?:MUST(?: NOT)?|NEVER|ALWAYS|DO NOT|DON'T|SHOULD NOT)\b|^\s*(?:[-*]\s+)?(?:\*\*)?"
    r"(?:Never|Don'?t|Do not|Always|Avoid|Must)\b"
)


def rule_constraints(ctx: RuleContext) -> Iterator[Hit]:
    """Hard rules (MUST/NEVER/Don't ...) counted per section."""
    by_section: dict[int, list[int]] = {}
    for i in range(ctx.doc.body_start, len(ctx.doc.lines)):
        if ctx.doc.in_fence[i] or not _CONSTRAINT.search(ctx.doc.lines[i]):
            continue
        heading = ctx.doc.purpose_heading(i)
        by_section.setdefault(heading.line if heading else -1, []).append(i)
    for lines in by_section.values():
        level = L2 if len(lines) >= 3 else L1
        note = f"{len(lines)} hard rules in one section" if len(lines) >= 3 else "a hard rule"
        for i in lines[:3]:
            yield Hit(
                "constraints.count",
                "follow.constraint",
                level,
                i,
                i,
                note,
                {"rules": [ctx.doc.lines[k].strip() for k in lines[:6]]},
            )


_WORDS = re.compile(
    r"(?:(?P<lo>\d[\d,]*)\s*(?:-|–|—|to)\s*)?(?P<hi>\d[\d,]*)\+?\s*(?:words|word)\b", re.I
)


def rule_output_size(ctx: RuleContext) -> Iterator[Hit]:
    """Word-count demands: ~6 bytes a word; over 5 KB is L3, over 1 KB L2."""
    for m in _WORDS.finditer(ctx.prose):
        words = int(m["hi"].replace(",", ""))
        size = words * 6
        if size < 1000:
            continue
        level = L3 if size > 5000 else L2
        line = ctx.line_of(m.start())
        yield Hit(
            "size.words",
            "gen.text.long",
            level,
            line,
            line,
            f"asks for about {words} words",
            {"words": words},
        )


_MD_LINK = re.compile(r"\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")
_PATHISH = re.compile(r"^(?:\./)?[\w.-]+(?:/[\w.-]+)*\.(?:md|txt|json|ya?ml|csv|py|sh|js|ts|html)$")


def rule_bundle_references(ctx: RuleContext) -> Iterator[Hit]:
    """Files the model is sent to read: two or more distinct ones make it L2."""
    bundle = ctx.skill.bundle_paths
    basenames: dict[str, list[str]] = {}
    for p in bundle:
        basenames.setdefault(PurePosixPath(p).name, []).append(p)
    mentions: list[tuple[int, str, bool]] = []  # line, path, exists
    for i in range(ctx.doc.body_start, len(ctx.doc.lines)):
        if ctx.doc.in_fence[i]:
            continue
        line = ctx.doc.lines[i]
        found: set[str] = set()
        for m in _MD_LINK.finditer(line):
            found.add(m["target"].removeprefix("./"))
        for code in re.findall(r"`([^`\n]+)`", line):
            if _PATHISH.match(code.strip()):
                found.add(code.strip().removeprefix("./"))
        for path in found:
            if path.startswith(("http:", "https:")):
                # A link to the published copy of a file this skill bundles.
                local = next((p for p in bundle if path.endswith("/" + p)), None)
                if local is not None:
                    mentions.append((i, local, True))
                continue
            if path.startswith("mailto:"):
                continue
            if path in bundle:
                mentions.append((i, path, True))
            elif len(basenames.get(PurePosixPath(path).name, [])) == 1:
                mentions.append((i, basenames[PurePosixPath(path).name][0], True))
            elif (
                path.endswith(".md")
                and "/" in path
                and _READ_VERB.search(re.sub(r"`[^`]*`", "", line))
            ):
                mentions.append((i, path, False))
    docs = sorted({p for _, p, _ in mentions if not p.endswith((".py", ".sh", ".js", ".ts"))})
    level = L2 if len(docs) >= 2 else L1
    per_line: dict[int, int] = {}
    for i, _, _ in mentions:
        per_line[i] = per_line.get(i, 0) + 1
    for i, path, exists in mentions:
        if path.endswith((".py", ".sh", ".js", ".ts")):
            yield Hit(
                "bundle.script",
                "tool.exec",
                L1,
                i,
                i,
                f"runs the bundled {path}",
                {"path": path, "exists": exists},
            )
            continue
        yield Hit(
            "bundle.read",
            "tool.file.read",
            level,
            i,
            i,
            f"reads {path}" + (f" (one of {len(docs)} referenced files)" if len(docs) > 1 else ""),
            {"path": path, "exists": exists, "files": docs, "on_line": per_line[i]},
        )


_READ_VERB = re.compile(r"\b(?:see|read|refer to|consult|load|open)\b", re.I)
_TREE_LINE = re.compile(r"^(?P<prefix>[\s│|]*)(?:[├└]──|[|`]--)\s*(?P<name>[^\s#]+)")
_CREATE_CONTEXT = re.compile(
    r"\b(?:creat\w*|scaffold\w*|set up|generat\w*|initiali[sz]\w*|bootstrap\w*|new project)\b", re.I
)


def tree_files(body: str) -> list[str]:
    """File paths of a drawn directory tree (``├── src/`` ...), directories excluded."""
    stack: list[tuple[int, str]] = []
    files: list[str] = []
    first = next((ln.strip() for ln in body.split("\n") if ln.strip()), "")
    root = first if first.endswith("/") and not _TREE_LINE.match(first) else ""
    for line in body.split("\n"):
        m = _TREE_LINE.match(line)
        if not m:
            continue
        depth = len(m["prefix"])
        name = m["name"]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        path = root + "/".join([*(n.rstrip("/") for _, n in stack), name.rstrip("/")])
        if name.endswith("/"):
            stack.append((depth, name))
        elif "." in name.strip("."):
            files.append(path)
    return files


def rule_file_trees(ctx: RuleContext) -> Iterator[Hit]:
    """A directory tree presented as something to create: several files written in sequence."""
    for f in ctx.doc.fences:
        files = tree_files(f.body)
        if len(files) < 2:
            continue
        heading = ctx.doc.purpose_heading(f.start)
        context = _context_before(ctx, f.start) + " " + (heading.text if heading else "")
        if not _CREATE_CONTEXT.search(context):
            continue
        yield Hit(
            "tree.files",
            "tool.file.write",
            L3,
            f.start,
            f.end,
            f"creates {len(files)} files",
            {"files": files},
        )


_FORMATS = tuple((fmt, re.compile(fmt.pattern), literal_keys(fmt.pattern)) for fmt in FILE_FORMATS)


def rule_file_formats(ctx: RuleContext) -> Iterator[Hit]:
    for fmt, regex, keys in _FORMATS:
        if keys is not None and not any(k in ctx.prose for k in keys):
            continue
        seen: set[int] = set()
        for m in regex.finditer(ctx.prose):
            line = ctx.line_of(m.start())
            if line in seen or len(seen) >= 3 or ctx.doc.table_at(line) is not None:
                continue
            seen.add(line)
            yield Hit(
                f"format.{fmt.id}",
                fmt.primitive,
                fmt.level,
                line,
                line,
                f"handles {fmt.id.upper()} files",
                {"format": fmt.id, "library": fmt.library},
            )


_MENTIONED = [
    (lib, [*([lib.name] if lib.prose_name and len(lib.name) > 3 else []), *lib.mentions])
    for lib in LIBRARIES
]
_LIBRARY_BY_SPELLING = {name: lib for lib, names in _MENTIONED for name in names}
_LIBRARIES_RE = re.compile(
    r"(?<![\w.-])(?:"
    + "|".join(re.escape(n) for n in sorted(_LIBRARY_BY_SPELLING, key=len, reverse=True))
    + r")(?![\w-])"
)


def rule_named_libraries(ctx: RuleContext) -> Iterator[Hit]:
    if not any(name in ctx.prose for name in _LIBRARY_BY_SPELLING):
        return
    count: dict[str, int] = {}
    for m in _LIBRARIES_RE.finditer(ctx.prose):
        lib = _LIBRARY_BY_SPELLING[m.group(0)]
        count[lib.name] = count.get(lib.name, 0) + 1
        if count[lib.name] > 2:
            continue
        line = ctx.line_of(m.start())
        yield Hit(
            f"library.{lib.name}",
            lib.primitive,
            lib.level,
            line,
            line,
            f"uses {m.group(0)}",
            {"library": lib.name},
        )


_WEIGHT = re.compile(r"(?P<label>[A-Za-z][A-Za-z-]*)\s*(?:\(|:)?\s*(?P<pct>\d{1,3})\s*%")


def rule_weights(ctx: RuleContext) -> Iterator[Hit]:
    """Weighted scores ("value 40%, impact 30% ...", three or more summing to 100)."""
    for i in range(ctx.doc.body_start, len(ctx.doc.lines)):
        if ctx.doc.in_fence[i] or "%" not in ctx.doc.lines[i]:
            continue
        pairs = [(m["label"].strip(), int(m["pct"])) for m in _WEIGHT.finditer(ctx.doc.lines[i])]
        if len(pairs) >= 3 and sum(p for _, p in pairs) == 100:
            yield Hit(
                "arith.weights",
                "reason.arithmetic",
                L2,
                i,
                i,
                "computes a weighted score",
                {"weights": pairs},
            )


_INLINE_URL_QUERY = re.compile(r"https?://[^\s`)]+\?[^\s`)]*=[^\s`)]*")


def rule_web_queries(ctx: RuleContext) -> Iterator[Hit]:
    for m in _INLINE_URL_QUERY.finditer(ctx.prose):
        line = ctx.line_of(m.start())
        yield Hit(
            "web.query",
            "tool.web",
            L2,
            line,
            line,
            "requests a URL with parameters",
            {"url": m.group(0)},
        )


RULES: tuple[Rule, ...] = (
    rule_phrases,
    rule_python_blocks,
    rule_shell_blocks,
    rule_sql_blocks,
    rule_js_blocks,
    rule_html_blocks,
    rule_structured_outputs,
    rule_output_templates,
    rule_regexes,
    rule_steps,
    rule_constraints,
    rule_output_size,
    rule_bundle_references,
    rule_file_trees,
    rule_file_formats,
    rule_named_libraries,
    rule_weights,
    rule_web_queries,
)


def run_rules(skill: SkillSource, rules: tuple[Rule, ...] = RULES) -> list[Hit]:
    ctx = RuleContext(skill)
    hits: list[Hit] = []
    for rule in rules:
        hits.extend(rule(ctx))
    return hits
