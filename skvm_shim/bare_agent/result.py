"""What one bare-agent run produced: the transcript, token usage, timings and tool outcomes.

Pydantic models, because a run is persisted (the profiler's raw results) and compared across
processes (benchmarks).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RunStatus = Literal["completed", "max_steps", "loop", "timeout", "error"]
"""Why the loop ended: the model stopped calling tools; the step budget ran out; the model made
the same calls three turns in a row; the wall-clock budget ran out; the upstream failed."""

ErrorKind = Literal["connection", "status", "other"]


class Usage(BaseModel):
    """Token counts as the responses reported them (summed over calls), in Anthropic's
    convention for both APIs: ``input_tokens`` excludes the prompt tokens read from or written
    to a cache (OpenAI's ``prompt_tokens`` minus ``cached_tokens``)."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class ToolCallRecord(BaseModel):
    """One tool call the model made and what executing it gave back."""

    id: str
    name: str
    arguments: dict[str, Any] | str
    """The parsed arguments, or the raw text when it was not a JSON object."""
    output: str
    ok: bool
    """False when the tool reported an error (bad arguments, missing file, non-zero exit...)."""
    exit_code: int | None = None
    duration_ms: float = 0.0


class Step(BaseModel):
    """One model turn: what it said, the calls it made, and what the call cost."""

    index: int
    text: str = ""
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    stop_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    llm_ms: float = 0.0
    tool_ms: float = 0.0


class RunResult(BaseModel):
    """A whole run. ``text`` is the model's answer: the last non-empty text it produced."""

    task: str
    system: str
    model: str
    api: Literal["openai", "anthropic"]
    workdir: str
    status: RunStatus
    text: str = ""
    steps: list[Step] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    llm_calls: int = 0
    duration_ms: float = 0.0
    llm_ms: float = 0.0
    tool_ms: float = 0.0
    error: str | None = None
    error_kind: ErrorKind | None = None
    error_status: int | None = None
    """The HTTP status of an upstream error answer."""

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        return [call for step in self.steps for call in step.tool_calls]

    def transcript(self, *, max_chars: int = 2000) -> list[dict[str, Any]]:
        """The conversation as plain dicts (long texts cut to ``max_chars``), for logs."""
        out: list[dict[str, Any]] = [{"role": "user", "content": _cut(self.task, max_chars)}]
        for step in self.steps:
            entry: dict[str, Any] = {"role": "assistant", "content": _cut(step.text, max_chars)}
            if step.tool_calls:
                entry["tool_calls"] = [
                    {"name": c.name, "arguments": _cut_args(c.arguments, max_chars)}
                    for c in step.tool_calls
                ]
            out.append(entry)
            out.extend(
                {"role": "tool", "name": c.name, "ok": c.ok, "content": _cut(c.output, max_chars)}
                for c in step.tool_calls
            )
        if self.error:
            out.append({"role": "error", "content": _cut(self.error, max_chars)})
        return out


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def _cut_args(arguments: dict[str, Any] | str, limit: int) -> dict[str, Any] | str:
    if isinstance(arguments, str):
        return _cut(arguments, limit)
    return {k: _cut(v, limit) if isinstance(v, str) else v for k, v in arguments.items()}
