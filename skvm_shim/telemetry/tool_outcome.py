"""Did a tool call fail? Judged by what its result says, alike for spans, learning and replay.

Three sources, most reliable first:

1. The wire's flag. ``is_error: true`` is always a failure. Where the flag is authoritative (a
   Responses item with a status, or an Anthropic result from a harness that flags every failure,
   ``ToolErrors.flagged``) a result without it succeeded.
2. The harness's conventions (``adapters.harnesses``): the exit status a shell tool states (a
   non-zero code fails and zero succeeds, whatever the output says) and the texts the harness
   writes for a failed call (its error envelope: pi's ``ENOENT: ...``, Codex's
   ``exec_command failed: ...``, opencode's ``Error: ...``).
3. The text's structure, when the harness says nothing: an exit-status line at the start or end,
   an error prefix, an errno, ``command not found``, a Python traceback or a Node crash ending the
   output. Only the first and last lines are judged, so output that merely mentions an error is
   not a failed call. The result of a read or skill tool is a file's text: it fails only as a
   single line of error (``Error: cannot read x: No such file or directory``).

Only the head and tail of a long result are examined: failures are reported there, and a tool
result can be megabytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from adapters.harnesses import ExitStatus, profile, profiles
from adapters.ir import WireFormat

__all__ = ["ToolOutcome", "judge_tool_result", "tool_failed"]

_SCAN_CHARS = 4096
_HEAD_LINES = 5
"""An exit-status line counts among the first lines (Codex puts it third) ..."""
_TAIL_LINES = 3
"""... or the last ones."""
_SINGLE_LINE_MAX = 2048
"""A read result longer than this is content, never a one-line error message."""


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    """The verdict on one tool result and what decided it (for spans and debugging)."""

    failed: bool
    reason: str = ""
    """``flagged``, ``not flagged``, ``exit code N``, ``running``, ``harness error form``,
    ``error line``, ``traceback``, ``node crash``; empty when nothing spoke against success."""


_SUCCESS = ToolOutcome(False)

_EXIT_LINE = re.compile(
    r"(?i)(?:exit(?:ed)?(?: with)? (?:code|status)|(?:process|command) exited with code"
    r"|exit_code|return ?code)\s*[:=]?\s*(-?\d+)\.?"
)
_ERROR_LINE = re.compile(
    r"<tool_use_error>"
    r"|Traceback \(most recent call last\):"
    # Error: / error: / error[E0425]: / fatal: / ModuleNotFoundError: / Exception:
    r"|(?:[Ee]rror|ERROR|[Ff]atal|FATAL|[Ee]xception|[A-Z]\w*(?:Error|Exception))"
    r"(?:\[[^\]\n]*\])?: "
    r"|E[A-Z]{2,}: "  # node errno: ENOENT: no such file or directory, open 'x'
    r"|\S+:\d+(?::\d+)?: (?:fatal )?error: "  # compilers: x.c:1:2: error: ...
    r"|npm (?:ERR!|error) "
    r"|make(?:\[\d+\])?: \*\*\* "
    # cat: x: No such file or directory / ls: cannot access 'x': Permission denied
    r"|.*: (?:No such file or directory|Permission denied|Is a directory|Not a directory"
    r"|Operation not permitted|Read-only file system)(?: \(os error \d+\))?$"
    r"|.*\[Errno \d+\]"
    r"|.*\bcommand not found\b"
    r"|(?:\S*/)?(?:ba|da|z|k)?sh: (?:line )?\d+: .*: not found$"
)
_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b")
_NODE_CRASH = re.compile(r"Node\.js v\d+\.\d+\.\d+")
"""The last line node prints after an uncaught exception, whose stack comes before it."""
_NODE_ERROR = re.compile(r"(?m)^(?:[A-Z]\w*)?Error(?: \[\w+\])?: ")


@dataclass(frozen=True, slots=True)
class _Rules:
    flagged: bool
    forms: tuple[re.Pattern[str], ...]
    shells: Mapping[str, ExitStatus | None]
    content: frozenset[str]


@cache
def _rules(harness: str) -> _Rules:
    try:
        p = profile(harness)
    except KeyError:
        p = profile("generic")
    # With no harness recognised, a tool named like any harness's read tool returns content.
    readers = profiles() if p.id == "generic" else (p,)
    content = frozenset(
        name
        for r in readers
        for name in (*(t.name for t in r.read_tools), *(t.name for t in r.skill_tools))
    )
    return _Rules(
        flagged=p.tool_errors.flagged,
        forms=p.tool_errors.forms,
        shells={t.name: t.exit_status for t in p.shell_tools},
        content=content,
    )


def tool_failed(
    text: str,
    is_error: bool | None = None,
    *,
    tool: str | None = None,
    harness: str = "generic",
    fmt: WireFormat | None = None,
) -> bool:
    """True when the result of ``tool`` (as ``harness`` reported it in ``fmt``) shows a failure."""
    return judge_tool_result(text, is_error, tool=tool, harness=harness, fmt=fmt).failed


def judge_tool_result(
    text: str,
    is_error: bool | None = None,
    *,
    tool: str | None = None,
    harness: str = "generic",
    fmt: WireFormat | None = None,
) -> ToolOutcome:
    """The verdict on one tool result (module docstring: flag, harness conventions, structure).

    ``fmt`` is the request's wire format: it says whether a missing flag means anything.
    """
    if is_error:
        return ToolOutcome(True, "flagged")
    rules = _rules(harness)
    if (fmt is WireFormat.ANTHROPIC_MESSAGES and rules.flagged) or (
        fmt is WireFormat.RESPONSES and is_error is not None
    ):
        return ToolOutcome(False, "not flagged")
    sample = (
        text if len(text) <= 2 * _SCAN_CHARS else f"{text[:_SCAN_CHARS]}\n{text[-_SCAN_CHARS:]}"
    )
    status = rules.shells.get(tool) if tool is not None else None
    if status is not None:
        stated = _stated_exit(status, sample)
        if stated is not None:
            return stated
    for form in rules.forms:
        if form.search(sample):
            return ToolOutcome(True, "harness error form")
    if status is not None and status.only_on_failure:
        return _SUCCESS
    if tool is not None and tool in rules.content:
        return _single_line_error(text)
    return _by_structure(text)


def _stated_exit(status: ExitStatus, sample: str) -> ToolOutcome | None:
    for pattern in status.patterns:
        m = pattern.search(sample)
        if m is not None:
            code = m.group("code")
            if code is None:
                return ToolOutcome(False, "running")
            return ToolOutcome(int(code) != 0, f"exit code {int(code)}")
    return None


def _single_line_error(text: str) -> ToolOutcome:
    """A read's result fails only when all of it is one line of error message."""
    line = text.strip()
    if not line or len(line) > _SINGLE_LINE_MAX or "\n" in line:
        return _SUCCESS
    return ToolOutcome(True, "error line") if _ERROR_LINE.match(line) else _SUCCESS


def _by_structure(text: str) -> ToolOutcome:
    head = _lines(text[:_SCAN_CHARS].split("\n", 4 * _HEAD_LINES))[:_HEAD_LINES]
    tail = _lines(text[-_SCAN_CHARS:].rsplit("\n", 4 * _TAIL_LINES))[-_TAIL_LINES:]
    if not head:
        return _SUCCESS
    for line in (*head, *reversed(tail)):
        m = _EXIT_LINE.fullmatch(line)
        if m is not None:
            code = int(m.group(1))
            return ToolOutcome(code != 0, f"exit code {code}")
    first, last = head[0], tail[-1]
    if _ERROR_LINE.match(first) or _ERROR_LINE.match(last):
        return ToolOutcome(True, "error line")
    end = text[-_SCAN_CHARS:]
    if _EXCEPTION_LINE.match(last) and _TRACEBACK in end:
        return ToolOutcome(True, "traceback")
    if _NODE_CRASH.fullmatch(last) and _NODE_ERROR.search(end):
        return ToolOutcome(True, "node crash")
    return _SUCCESS


def _lines(raw: list[str]) -> list[str]:
    """The non-blank lines, trailing blanks stripped."""
    return [s for s in (line.rstrip() for line in raw) if s.strip()]
