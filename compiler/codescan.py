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


def shell_lines(code: str) -> list[ShellLine]:
    """Logical lines of a shell snippet (continuations joined, prompts and comments dropped)."""
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
        out.append(_parse_line(start, stripped))
    return out


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
