"""Tokenising argument values for their kind: shell words, Python, plain text, whole values.

Every token keeps its span in the value, so a template is the model's own text with some spans
(slots) replaced, and a comparison key, so that traces align on what the consumer of the text
(shell, interpreter, reader) sees rather than on spelling. ``value`` is what a slot at that token
would bind; ``None`` marks a token that can only be constant (a dynamic shell word, an f-string).
"""

from __future__ import annotations

import ast
import functools
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from typing import Literal

from skvm_shim.jit.shell import ShellSyntaxError, canonical_shell, tokenize_shell

LeafKind = Literal["shell", "python", "text", "prose", "whole", "argv"]
"""How an argument value is read: a shell command, Python source, plain text of unknown use,
assistant prose (never executed), a whole value a file tool takes as data (a path), or one argv
element (no shell in between)."""

Role = Literal[
    "shell_word",
    "heredoc",
    "py_string",
    "py_name",
    "py_number",
    "text",
    "prose",
    "whole",
    "argv",
    "json_number",
]
"""Where a slot sits, which decides how its value is quoted and which classes it may take."""

_TEXT_TOKEN = re.compile(r"[\w.~/+@%,:=-]*[\w~/+@%=-]|\s+|.", re.DOTALL)
_PY_STRING = re.compile(r"(?P<prefix>[rRuU]?)(?P<q>['\"])(?P<body>.*)(?P=q)\Z", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Token:
    key: str
    start: int
    end: int
    value: str | None
    role: Role
    quote: str = ""
    """For ``py_string``: the literal's prefix and quote character (``'``, ``r"``...)."""


def tokenize_leaf(kind: LeafKind, text: str) -> list[Token]:
    """The significant tokens of ``text`` read as ``kind`` (whitespace and comments dropped,
    except in text and prose where spacing is part of the value)."""
    return list(_tokenize_cached(kind, text))


@functools.lru_cache(maxsize=2048)
def _tokenize_cached(kind: LeafKind, text: str) -> tuple[Token, ...]:
    """Traces repeat the same values (a script written in every session): tokenise each once."""
    return tuple(_tokenize(kind, text))


def _tokenize(kind: LeafKind, text: str) -> list[Token]:
    if kind == "shell":
        return _shell_tokens(text)
    if kind == "python":
        tokens = _python_tokens(text)
        return tokens if tokens is not None else _text_tokens(text, "text")
    if kind in ("text", "prose"):
        return _text_tokens(text, kind)
    return [Token("v:" + text, 0, len(text), text, kind)]


def canonical_leaf(kind: LeafKind, text: str) -> object:
    """The form in which two values of this kind count as equal (exact prediction)."""
    if kind == "shell":
        canon = canonical_shell(text)
        return canon if canon is not None else text
    if kind == "python":
        lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return "\n".join(lines)
    return text


def _text_tokens(
    text: str, role: Literal["text", "prose", "heredoc"], offset: int = 0
) -> list[Token]:
    out: list[Token] = []
    for m in _TEXT_TOKEN.finditer(text):
        piece = m.group()
        out.append(Token("t:" + piece, offset + m.start(), offset + m.end(), piece, role))
    return out


def _shell_tokens(text: str) -> list[Token]:
    try:
        lexed = tokenize_shell(text)
    except ShellSyntaxError:
        return [Token("x:" + text, 0, len(text), None, "shell_word")]
    out: list[Token] = []
    for t in lexed:
        if t.kind == "comment":
            continue
        if t.kind == "heredoc":
            if t.heredoc_quoted:
                out.extend(_text_tokens(t.raw, "heredoc", t.start))
            else:
                out.append(Token(t.key, t.start, t.end, None, "heredoc"))
            continue
        value = t.value if t.kind == "word" else None
        out.append(Token(t.key, t.start, t.end, value, "shell_word"))
    return out


def _python_tokens(text: str) -> list[Token] | None:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    out: list[Token] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.ENDMARKER,
                tokenize.INDENT,
                tokenize.DEDENT,
            ):
                continue
            (srow, scol), (erow, ecol) = tok.start, tok.end
            if srow - 1 >= len(starts) or erow - 1 >= len(starts):
                continue
            start = starts[srow - 1] + scol
            end = starts[erow - 1] + ecol
            if tok.type == tokenize.NEWLINE:
                out.append(Token("p:\n", start, end, None, "py_name"))
                continue
            key = f"p:{tok.string}"
            if tok.type == tokenize.STRING:
                out.append(_py_string(key, start, end, tok.string))
            elif tok.type == tokenize.NAME:
                value = None if keyword.iskeyword(tok.string) else tok.string
                out.append(Token(key, start, end, value, "py_name"))
            elif tok.type == tokenize.NUMBER:
                out.append(Token(key, start, end, tok.string, "py_number"))
            else:
                out.append(Token(key, start, end, None, "py_name"))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return out


def _py_string(key: str, start: int, end: int, literal: str) -> Token:
    """A string literal is a slot position only in a plain one-line form whose value renders
    back in the same quotes (no escapes, no f-string, no bytes, no triple quotes)."""
    m = _PY_STRING.match(literal)
    if m is None or literal.lstrip("rRuU").startswith(("'''", '"""')):
        return Token(key, start, end, None, "py_string")
    body = m.group("body")
    if "\\" in body or "\n" in body or m.group("q") in body:
        return Token(key, start, end, None, "py_string")
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return Token(key, start, end, None, "py_string")
    if not isinstance(value, str):
        return Token(key, start, end, None, "py_string")
    return Token(key, start, end, value, "py_string", quote=m.group("prefix") + m.group("q"))
