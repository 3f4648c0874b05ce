"""How the profiler runs one probe through a harness, and what it needs back.

A harness turns a prompt and a work directory into a :class:`HarnessRun`: the final text, the
transcript, real token counts and timings, and whether the run says anything about the model
(``infra``: the endpoint was down or refused the credentials; the instance is skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from compiler.marker import INTERNAL_HEADERS
from skvm_shim import bare_agent
from skvm_shim.bare_agent import RunResult, Usage

Outcome = Literal["ok", "timeout", "infra"]
TRANSCRIPT_CHARS = 1000
"""Longer texts in a kept transcript are cut (a looping model writes pages of nothing)."""

_INFRA_STATUS = frozenset({401, 403, 404, 408, 409, 429})
"""Upstream answers that say nothing about the model (auth, unknown model, rate limit); 5xx too.
A 400 (e.g. the conversation outgrew the context window) is the run's own outcome."""


@dataclass(frozen=True, slots=True)
class HarnessRun:
    outcome: Outcome
    answer: str
    status: str
    usage: Usage = field(default_factory=Usage)
    llm_calls: int = 0
    steps: int = 0
    tool_calls: int = 0
    duration_ms: float = 0.0
    llm_ms: float = 0.0
    transcript: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class ProbeHarness(Protocol):
    """Anything that can run a probe's prompt in a work directory."""

    @property
    def harness_id(self) -> str: ...

    def attempt(self, prompt: str, workdir: Path, *, timeout: float) -> HarnessRun: ...


class BareAgentHarness:
    """The profiler's own loop: :func:`skvm_shim.bare_agent.run`, every call marked internal."""

    harness_id = bare_agent.HARNESS_ID

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        max_steps: int = bare_agent.MAX_STEPS,
        temperature: float | None = None,
        max_tokens: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.client = client
        self.model = model
        self.max_steps = max_steps
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.env = env

    def attempt(self, prompt: str, workdir: Path, *, timeout: float) -> HarnessRun:
        result = bare_agent.run(
            prompt,
            client=self.client,
            model=self.model,
            workdir=workdir,
            max_steps=self.max_steps,
            timeout=timeout,
            extra_headers=INTERNAL_HEADERS,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            env=self.env,
        )
        return from_run_result(result)


def from_run_result(result: RunResult) -> HarnessRun:
    return HarnessRun(
        outcome=_outcome(result),
        answer=result.text,
        status=result.status
        + (f" ({result.error_status})" if result.error_status is not None else ""),
        usage=result.usage,
        llm_calls=result.llm_calls,
        steps=len(result.steps),
        tool_calls=len(result.tool_calls),
        duration_ms=result.duration_ms,
        llm_ms=result.llm_ms,
        transcript=result.transcript(max_chars=TRANSCRIPT_CHARS),
        error=result.error,
    )


def _outcome(result: RunResult) -> Outcome:
    if result.status == "timeout":
        return "timeout"
    if result.status != "error":
        return "ok"
    if result.error_kind != "status":
        return "infra"
    return "infra" if says_nothing(result.error_status) else "ok"


def says_nothing(status: int | None) -> bool:
    """Whether a run that ended on this upstream error says nothing about the model: no answer
    at all (None), auth, unknown model, rate limit, or a server error."""
    return status is None or status in _INFRA_STATUS or status >= 500
