"""The rule-based SCR analyser's rules. Each rule is a small named function from the parsed skill
to *hits* (primitive, level, lines, quote, details); ``compiler.scr_extract`` groups hits into
purposes. Table-driven signals live in ``compiler.signals``.
"""

from __future__ import annotations

import ast
import bisect
import importlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from compiler.codescan import (
    KNOWN_CLIS,
    STDLIB,
    ShellLine,
    embedded_code,
    inline_snippets,
    is_inline_command,
    python_imports,
    shell_lines,
    words,
)
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
    FileFormat,
    Library,
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
    # The stdlib's own regex parser (no stubs for the private module); prefilter only.
    return importlib.import_module("re._parser").parse(pattern, flags)


def _first_literals(items: list[Any]) -> list[str] | None:
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
    work tell trace score flag plot bump serve print attach mention resize reply pick tag push
    commit merge release upload download reproduce inspect change leave skip open answer
    """
)
# Words that may lead an instruction ("Then run ...", "For every column compute ...").
_LEADS = words("then finally first next also now afterwards after that second third lastly")
_CLAUSE_LEADS = words("for if when once after before while where unless")
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
    lead = _WORD.match(body)
    if lead is None:
        return False
    first = lead.group(1).lower()
    rest = body[lead.end() :]
    if first in _LEADS:
        m = _WORD.match(rest.lstrip(" ,"))
        return bool(m and m.group(1).lower() in _IMPERATIVES)
    if first in _CLAUSE_LEADS:
        # "If it fails, stop"; "For every numeric column compute the mean".
        after_comma = rest.split(",", 1)[1] if "," in rest else ""
        m = _WORD.match(after_comma)
        if m and m.group(1).lower() in _IMPERATIVES:
            return True
        if first == "for":
            return any(w.lower() in _IMPERATIVES for w in re.findall(r"[A-Za-z]+", rest)[1:6])
    return False


def make_phrase_rule(signals: tuple[PatternSignal, ...]) -> Rule:
    """A rule matching every signal of a table: adding a signal is one table entry."""
    # Case-insensitive signals run without re.IGNORECASE on lower-cased text (several times
    # faster); the patterns are written in lower case.
    compiled = tuple(
        (
            sig,
            *_boundary_split(sig.pattern, sig.flags & ~re.IGNORECASE),
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
        for signal, regex, bounded, folded, keys in compiled:
            haystack = lower if folded else text
            if keys is not None and not any(k in haystack for k in keys):
                continue
            seen: set[int] = set()
            for m in _finditer(regex, bounded, haystack):
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


def _boundary_split(pattern: str, flags: int) -> tuple[re.Pattern[str], bool]:
    """The pattern without a leading ``\\b`` that governs all of it, and whether one was
    dropped. A pattern that starts with an assertion gets none of the regex engine's
    first-character scanning: ``\\b(?:read|open)`` scans 35 KB about four times slower than
    ``(?:read|open)`` with the boundary checked in Python on each candidate."""
    if pattern.startswith(r"\b"):
        try:
            parsed = list(_sre_parse(pattern, flags))
            c: Any = importlib.import_module("re._parser")
        except Exception:
            return re.compile(pattern, flags), False
        # The boundary is the first item of the whole pattern, not of one top-level branch.
        if parsed and parsed[0] == (c.AT, c.AT_BOUNDARY):
            return re.compile(pattern[2:], flags), True
    return re.compile(pattern, flags), False


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _finditer(regex: re.Pattern[str], bounded: bool, text: str) -> Iterator[re.Match[str]]:
    """``finditer`` of the original pattern: when its leading ``\\b`` was dropped, a candidate
    without a word boundary before it is skipped and the search goes on one character later,
    so the matches are exactly the original pattern's."""
    if not bounded:
        yield from regex.finditer(text)
        return
    pos, n = 0, len(text)
    while pos <= n:
        m = regex.search(text, pos)
        if m is None:
            return
        p = m.start()
        if (p > 0 and _word(text[p - 1])) != (p < n and _word(text[p])):
            yield m
            pos = m.end() if m.end() > p else p + 1
        else:
            pos = p + 1


rule_phrases = make_phrase_rule(PATTERN_SIGNALS)


# -- code blocks by language ---------------------------------------------------------------


def _local_modules(ctx: RuleContext) -> set[str]:
    return {PurePosixPath(p).stem for p in ctx.skill.bundle_paths if p.endswith(".py")}


def rule_python_blocks(ctx: RuleContext) -> Iterator[Hit]:
    """Python blocks: basic code (L1), stdlib imports (L2), third-party imports (L3); a block
    that does something when run (not only definitions) is also a script to run (tool.exec L2)."""
    local = _local_modules(ctx)
    for f in ctx.doc.fences:
        if f.lang not in PYTHON_LANGS or len(f.body.strip()) < 10:
            continue
        yield Hit("python.block", "gen.code.python", L1, f.start, f.end, "includes Python code")
        if _runs_something(f.body):
            yield Hit("python.run", "tool.exec", L2, f.start, f.end, "writes a script and runs it")
        yield from _python_import_hits(f.body, f.start + 1, local)


_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _runs_something(code: str) -> bool:
    """Has top-level statements beyond imports, definitions and a docstring."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return any(
            ln.strip() and not ln.startswith((" ", "\t", "#", "@", "def ", "class ", "import "))
            for ln in code.split("\n")
        )
    body = [n for n in tree.body if not isinstance(n, _DEFINITIONS)]
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def _python_import_hits(code: str, first_line: int, local: set[str]) -> Iterator[Hit]:
    """stdlib imports (L2), third-party imports (L3) and what a known library demands besides."""
    for imp in python_imports(code):
        if imp.module in local:
            continue
        line = first_line + imp.line
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


def _embedded_hits(sl: ShellLine, at: int, local: set[str]) -> Iterator[Hit]:
    """Code a command line carries (``python3 -c``, a here-document, ``node -e``): the agent
    writes that code, in that language."""
    for lang, code in embedded_code(sl):
        if lang == "python":
            yield Hit(
                "python.inline",
                "gen.code.python",
                L1,
                at,
                at,
                "writes Python inline",
                {"command": sl.text},
            )
            for h in _python_import_hits(code, 0, local):
                yield Hit(h.rule, h.primitive, h.level, at, at, h.note, h.detail)
        else:
            level = L2 if _JS_L2.search(code) else L1
            yield Hit(
                "js.inline",
                "gen.code.javascript",
                level,
                at,
                at,
                "writes JavaScript inline",
                {"command": sl.text},
            )


def _shell_line_hits(sl: ShellLine, at: int, local: set[str]) -> Iterator[Hit]:
    """What one command line demands: the shell constructs, known tools, URLs, embedded code."""
    words = [c.word for c in sl.commands]
    if "|" in sl.operators or sl.loop or ">" in sl.operators or sl.substitution:
        what = "a pipeline" if "|" in sl.operators else "redirection or a loop"
        yield Hit("shell.pipes", "gen.code.shell", L2, at, at, f"uses {what}", {"command": sl.text})
    else:
        yield Hit(
            "shell.command", "gen.code.shell", L1, at, at, "runs a command", {"command": sl.text}
        )
    if "&&" in sl.operators and len(sl.commands) >= 2:
        yield Hit("shell.chain", "tool.exec", L3, at, at, "chains commands", {"command": sl.text})
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
    yield from _embedded_hits(sl, at, local)


def rule_shell_blocks(ctx: RuleContext) -> Iterator[Hit]:
    """Shell blocks: commands to run (tool.exec), and the shell constructs they need."""
    local = _local_modules(ctx)
    for f in ctx.shell_fences:
        lines = shell_lines(f.body)
        if not lines:
            continue
        yield Hit("shell.block", "tool.exec", L1, f.start, f.end, "runs shell commands")
        for sl in lines:
            yield from _shell_line_hits(sl, f.start + 1 + sl.line, local)


def rule_inline_code(ctx: RuleContext) -> Iterator[Hit]:
    """Commands and Python written inline in instructions ("run `wc -l FILE`", "load it with
    `import pandas as pd; ...`"): the same demands as in a code block. Tables (reference
    data) and lines that do not instruct are skipped."""
    local = _local_modules(ctx)
    for snippet in inline_snippets(ctx.doc):
        i = snippet.line
        if ctx.doc.table_at(i) is not None or not is_instruction(ctx.doc.lines[i]):
            continue
        if snippet.kind == "python":
            yield Hit(
                "python.inline",
                "gen.code.python",
                L1,
                i,
                i,
                "writes Python inline",
                {"code": snippet.code},
            )
            yield from _python_import_hits(snippet.code, i, local)
            continue
        yield Hit(
            "inline.command", "tool.exec", L1, i, i, "runs a command", {"command": snippet.code}
        )
        for sl in shell_lines(snippet.code):
            yield from _shell_line_hits(sl, i, local)


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
_JS_FETCH = re.compile(r"\bfetch\(|\baxios\.(?:get|post)\(|\bhttps?\.get\(")
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
        dom = bool(_JS_DOM.search(f.body)) or f.lang in {"jsx", "tsx"}
        if node or (not dom and "require(" in f.body):
            yield Hit("js.run", "tool.exec", L2, f.start, f.end, "writes a Node script and runs it")
        if _JS_FETCH.search(f.body):
            yield Hit("js.fetch", "tool.web", L1, f.start, f.end, "fetches from the web")


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


_REGEX_PROSE = re.compile(r"\b(?:regex(?:es)?|regular expressions?|pattern)\b", re.I)
_REGEX_META = re.compile(r"\\[dwsb]|\[[^\]]+\]|[+*?]\)?|\{\d+(?:,\d*)?\}|^\^|\$$|\|")


def _regex_level(pat: str) -> Level:
    return L3 if _REGEX_L3.search(pat) else L2 if _REGEX_L2.search(pat) else L1


def rule_regexes(ctx: RuleContext) -> Iterator[Hit]:
    """Regular expressions in code, and ones an instruction gives inline ("match them with the
    pattern `INV-\\d{6}`")."""
    for i in range(ctx.doc.body_start, len(ctx.doc.lines)):
        line = ctx.doc.lines[i]
        if ctx.doc.in_fence[i] or "`" not in line or not _REGEX_PROSE.search(line):
            continue
        for code in re.findall(r"`([^`\n]+)`", line):
            if _REGEX_META.search(code) and not is_inline_command(code, ""):
                yield Hit(
                    "regex.pattern",
                    "gen.regex",
                    _regex_level(code),
                    i,
                    i,
                    "writes a regular expression",
                    {"pattern": code},
                )
    for f in ctx.doc.fences:
        for n, line in enumerate(f.body.split("\n")):
            for m in _REGEX_CALL.finditer(line):
                pat = m["pat"]
                level = _regex_level(pat)
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


# Rules written in lower case, and limits on length, count only on lines that instruct.
_SOFT_CONSTRAINT = re.compile(
    r"\b(?:you must|must not|must be|you should not|never)\b|"
    r"\b(?:at most|no more than|under|up to|maximum of|at least|fewer than) \d[\d,]* "
    r"(?:words?|characters|chars|lines|sentences|items|bullets)\b|"
    r"\b\d+\s*[-–]\s*\d+ (?:characters|chars)\b|\bin (?:one|a single) sentence\b",
)  # matched on the lower-cased prose


def rule_constraints(ctx: RuleContext) -> Iterator[Hit]:
    """Hard rules (MUST/NEVER/Don't ..., "you must", length limits) counted per section."""
    by_section: dict[int, list[int]] = {}
    soft = {ctx.line_of(m.start()) for m in _SOFT_CONSTRAINT.finditer(ctx.prose_lower)}
    for i in range(ctx.doc.body_start, len(ctx.doc.lines)):
        if ctx.doc.in_fence[i]:
            continue
        line = ctx.doc.lines[i]
        if not _CONSTRAINT.search(line) and not (i in soft and is_instruction(line)):
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
# What makes a file format a demand on the model: the instruction has it build, read or change
# such a file itself. Only processing (not counting lines, not passing the file along) makes CSV
# a coding task.
_FORMAT_WORK = re.compile(
    r"\b(?:creat|generat|build|writ|produc|export|fill|edit|updat|modif|read|pars|extract|load|"
    r"analy[sz]|convert|merg|split|open|sav|render|design|make|add|insert|append)\w*",
    re.I,
)
_CSV_WORK = re.compile(
    r"\b(?:pars|aggregat|group|merg|join|pivot|clean|transform|filter|dedup\w*|load|comput|"
    r"calculat|sum|averag|analy[sz]|reshap|normali[sz])\w*",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:don'?t|do not|never|without|avoid|instead of|rather than|not|no)\b[\w\s'-]{0,24}$",
    re.I,
)


def _does_format_work(fmt: FileFormat, line: str) -> bool:
    work = _CSV_WORK if fmt.id == "csv" else _FORMAT_WORK
    return any(not _NEGATION.search(line[: m.start()]) for m in work.finditer(line))


def _described_formats(ctx: RuleContext) -> Iterator[Hit]:
    """A skill whose description says it reads or builds a binary format ("Read and generate
    Excel files") demands the library for it, however its body talks about the format."""
    doc = ctx.doc
    line = next(
        (
            i
            for i in range(1, max(doc.frontmatter_end, 0))
            if doc.lines[i].startswith("description:")
        ),
        None,
    )
    if line is None:
        return
    text = doc.lines[line]
    for fmt, regex, _ in _FORMATS:
        if fmt.library is not None and regex.search(text) and _does_format_work(fmt, text):
            yield Hit(
                f"format.{fmt.id}",
                fmt.primitive,
                fmt.level,
                line,
                line,
                f"handles {fmt.id.upper()} files (the skill's description)",
                {"format": fmt.id, "library": fmt.library},
            )


def rule_file_formats(ctx: RuleContext) -> Iterator[Hit]:
    """A file format the model must handle itself. Only on instructions to build, read or
    change such a file, and not where a command or bundled script on the line does the work
    (``pdftotext``, ``pandoc``, ``wc -l``): that needs the command, not code."""
    command_lines = {s.line for s in inline_snippets(ctx.doc) if s.kind == "command"}
    yield from _described_formats(ctx)
    for fmt, regex, keys in _FORMATS:
        if keys is not None and not any(k in ctx.prose for k in keys):
            continue
        seen: set[int] = set()
        for m in regex.finditer(ctx.prose):
            line = ctx.line_of(m.start())
            if line in seen or len(seen) >= 3 or ctx.doc.table_at(line) is not None:
                continue
            text = ctx.doc.lines[line]
            if (
                line in command_lines
                or not is_instruction(text)
                or not _does_format_work(fmt, text)
            ):
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


def _library_mentions(doc: Document) -> Iterator[tuple[int, Library, str]]:
    """(line, library, spelling) for every library named in prose, except where the text says
    not to use it ("don't use pandas", "without numpy")."""
    if not any(name in doc.text for name in _LIBRARY_BY_SPELLING):
        return
    for i in range(doc.body_start, len(doc.lines)):
        line = doc.lines[i]
        if doc.in_fence[i]:
            continue
        for m in _LIBRARIES_RE.finditer(line):
            if not _NEGATION.search(line[: m.start()]):
                yield i, _LIBRARY_BY_SPELLING[m.group(0)], m.group(0)


def instructed_libraries(doc: Document) -> list[tuple[int, Library]]:
    """Libraries an instruction tells the agent to use, first mention of each."""
    out: dict[str, tuple[int, Library]] = {}
    for i, lib, _ in _library_mentions(doc):
        if lib.name not in out and is_instruction(doc.lines[i]) and doc.table_at(i) is None:
            out[lib.name] = (i, lib)
    return list(out.values())


def rule_named_libraries(ctx: RuleContext) -> Iterator[Hit]:
    """Libraries named in prose; one the agent is told to use for Python is also a script to
    write and run (tool.exec L2)."""
    count: dict[str, int] = {}
    ran = False
    for line, lib, spelling in _library_mentions(ctx.doc):
        count[lib.name] = count.get(lib.name, 0) + 1
        if count[lib.name] > 2:
            continue
        yield Hit(
            f"library.{lib.name}",
            lib.primitive,
            lib.level,
            line,
            line,
            f"uses {spelling}",
            {"library": lib.name},
        )
        if (
            not ran
            and lib.ecosystem == "pip"
            and lib.primitive == "gen.code.python"
            and is_instruction(ctx.doc.lines[line])
        ):
            ran = True
            yield Hit(
                "python.run",
                "tool.exec",
                L2,
                line,
                line,
                f"writes and runs a script with {spelling}",
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
    rule_inline_code,
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
