"""Reading code the way the compiler needs it: Python imports (ast) and shell commands (shlex).

Shared by SCR extraction (what a block demands of the model) and pass 2 (what it needs installed).
Snippets in skills are often fragments, so both fall back to line-level patterns rather than fail.
"""

from __future__ import annotations

import ast
import re
import shlex
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.markdown import Document


def words(text: str) -> frozenset[str]:
    """A set of whitespace-separated words (keeps long vocabularies readable)."""
    return frozenset(text.split())


STDLIB: frozenset[str] = frozenset(sys.stdlib_module_names) | {"__future__"}

_IMPORT_LINE = re.compile(
    r"^\s*(?:from\s+(?P<from>[\w.]+)\s+import\b|import\s+(?P<imp>[\w., \t]+))"
)
_PROMPT = re.compile(r"^\s*(?:\$|>|#\s*\$)\s+")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "time", "env", "nohup", "exec", "command", "builtin", "timeout"})
SHELL_KEYWORDS = words(
    """
    if then else elif fi for while until do done case esac in function select return break
    continue local export declare readonly set unset shift trap source . [ [[ ] ]] true false
    echo printf read cd pwd test eval wait exit alias type let
    """
)
_OPERATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")", ";;", "|&"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", "<<<", ">&", "&>", "2>", "2>>", "<&", ">|"})


@dataclass(frozen=True, slots=True)
class PyImport:
    module: str  # top-level module name
    full: str  # dotted name as written
    line: int  # 0-based line within the snippet


def python_imports(code: str) -> list[PyImport]:
    """Top-level imports in ``code``; relative imports are skipped."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return _imports_by_pattern(code)
    out: list[PyImport] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(PyImport(a.name.split(".")[0], a.name, node.lineno - 1) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append(PyImport(node.module.split(".")[0], node.module, node.lineno - 1))
    return sorted(out, key=lambda i: (i.line, i.full))


def _imports_by_pattern(code: str) -> list[PyImport]:
    out: list[PyImport] = []
    for n, line in enumerate(code.split("\n")):
        m = _IMPORT_LINE.match(line)
        if not m:
            continue
        if m["from"]:
            if not m["from"].startswith("."):
                out.append(PyImport(m["from"].split(".")[0], m["from"], n))
            continue
        for part in m["imp"].split(","):
            name = part.strip().split(" ")[0]
            if re.fullmatch(r"[A-Za-z_][\w.]*", name):
                out.append(PyImport(name.split(".")[0], name, n))
    return out


@dataclass(frozen=True, slots=True)
class ShellCommandUse:
    word: str  # command name (basename, wrappers and assignments skipped)
    argv: tuple[str, ...]
    line: int  # 0-based line within the snippet where the logical line starts


@dataclass(slots=True)
class ShellLine:
    """One logical shell line and what it does."""

    line: int
    text: str
    commands: list[ShellCommandUse] = field(default_factory=list)
    operators: set[str] = field(default_factory=set)
    substitution: bool = False
    loop: bool = False
    heredoc: str | None = None  # the body of a here-document the line opens


_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(?P<tag>[A-Za-z_][\w-]*)\1")


def shell_lines(code: str) -> list[ShellLine]:
    """Logical lines of a shell snippet (continuations joined, prompts and comments dropped).

    A here-document's body belongs to the line that opens it (``heredoc``), not to the lines
    that follow: ``python3 - <<'EOF'`` then Python is one command with its input, not a run of
    commands named ``import`` and ``print``.
    """
    out: list[ShellLine] = []
    raw = code.split("\n")
    i = 0
    while i < len(raw):
        start = i
        text = _PROMPT.sub("", raw[i], count=1)
        while text.rstrip().endswith("\\") and i + 1 < len(raw):
            i += 1
            text = text.rstrip()[:-1] + " " + raw[i].strip()
        i += 1
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parsed = _parse_line(start, stripped)
        doc = _HEREDOC.search(stripped) if "<<" in stripped else None
        if doc is not None:
            body: list[str] = []
            while i < len(raw) and raw[i].strip() != doc["tag"]:
                body.append(raw[i])
                i += 1
            i += 1  # the closing tag
            parsed.heredoc = "\n".join(body)
        out.append(parsed)
    return out


def embedded_code(sl: ShellLine) -> list[tuple[str, str]]:
    """Code a shell line hands to an interpreter: ``python3 -c CODE``, ``python3 - <<EOF``,
    ``node -e CODE``; as (language, code) with language ``python`` or ``javascript``."""
    out: list[tuple[str, str]] = []
    for cmd in sl.commands:
        flags: tuple[str, ...]
        if cmd.word in ("python", "python3"):
            lang, flags = "python", ("-c",)
        elif cmd.word in ("node", "nodejs"):
            lang, flags = "javascript", ("-e", "--eval", "-p", "--print")
        else:
            continue
        argv = cmd.argv
        code = next(
            (argv[k + 1] for k in range(1, len(argv) - 1) if argv[k] in flags),
            None,
        )
        if code is None and sl.heredoc is not None and (len(argv) == 1 or "-" in argv[1:]):
            code = sl.heredoc
        if code:
            out.append((lang, code))
    return out


_COMMAND_CONTEXT = re.compile(
    r"(?:\b(?:run|running|runs|execute|executing|with|using|via|call|invoke|type)|:)\s*$", re.I
)
_ARGISH = re.compile(r"(?:^|\s)(?:-{1,2}[A-Za-z]|[\w./-]+\.[A-Za-z0-9]{1,5}\b|[|>])")
_WORDISH = re.compile(r"[a-z][a-z0-9_.+-]*")
_SCRIPT = re.compile(r"(?:\./)?[\w.-]+(?:/[\w.-]+)*\.(?:sh|py|js|mjs|rb|pl)")
_RUN_CONTEXT = re.compile(r"\b(?:run|running|execute|executing|invoke)\b[^.;:]*$", re.I)


def is_inline_command(code: str, before: str = "") -> bool:
    """Is an inline code span a shell command to run?

    Yes when its first word is a well-known command line tool and it has arguments, or when the
    text just before it introduces a command ("run", "with", "using", a colon) and it looks like
    one: a lower-case program name followed by flags, file names or a pipe. ``pandas``,
    ``stats.json`` and ``df.groupby(...)`` are not commands.
    """
    parts = code.split()
    if not parts:
        return False
    first = parts[0]
    if _SCRIPT.fullmatch(first):
        return len(parts) >= 2 or bool(_RUN_CONTEXT.search(before[-40:]))
    if len(parts) < 2:
        return False
    if first in KNOWN_CLIS:
        return True
    if not _WORDISH.fullmatch(first) or first in SHELL_KEYWORDS or "(" in first:
        return False
    if first in ("import", "from", "def", "class", "return", "const", "let", "var"):
        return False
    return bool(_COMMAND_CONTEXT.search(before[-40:])) and bool(_ARGISH.search(" ".join(parts[1:])))


_PLACEHOLDER = re.compile(r"<[A-Za-z][\w .:/-]*>")


def _tokens(text: str) -> list[str]:
    text = _PLACEHOLDER.sub("PLACEHOLDER", text)  # <path-to-file> is not a redirection
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:
        return text.replace("|", " | ").replace(";", " ; ").split()


def _parse_line(line: int, text: str) -> ShellLine:
    parsed = ShellLine(line, text, substitution="$(" in text or "`" in text)
    current: list[str] = []
    skip_next = False
    for tok in [*_tokens(text), None]:
        if skip_next:
            skip_next = False
            continue
        if tok is None or tok in _OPERATORS:
            if tok is not None:
                parsed.operators.add(tok)
            _add_command(parsed, current)
            current = []
        elif tok in _REDIRECTS or re.fullmatch(r"\d?>>?|&>|\d?<", tok):
            parsed.operators.add(">" if ">" in tok else "<")
            skip_next = True  # the redirect target is not an argument
        else:
            current.append(tok)
    return parsed


_LEAD_KEYWORDS = frozenset({"do", "then", "else", "elif", "if", "while", "until", "!", "{"})
_LOOP_KEYWORDS = frozenset({"for", "while", "until", "select"})
_NO_COMMAND = frozenset({"for", "select", "case", "done", "fi", "esac", "}", "in"})


def _add_command(parsed: ShellLine, words: list[str]) -> None:
    k = 0
    if any(w in _LOOP_KEYWORDS for w in words[:1]):
        parsed.loop = True
    if words[:1] and words[0] in _NO_COMMAND:
        return
    while k < len(words) and (
        _ASSIGN.match(words[k]) or words[k] in _WRAPPERS or words[k] in _LEAD_KEYWORDS
    ):
        k += 1
        # ``timeout 30 cmd``: skip the duration too
        if k < len(words) and words[k - 1] == "timeout" and re.fullmatch(r"[\d.]+[smh]?", words[k]):
            k += 1
    if k >= len(words):
        return
    word = (
        words[k].rsplit("/", 1)[-1]
        if "/" in words[k] and not words[k].startswith("./")
        else words[k]
    )
    if not re.fullmatch(r"[A-Za-z0-9._+-]+|\./[\w./-]+", word):
        return
    if word in SHELL_KEYWORDS and word not in {"echo", "printf", "test"}:
        return
    parsed.commands.append(ShellCommandUse(word, tuple(words[k:]), parsed.line))


KNOWN_CLIS = words(
    """
    git npm npx pip pip3 python python3 node curl wget ls mkdir cat grep find docker kubectl
    make bash sh brew apt apt-get yarn pnpm bun deno uv uvx poetry cargo go java mvn gradle ruby
    gem composer php jq awk sed xargs chmod cp mv rm touch pytest ruff pandoc soffice
    libreoffice pdftotext pdfinfo ffmpeg convert magick sqlite3 psql mysql gh tar unzip zip
    rsync ssh scp head tail sort uniq wc cut tr tee diff openssl terraform helm aws gcloud az
    ollama
    """
)


_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_INLINE_PYTHON = re.compile(r"^\s*(?:import\s+[A-Za-z_]|from\s+[A-Za-z_][\w.]*\s+import\s)")


@dataclass(frozen=True, slots=True)
class InlineSnippet:
    line: int  # 0-based line of the document
    code: str
    kind: str  # "command" or "python"


def inline_snippets(doc: Document) -> list[InlineSnippet]:
    """Inline code in prose that is something to run: a shell command (``is_inline_command``)
    or Python statements (``import pandas as pd; df = pd.read_csv(path)``)."""
    out: list[InlineSnippet] = []
    for i in range(doc.body_start, len(doc.lines)):
        line = doc.lines[i]
        if doc.in_fence[i] or "`" not in line:
            continue
        for m in _INLINE.finditer(line):
            code = m.group(1).strip()
            if _INLINE_PYTHON.match(code):
                out.append(InlineSnippet(i, code, "python"))
            elif is_inline_command(code, line[: m.start()]):
                out.append(InlineSnippet(i, code, "command"))
    return out
