"""A POSIX shell lexer that keeps every token's span and knows which words are static.

``shlex`` loses the spans (a slot must replace exactly one word of the model's own text) and
splits operators into quotable words (``shlex.join`` would quote ``&&``). This lexer returns
words, operators, newlines, comments and here-document bodies with their spans. A word is
*static* when its value is fixed by quote removal alone: no parameter, command or arithmetic
expansion, no glob, brace or tilde expansion, not an assignment. Only a static word can become a
slot, because only then is ``shlex.quote(value)`` the same word to the shell.

The lexer never runs anything; it raises :class:`ShellSyntaxError` on text it cannot take apart
(an unterminated quote or substitution), and callers then treat the command as opaque.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["word", "op", "newline", "comment", "heredoc"]

_OPERATORS = (
    ";;&",
    "<<<",
    "<<-",
    "&>>",
    "&&",
    "||",
    ";;",
    ";&",
    "|&",
    "<<",
    ">>",
    "<&",
    ">&",
    "<>",
    ">|",
    "&>",
    "|",
    "&",
    ";",
    "<",
    ">",
    "(",
    ")",
)
_BLANK = " \t"
_META = set(" \t\n;&|<>()")
_IO_NUMBER = re.compile(r"\d+(?=[<>])")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\[[^\]]*\])?\+?=")
_PARAM_START = re.compile(r"[A-Za-z_0-9{(@*#?$!-]")


class ShellSyntaxError(ValueError):
    """Shell text this lexer cannot split into tokens."""


@dataclass(frozen=True, slots=True)
class ShellToken:
    """One token of a command line.

    ``value`` is the word after quote removal when the word is static, else ``None``; for a
    here-document body it is the body text. ``key`` is what canonical comparison uses: equal
    keys mean the shell sees the same token.
    """

    kind: TokenKind
    start: int
    end: int
    raw: str
    value: str | None = None
    heredoc_quoted: bool = False

    @property
    def key(self) -> str:
        if self.kind == "word":
            return "w:" + self.value if self.value is not None else "d:" + self.raw
        if self.kind == "op":
            return "o:" + self.raw
        if self.kind == "newline":
            return "n:"
        if self.kind == "heredoc":
            return "h:" + self.raw
        return "c:" + self.raw


def tokenize_shell(src: str) -> list[ShellToken]:
    """The tokens of ``src`` (comments and here-document bodies included), in order."""
    return _Lexer(src).run()


def canonical_shell(src: str) -> tuple[str, ...] | None:
    """What the shell sees: token keys without comments; None when ``src`` does not lex."""
    try:
        return tuple(t.key for t in tokenize_shell(src) if t.kind != "comment")
    except ShellSyntaxError:
        return None


class _Lexer:
    def __init__(self, src: str) -> None:
        self.src = src
        self.i = 0
        self.out: list[ShellToken] = []
        self.pending: list[tuple[str, bool, bool]] = []  # (delimiter, strip tabs, quoted)
        self.want_delimiter: tuple[bool] | None = None

    def run(self) -> list[ShellToken]:
        src = self.src
        n = len(src)
        while self.i < n:
            c = src[self.i]
            if c in _BLANK:
                self.i += 1
            elif c == "\\" and src.startswith("\\\n", self.i):
                self.i += 2
            elif c == "\n":
                self.out.append(ShellToken("newline", self.i, self.i + 1, "\n"))
                self.i += 1
                self._heredoc_bodies()
            elif c == "#":
                end = src.find("\n", self.i)
                end = n if end < 0 else end
                self.out.append(ShellToken("comment", self.i, end, src[self.i : end]))
                self.i = end
            else:
                op = self._operator()
                if op is not None:
                    self._emit_op(op)
                else:
                    self._word()
        if self.pending:
            # Bash accepts a here-document that runs to the end of the input; so do we.
            self._heredoc_bodies()
        return self.out

    # -- operators ------------------------------------------------------------------------------

    def _operator(self) -> str | None:
        src, i = self.src, self.i
        io = _IO_NUMBER.match(src, i)
        if io is not None:
            j = io.end()
            for op in _OPERATORS:
                if op[0] in "<>" and src.startswith(op, j):
                    if src.startswith("(", j + len(op)) and op in ("<", ">"):
                        return None
                    return src[i:j] + op
            return None
        if src.startswith(("<(", ">("), i):
            return None  # process substitution: a (dynamic) word
        for op in _OPERATORS:
            if src.startswith(op, i):
                return op
        return None

    def _emit_op(self, op: str) -> None:
        self.out.append(ShellToken("op", self.i, self.i + len(op), op))
        self.i += len(op)
        bare = op.lstrip("0123456789")
        if bare in ("<<", "<<-"):
            self.want_delimiter = (bare == "<<-",)

    # -- words ----------------------------------------------------------------------------------

    def _word(self) -> None:
        src = self.src
        n = len(src)
        start = self.i
        value: list[str] = []
        static = True
        quoted_any = False
        first = True
        while self.i < n:
            c = src[self.i]
            if c in _META:
                if c in "<>" and src.startswith("(", self.i + 1):
                    self.i = self._skip_group(self.i + 2, "(", ")")
                    static = False
                    first = False
                    continue
                break
            if c == "\\":
                if self.i + 1 >= n:
                    value.append("\\")
                    self.i += 1
                elif src[self.i + 1] == "\n":
                    self.i += 2
                else:
                    value.append(src[self.i + 1])
                    quoted_any = True
                    self.i += 2
            elif c == "'":
                end = src.find("'", self.i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote")
                value.append(src[self.i + 1 : end])
                quoted_any = True
                self.i = end + 1
            elif c == '"':
                piece, dynamic = self._double_quoted()
                value.append(piece)
                quoted_any = True
                static = static and not dynamic
            elif c == "$":
                dynamic, literal = self._dollar()
                if dynamic:
                    static = False
                else:
                    value.append(literal)
            elif c == "`":
                self.i = self._skip_backquote(self.i + 1)
                static = False
            elif c in "*?[" or (c == "~" and first) or c in "{}":
                static = False
                value.append(c)
                self.i += 1
            else:
                value.append(c)
                self.i += 1
            first = False
        raw = src[start : self.i]
        if not raw:
            raise ShellSyntaxError(f"unexpected character {src[start]!r}")
        word_value = "".join(value)
        if static and _ASSIGNMENT.match(raw):
            static = False
        token = ShellToken("word", start, self.i, raw, word_value if static else None)
        if self.want_delimiter is not None:
            (strip,) = self.want_delimiter
            self.want_delimiter = None
            self.pending.append((word_value, strip, quoted_any))
        self.out.append(token)

    def _double_quoted(self) -> tuple[str, bool]:
        """The text between double quotes and whether it expands anything."""
        src = self.src
        n = len(src)
        self.i += 1
        out: list[str] = []
        dynamic = False
        while self.i < n:
            c = src[self.i]
            if c == '"':
                self.i += 1
                return "".join(out), dynamic
            if c == "\\" and self.i + 1 < n:
                nxt = src[self.i + 1]
                if nxt == "\n":
                    self.i += 2
                    continue
                if nxt in '$`"\\':
                    out.append(nxt)
                    self.i += 2
                    continue
                out.append("\\")
                self.i += 1
            elif c == "$":
                is_dynamic, literal = self._dollar(in_double=True)
                if is_dynamic:
                    dynamic = True
                else:
                    out.append(literal)
            elif c == "`":
                self.i = self._skip_backquote(self.i + 1)
                dynamic = True
            else:
                out.append(c)
                self.i += 1
        raise ShellSyntaxError("unterminated double quote")

    def _dollar(self, *, in_double: bool = False) -> tuple[bool, str]:
        """At a ``$``: skip an expansion (True) or take a literal dollar sign (False, "$")."""
        src = self.src
        nxt = src[self.i + 1 : self.i + 2]
        if nxt == "(":
            self.i = self._skip_group(self.i + 2, "(", ")")
            return True, ""
        if nxt == "{":
            self.i = self._skip_group(self.i + 2, "{", "}")
            return True, ""
        if nxt == "'" and not in_double:
            j = self.i + 2
            while j < len(src):
                if src[j] == "\\":
                    j += 2
                    continue
                if src[j] == "'":
                    self.i = j + 1
                    return True, ""
                j += 1
            raise ShellSyntaxError("unterminated $'...' quote")
        if nxt == '"' and not in_double:
            self.i += 1  # $"..." is a (locale) double-quoted string: the quote follows
            return False, ""
        if nxt and _PARAM_START.match(nxt):
            j = self.i + 1
            if nxt.isalpha() or nxt == "_":
                while j < len(src) and (src[j].isalnum() or src[j] == "_"):
                    j += 1
            else:
                j += 1
            self.i = j
            return True, ""
        self.i += 1
        return False, "$"

    def _skip_group(self, i: int, open_: str, close: str) -> int:
        """Index after the ``close`` ending a group opened just before ``i`` (nesting, quotes)."""
        src = self.src
        depth = 1
        n = len(src)
        while i < n:
            c = src[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                end = src.find("'", i + 1)
                if end < 0:
                    raise ShellSyntaxError("unterminated single quote in substitution")
                i = end + 1
                continue
            if c == '"':
                i = self._skip_double(i + 1)
                continue
            if c == "`":
                i = self._skip_backquote(i + 1)
                continue
            if c == open_:
                depth += 1
            elif c == close:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ShellSyntaxError(f"unterminated {open_}...{close}")

    def _skip_double(self, i: int) -> int:
        src = self.src
        n = len(src)
        while i < n:
            c = src[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                return i + 1
            if c == "$" and src.startswith("$(", i):
                i = self._skip_group(i + 2, "(", ")")
                continue
            if c == "`":
                i = self._skip_backquote(i + 1)
                continue
            i += 1
        raise ShellSyntaxError("unterminated double quote in substitution")

    def _skip_backquote(self, i: int) -> int:
        src = self.src
        n = len(src)
        while i < n:
            c = src[i]
            if c == "\\":
                i += 2
                continue
            if c == "`":
                return i + 1
            i += 1
        raise ShellSyntaxError("unterminated backquote")

    # -- here-documents -------------------------------------------------------------------------

    def _heredoc_bodies(self) -> None:
        src = self.src
        n = len(src)
        pending, self.pending = self.pending, []
        for delimiter, strip_tabs, quoted in pending:
            start = self.i
            end = n
            after = n
            j = self.i
            while j < n:
                line_end = src.find("\n", j)
                line_end = n if line_end < 0 else line_end
                line = src[j:line_end]
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    end = j
                    after = min(line_end + 1, n)
                    break
                j = line_end + 1
            body = src[start:end]
            self.out.append(
                ShellToken("heredoc", start, end, body, value=body, heredoc_quoted=quoted)
            )
            if after > end:
                self.out.append(ShellToken("word", end, after, src[end:after].rstrip("\n")))
            self.i = after
