"""Did a tool call fail? Judged from its result text, the same way for spans and replay."""

from __future__ import annotations

import re
from functools import cache

from adapters.harnesses import profiles

_FAILURE_PATTERNS = (
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r"(?i)\bexit(?:ed with)? code:?\s*[1-9]\d*\b"),
    re.compile(r"(?i)\bexit status:?\s*[1-9]\d*\b"),
    re.compile(r"(?im)^\s*(?:error|fatal|exception)(?:\[[^\]]*\])?:"),
    re.compile(r"(?i)\bcommand not found\b"),
    re.compile(r"(?i)\bno such file or directory\b"),
    re.compile(r"\b(?:ModuleNotFoundError|ImportError|FileNotFoundError|PermissionError)\b"),
    re.compile(r"(?i)<tool_use_error>"),
)
_SCAN_CHARS = 4096


@cache
def _content_tools() -> frozenset[str]:
    """Tools whose result is a file's or a skill's content, in any harness we know."""
    names: set[str] = set()
    for p in profiles():
        names.update(t.name for t in p.read_tools)
        names.update(t.name for t in p.skill_tools)
    return frozenset(names)


def tool_failed(text: str, is_error: bool | None = None, *, tool: str | None = None) -> bool:
    """True when the harness flagged the result as an error or its text shows a failure.

    A harness that sends ``is_error: false`` for a failed command is common, so the flag can only
    make a result a failure, never clear one. The result of a read or skill tool (``tool``) is
    file content, judged by the flag alone.

    Only the head and tail of long outputs are examined: failures are reported there, and a tool
    result can be megabytes.
    """
    if is_error:
        return True
    if tool is not None and tool in _content_tools():
        # A read returns the file as it is: a line starting "Error:" in a skill is content.
        return False
    sample = text if len(text) <= 2 * _SCAN_CHARS else text[:_SCAN_CHARS] + text[-_SCAN_CHARS:]
    return any(p.search(sample) for p in _FAILURE_PATTERNS)
