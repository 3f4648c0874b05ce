"""The solidification scenario both modes run: learn, shadow, promote, replay, fail, demote.

A consistent scripted model does one skill task (show a file's head, count its lines, answer)
with a different file name each session. The scenario drives a real SDK client through the
small agent harness in ``agent.py`` and checks, from the upstream's own request log, which
steps reached the model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan

from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.jit.agent import Endpoint, SessionLog, run_session

SKILL_DIR = Path(__file__).resolve().parent / "skills" / "line-stats"
SKILL_TEXT = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
SYSTEM = (
    f"You are a careful agent. Use this skill when it applies.\n\n<skill>\n{SKILL_TEXT}\n</skill>"
)
MODEL = "scripted-consistent-model"

LEARN_NAMES = ("q1 sales.csv", "q2 sales.csv", "north region.csv", "south région.csv")
"""Sessions the model answers: the first teaches, the next three are exact predictions."""
HOSTILE = 'it\'s $(touch PWNED1); touch PWNED2 | "x" ~ü.csv'
"""Replayed once promoted: quotes, a command substitution, ;, | and non-ASCII, all inert (if
they were not, the canary files PWNED1/PWNED2 would appear)."""


def task(name: str) -> str:
    return f"Summarise the file `{name}` with the line-stats skill."


def model_turns(name: str, lines: int) -> list[Turn]:
    """What the consistent model answers in one session (it quotes names with double quotes)."""
    quoted = '"' + name + '"'
    return [
        Turn(tool_calls=(ToolCall(name="bash", arguments={"command": f"head -n 2 {quoted}"}),)),
        Turn(tool_calls=(ToolCall(name="bash", arguments={"command": f"wc -l < {quoted}"}),)),
        Turn(text=f"The file {name} has {lines} lines."),
    ]


def write_file(cwd: Path, name: str, lines: int) -> None:
    body = "".join(f"row {i} of {name}\n" for i in range(lines))
    (cwd / name).write_text(body, encoding="utf-8")


@dataclass
class Outcome:
    log: SessionLog
    requests: int
    """How many requests of this session reached the upstream."""


class Runner:
    """Runs sessions of the scenario against one client (patch mode or proxy mode)."""

    def __init__(
        self,
        *,
        make_client: Callable[[], Any],
        upstream: ScriptedUpstream,
        endpoint: Endpoint,
        stream: bool,
        cwd: Path,
        settle: Callable[[int], None] | None = None,
    ) -> None:
        self.make_client = make_client
        self.upstream = upstream
        self.endpoint = endpoint
        self.stream = stream
        self.cwd = cwd
        self.settle = settle
        self.calls = 0
        """LLM calls the harness made so far (answered by the model or by the shim)."""

    def session(
        self,
        name: str,
        *,
        lines: int = 12,
        create: bool = True,
        script: list[Turn],
        system: str = SYSTEM,
        schema: dict[str, Any] | None = None,
    ) -> Outcome:
        if create:
            write_file(self.cwd, name, lines)
        self.upstream.script(*script)
        before = len(self.upstream.requests)
        log = run_session(
            self.make_client(),
            self.endpoint,
            stream=self.stream,
            system=system,
            task=task(name),
            model=MODEL,
            cwd=self.cwd,
            schema=schema,
        )
        self.calls += log.turns
        if self.settle is not None:
            self.settle(self.calls)
        assert not self.upstream.pending, f"scripted turns left unused: {self.upstream.pending}"
        return Outcome(log, len(self.upstream.requests) - before)


def wait_for_spans(
    get: Callable[[], list[ReadableSpan]], count: int, timeout: float = 10.0
) -> list[ReadableSpan]:
    """The spans once ``count`` have ended: the proxy observes a response (and learns from it)
    on its own thread as the last byte goes out, so the client can be a moment ahead."""
    deadline = time.monotonic() + timeout
    spans = get()
    while len(spans) < count and time.monotonic() < deadline:
        time.sleep(0.005)
        spans = get()
    assert len(spans) >= count, f"only {len(spans)} of {count} LLM spans ended"
    return spans


def events_named(spans: list[ReadableSpan], name: str) -> list[tuple[ReadableSpan, Any]]:
    return [(s, e) for s in spans for e in s.events if e.name == name]
