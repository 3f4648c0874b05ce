"""Slot classes and context quoting: the one place a bound value becomes template text.

A value is inserted only if it matches the slot's learned class, the class is allowed where the
slot sits, and it is quoted for that place: ``shlex.quote`` for a shell word, the same quote
characters for a Python string literal (values that would need escaping are refused), nothing
for an argv element or a JSON string (the JSON encoder escapes it). Anything else refuses, and
the call falls through to the model.
"""

from __future__ import annotations

import keyword
import re
import shlex
from collections.abc import Iterable
from typing import Literal

from skvm_shim.jit.tokens import Role

SlotClass = Literal["number", "identifier", "path", "string", "free"]
CLASS_ORDER: tuple[SlotClass, ...] = ("number", "identifier", "path", "string", "free")
"""From most to least specific; each class's values are also values of the later ones."""

PATH_CHARS = r"\w.~/+@%,:=-"
_PATTERNS: dict[SlotClass, str] = {
    "number": r"[0-9]+(?:\.[0-9]+)?",
    "identifier": r"[A-Za-z_][A-Za-z0-9_]*",
    "path": rf"[{PATH_CHARS}]*[\w~/+@%=-]",
    "string": r"[^\x00-\x1f\x7f]+",
    "free": r"[^\x00]+",
}
_FULL = {cls: re.compile(pattern) for cls, pattern in _PATTERNS.items()}
LAZY: dict[SlotClass, str] = {
    "number": r"[0-9.]+?",
    "identifier": r"\w+?",
    "path": rf"[{PATH_CHARS}]+?",
    "string": r"[^\x00-\x1f\x7f]+?",
    "free": r"[^\x00]+?",
}
"""Lazy patterns for an extractor delimited by the text after the value."""
TOKEN = _PATTERNS["path"]
"""What a value delimited only by its surroundings looks like (the extractor's token mode)."""

_ROLE_LIMIT: dict[Role, SlotClass] = {
    "shell_word": "free",
    "argv": "free",
    "heredoc": "path",
    "py_string": "string",
    "py_name": "identifier",
    "py_number": "number",
    "text": "path",
    "prose": "free",
    "whole": "string",
    "json_number": "number",
}
"""The widest class a slot may have where it sits. ``text`` (a value of unknown use) and here-
document bodies take only path-like values: no blank, quote, ``$``, backquote or operator
character, so even a consumer that hands them to a shell unquoted sees one inert word."""
_SUBWORD_LIMIT: SlotClass = "path"
"""A slot inside a larger token (constant text around it) is limited the same way: the token may
be code for another interpreter (``python3 -c "...'data.csv'..."``), where only path-like
characters cannot escape the string they sit in."""
LEADS = "-~"
"""Leading characters that change how a word is read (an option, a home directory): a value
may start with one only if a learned value did."""


def fits(value: str, cls: SlotClass) -> bool:
    return _FULL[cls].fullmatch(value) is not None


def classify(values: Iterable[str]) -> SlotClass | None:
    """The most specific class every value belongs to; None if a value is empty or has NUL."""
    items = list(values)
    if not items or any(not v for v in items):
        return None
    for cls in CLASS_ORDER:
        if all(fits(v, cls) for v in items):
            return cls
    return None


def wider(a: SlotClass, b: SlotClass) -> bool:
    """True when ``a`` admits more values than ``b``."""
    return CLASS_ORDER.index(a) > CLASS_ORDER.index(b)


def leads_of(values: Iterable[str]) -> str:
    return "".join(sorted({v[0] for v in values if v and v[0] in LEADS}))


def allowed(role: Role, cls: SlotClass, *, subword: bool) -> bool:
    """May a slot of class ``cls`` sit at ``role`` (inside a larger token if ``subword``)?"""
    limit = _ROLE_LIMIT[role]
    if subword and role != "prose" and wider(limit, _SUBWORD_LIMIT):
        limit = _SUBWORD_LIMIT
    return not wider(cls, limit)


def accept(value: str, cls: SlotClass, leads: str) -> bool:
    """Does a freshly extracted value satisfy the slot's class and leading-character rule?"""
    if not value or "\x00" in value or not fits(value, cls):
        return False
    return not (value[0] in LEADS and value[0] not in leads)


def render(role: Role, value: str, *, prefix: str = "", suffix: str = "", quote: str = "") -> str:
    """The text that replaces the slot's token: ``prefix + value + suffix`` quoted for ``role``.

    Raises ``ValueError`` when the value cannot be written there exactly.
    """
    whole = prefix + value + suffix
    if "\x00" in whole:
        raise ValueError("NUL in a slot value")
    if role == "shell_word":
        return shlex.quote(whole)
    if role == "py_string":
        q = quote[-1:]
        if not q or q in whole or "\\" in whole or "\n" in whole or "\r" in whole:
            raise ValueError("value needs escaping inside this Python string literal")
        return quote + whole + q
    if role == "py_name":
        if not fits(whole, "identifier") or keyword.iskeyword(whole):
            raise ValueError("not a Python identifier")
        return whole
    if role in ("py_number", "json_number"):
        if not fits(whole, "number"):
            raise ValueError("not a number")
        return whole
    if role in ("text", "heredoc") and not fits(whole, "path"):
        raise ValueError("only path-like values go into text of unknown use")
    return whole
