"""Check every ``skvm-shim ...`` command the docs show against the CLI's own click parser.

A command is found in a fenced code block (one logical line, ``\\`` continuations joined) or in an
inline code span, when its first word (after ``$``, ``VAR=value`` prefixes and ``&&``/``;``) is
``skvm-shim`` (or ``.../bin/skvm-shim``), ``python -m skvm_shim.cli`` or ``python -m
skvm_shim.local_model`` (another ``python -m skvm_shim.X`` must at least exist). A command inside
a comment line (``# or: python -m ...``) counts too.

Nothing is re-declared here: each subcommand is resolved with the group's ``get_command`` and each
option list is parsed by the command's own parser (``make_parser`` on a context built the way
``make_context`` builds it), so a renamed or removed option fails here.

Doc notation that is understood:

- ``# comment`` after a command; ``... &`` and redirections end it;
- ``[--opt VALUE]``: optional parts are checked as if given;
- ``a | b | c`` and ``a|b|c``: alternatives. After a subcommand they are sibling subcommands
  (``variants list | show | diff``); after arguments, alternative argument lists of the same
  command (``jit reset ID... | --skill NAME | --all``); inside an option's value, alternative
  values (``--api openai|anthropic``), each checked against a choice list when there is one;
- ``...`` / ``ID...``: "more arguments"; UPPER-CASE words and ``<...>`` are placeholders;
- ``| jq ...`` and other pipes into a common program end the command.

An options table is checked both ways when a marker comment names its command on the line
above it, ``<!-- options of: skvm-shim proxy -->``: every option in the first column exists
(and its choices do), and every option of the command (but ``--help``) is in the table.

Option values are not type-checked (a doc shows ``PATH`` where the CLI wants an existing file);
choices are, unless the value is a placeholder.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from tests.docs.markdown import code_spans, fenced_blocks

_LAUNCH = re.compile(r"(?:^|[\s;&|(`$])(?:\S*/bin/)?skvm-shim(?:\s|$)|-m\s+skvm_shim\b")
_LAUNCH_AT = re.compile(r"(?:\S*/bin/)?skvm-shim(?:\s|$)|(?:\S*/)?python[\d.]*\s+-m\s+skvm_shim\b")
_ENV_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*")
_PYTHON = re.compile(r"(?:.*/)?python(?:3(?:\.\d+)?)?")
_SEPARATORS = {"&&", "||", ";", "&", ";;", "(", ")"}
_REDIRECT = re.compile(r"^\d*[<>]+&?$|^&>+$|^>&$")
_PIPE_PROGRAMS = {"jq", "grep", "head", "tail", "less", "more", "sort", "wc", "tee", "xargs"}
_ELLIPSIS = {"...", "…"}
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*(?:\.\.\.)?$|^<.*>$|\.\.\.|…")

_ENTRY_MODULES = {
    "skvm_shim.cli": (),
    "skvm_shim.local_model": ("local-model",),
}
"""``python -m`` modules that are the CLI (or a group of it), as the group path they stand for."""


@dataclass(frozen=True)
class Shown:
    """A command line as a document shows it."""

    doc: str
    line: int
    text: str


@dataclass(frozen=True)
class Problem:
    doc: str
    line: int
    command: str
    message: str

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {self.message}  (in `{self.command}`)"


def shown_commands(path: Path, root: Path) -> list[Shown]:
    """Every line of ``path`` (blocks and code spans) that may hold a ``skvm-shim`` command."""
    text = path.read_text(encoding="utf-8")
    doc = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    found: list[Shown] = []
    for block in fenced_blocks(text):
        lines = block.text.split("\n")
        i = 0
        while i < len(lines):
            start, logical = i, lines[i]
            while logical.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                logical = logical.rstrip()[:-1] + " " + lines[i].strip()
            if _LAUNCH.search(logical):
                found.append(Shown(doc, block.line + start, logical.strip()))
            i += 1
    for span in code_spans(text):
        if _LAUNCH.search(span.text):
            found.append(Shown(doc, span.line, span.text))
    return sorted(found, key=lambda s: s.line)


def check_docs(paths: list[Path], root: Path, cli: click.Group) -> list[Problem]:
    """Every problem in the commands and options tables ``paths`` show; [] when all match."""
    problems: list[Problem] = []
    for path in paths:
        for shown in shown_commands(path, root):
            problems.extend(check_command(shown, cli))
        problems.extend(check_option_tables(path, root, cli))
    return problems


_TABLE_MARKER = re.compile(r"^\s*<!--\s*options of:\s*(?P<command>.+?)\s*-->\s*$")
_CELL_SPAN = re.compile(r"`([^`]+)`")


def check_option_tables(path: Path, root: Path, cli: click.Group) -> list[Problem]:
    """Problems with the options tables ``path`` marks (see the module docstring)."""
    doc = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[Problem] = []
    for i, line in enumerate(lines):
        marker = _TABLE_MARKER.match(line)
        if marker is None:
            continue
        command = marker["command"]
        rows = _table_after(lines, i + 1)
        if not rows:
            problems.append(Problem(doc, i + 1, command, "no table follows the marker"))
            continue
        options = _options_of(command, cli)
        listed: set[str] = set()
        for number, first_cell in rows:
            for span in _CELL_SPAN.findall(first_cell.replace("\\|", "|")):
                if not span.startswith("-"):
                    continue
                name = span.split()[0].split("=")[0]
                listed.add(name)
                if " " in span:  # an option with a value: parsed, choices checked
                    problems.extend(check_command(Shown(doc, number, f"{command} {span}"), cli))
                elif not any(name in names for names in options):
                    message = f"`{command}` has no option `{name}`"
                    problems.append(Problem(doc, number, f"{command} {span}", message))
        missing = [names[0] for names in options if not listed.intersection(names)]
        if missing:
            message = f"the table of `{command}` options lacks {', '.join(sorted(missing))}"
            problems.append(Problem(doc, i + 1, command, message))
    return problems


def _table_after(lines: list[str], start: int) -> list[tuple[int, str]]:
    """(line number, first cell) of each body row of the table starting at or after ``start``."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    rows: list[tuple[int, str]] = []
    while i < len(lines) and lines[i].lstrip().startswith("|"):
        cells = re.split(r"(?<!\\)\|", lines[i].strip().strip("|"))
        if not re.fullmatch(r"[\s:|-]*", lines[i]):  # the header rule
            rows.append((i + 1, cells[0]))
        i += 1
    return rows[1:]  # without the header row


def _options_of(command: str, cli: click.Group) -> list[tuple[str, ...]]:
    """The names of each option of ``command`` (``skvm-shim a b``), longest first; not help."""
    words = command.split()[1:]
    cmd: click.Command = cli
    ctx = _context(cli, "skvm-shim", None)
    for word in words:
        assert isinstance(cmd, click.Group), command
        child = cmd.get_command(ctx, word)
        assert child is not None, f"the marker names no command: {command}"
        cmd, ctx = child, _context(child, word, ctx)
    options: list[tuple[str, ...]] = []
    for param in cmd.get_params(ctx):
        if not isinstance(param, click.Option) or set(param.opts) & set(ctx.help_option_names):
            continue
        options.append(tuple(sorted([*param.opts, *param.secondary_opts], key=len, reverse=True)))
    return options


def check_command(shown: Shown, cli: click.Group) -> list[Problem]:
    """Problems with one shown line (it may hold several commands, or none of ours)."""
    code, comment = _split_comment(shown.text)
    # A command inside a comment ("# or: python -m skvm_shim.local_model serve ...") counts too.
    texts = [code, *(comment[m.start() :] for m in _LAUNCH_AT.finditer(comment))]
    messages: list[str] = []
    for text in texts:
        try:
            tokens = _tokens(text)
        except ValueError as exc:
            messages.append(f"cannot parse the command: {exc}")
            continue
        for command in _commands(tokens):
            messages.extend(_check_one(command, cli))
    return [Problem(shown.doc, shown.line, shown.text, m) for m in messages]


def _split_comment(text: str) -> tuple[str, str]:
    """``text`` split at an unquoted ``#`` that starts a word (bash's rule): (code, comment)."""
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i], text[i + 1 :]
    return text, ""


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars="();<>&")
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def _commands(tokens: list[str]) -> Iterator[list[str]]:
    """Split at shell separators; drop redirections and what they redirect to."""
    current: list[str] = []
    skip_next = False
    for tok in tokens:
        if skip_next:
            skip_next = False
            continue
        if tok in _SEPARATORS:
            yield current
            current = []
        elif _REDIRECT.match(tok):
            if current and current[-1].isdigit():
                current.pop()  # the file descriptor of "2>"
            skip_next = True
        else:
            current.append(tok)
    yield current


def _check_one(tokens: list[str], cli: click.Group) -> list[str]:
    """Problems with one simple command, or [] when it is not one of ours."""
    i = 0
    while i < len(tokens) and (tokens[i] in ("$", "env") or _ENV_ASSIGN.fullmatch(tokens[i])):
        i += 1
    if i >= len(tokens):
        return []
    word = tokens[i]
    if word == "skvm-shim" or word.endswith("/bin/skvm-shim"):
        prefix: tuple[str, ...] = ()
        args = tokens[i + 1 :]
    elif _PYTHON.fullmatch(word) and tokens[i + 1 : i + 2] == ["-m"] and len(tokens) > i + 2:
        module = tokens[i + 2]
        if not module.startswith("skvm_shim"):
            return []
        if module not in _ENTRY_MODULES:
            if importlib.util.find_spec(module) is None:
                return [f"no module `{module}`"]
            return []  # an internal entry point (its own arguments), not the CLI
        prefix = _ENTRY_MODULES[module]
        args = tokens[i + 3 :]
    else:
        return []
    group: click.Command = cli
    ctx = _context(cli, "skvm-shim", None)
    for name in prefix:
        assert isinstance(group, click.Group)
        child = group.get_command(ctx, name)
        assert child is not None, f"the CLI has no `{name}` group any more"
        group, ctx = child, _context(child, name, ctx)
    return _check_alternatives(group, ctx, _clean(args))


def _clean(args: list[str]) -> list[str]:
    """Optional brackets off: ``[--json]`` is checked as ``--json``; pipes into programs end."""
    out: list[str] = []
    for i, tok in enumerate(args):
        if tok == "|" and i + 1 < len(args) and args[i + 1].strip("[]") in _PIPE_PROGRAMS:
            break
        bare = tok.strip("[]")
        if bare:
            out.append(bare)
    return out


def _check_alternatives(cmd: click.Command, ctx: click.Context, args: list[str]) -> list[str]:
    """Check ``a | b | c``: each alternative after the first as the first one says (see top)."""
    segments: list[list[str]] = [[]]
    for tok in args:
        if tok == "|":
            segments.append([])
        else:
            segments[-1].append(tok)
    first = _walk(cmd, ctx, segments[0])
    problems = list(first.problems)
    for alternative in segments[1:]:
        if first.group is not None:  # sibling subcommands
            problems.extend(_walk(*first.group, alternative).problems)
        else:  # other arguments of the same command
            assert first.ctx.info_name is not None
            again = _context(first.command, first.ctx.info_name, first.ctx.parent)
            problems.extend(_walk(first.command, again, alternative).problems)
    return problems


@dataclass
class _Walk:
    """Where parsing ended: the last command reached and what was wrong on the way."""

    command: click.Command
    ctx: click.Context
    problems: list[str]
    group: tuple[click.Command, click.Context] | None = None
    """The group ``command`` was named in, when its name was the last word (alternatives after
    it are sibling subcommands)."""


def _context(cmd: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context as ``make_context`` builds one, without parsing (values are placeholders)."""
    return click.Context(cmd, info_name=name, parent=parent, **cmd.context_settings)


def _walk(cmd: click.Command, ctx: click.Context, args: list[str]) -> _Walk:
    """Parse ``args`` with ``cmd``'s own parser, then descend into the subcommand they name."""
    problems: list[str] = []
    try:
        opts, largs, _ = cmd.make_parser(ctx).parse_args(list(args))
    except click.NoSuchOption as exc:
        hint = (
            f" (did you mean {', '.join(sorted(exc.possibilities))}?)" if exc.possibilities else ""
        )
        return _Walk(cmd, ctx, [f"`{ctx.command_path}` has no option `{exc.option_name}`{hint}"])
    except click.UsageError as exc:
        return _Walk(cmd, ctx, [f"`{ctx.command_path}`: {exc.format_message()}"])
    problems.extend(_check_choices(cmd, ctx, opts))
    if not isinstance(cmd, click.Group):
        problems.extend(_check_arity(cmd, ctx, largs))
        return _Walk(cmd, ctx, problems)
    if not largs or largs[0] in _ELLIPSIS or _PLACEHOLDER.search(largs[0]):
        return _Walk(cmd, ctx, problems)
    result: _Walk | None = None
    for name in largs[0].split("|"):  # "list|show|rm": sibling subcommands
        child = cmd.get_command(ctx, name)
        if child is None:
            known = ", ".join(cmd.list_commands(ctx))
            problems.append(f"`{ctx.command_path}` has no command `{name}` (it has: {known})")
            continue
        walked = _walk(child, _context(child, name, ctx), largs[1:])
        problems.extend(walked.problems)
        if result is None:
            result = walked
            if not largs[1:]:
                result.group = (cmd, ctx)
    if result is None:
        return _Walk(cmd, ctx, problems)
    return _Walk(result.command, result.ctx, problems, result.group)


def _check_arity(cmd: click.Command, ctx: click.Context, largs: list[str]) -> list[str]:
    arguments = [p for p in cmd.get_params(ctx) if isinstance(p, click.Argument)]
    if any(a.nargs < 0 for a in arguments):
        return []
    given = [a for a in largs if a not in _ELLIPSIS]
    room = sum(a.nargs for a in arguments)
    if len(given) > room:
        extra = " ".join(given[room:])
        return [f"`{ctx.command_path}` takes {room} argument(s); extra: `{extra}`"]
    return []


def _check_choices(cmd: click.Command, ctx: click.Context, opts: dict[str, object]) -> list[str]:
    problems: list[str] = []
    for param in cmd.get_params(ctx):
        if not isinstance(param.type, click.Choice) or param.name not in opts:
            continue
        value = opts[param.name]
        values = value if isinstance(value, (list, tuple)) else [value]
        allowed = [str(c) for c in param.type.choices]
        for raw in values:
            for option in str(raw).split("|"):
                if option and not _PLACEHOLDER.search(option) and option not in allowed:
                    problems.append(
                        f"`{ctx.command_path}` option `{param.opts[0]}` has no choice `{option}`"
                        f" (choices: {', '.join(allowed)})"
                    )
    return problems
