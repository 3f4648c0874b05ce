"""The agent loop: call the model, run the tools it asks for, repeat until it stops.

SkVM's bare-agent semantics (src/core/agent-loop.ts): stop when a turn has no tool calls, when
the step budget or the wall-clock budget runs out, or when the model makes the same calls three
turns in a row; run a turn's calls concurrently, results in order. Unlike SkVM, tool results go
back in the provider's native shape (``tool`` messages, ``tool_result`` blocks).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from skvm_shim.bare_agent.backends import (
    Api,
    CallOptions,
    ParsedCall,
    classify_error,
    detect_api,
    open_conversation,
)
from skvm_shim.bare_agent.result import RunResult, RunStatus, Step, ToolCallRecord, Usage
from skvm_shim.bare_agent.tools import ToolBox

HARNESS_ID = "bare-agent"
SYSTEM_PROMPT = (
    "You are a helpful assistant that completes tasks by using tools. Work in the provided"
    " directory."
)
"""SkVM's system line, which ``adapters.harnesses`` recognises as ``bare-agent``."""
MAX_STEPS = 25
TIMEOUT_S = 120.0
MAX_TOOL_OUTPUT = 8000
LOOP_LIMIT = 3


def system_prompt(skill: str | None = None) -> str:
    """The system prompt; a skill is injected as SkVM's inject mode does (``<skill>`` tags)."""
    return SYSTEM_PROMPT if not skill else f"{SYSTEM_PROMPT}\n\n<skill>\n{skill}\n</skill>"


def run(
    task: str,
    *,
    client: Any,
    model: str,
    workdir: Path | str,
    max_steps: int = MAX_STEPS,
    timeout: float = TIMEOUT_S,
    api: Api | None = None,
    skill: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    extra_body: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    max_tool_output: int = MAX_TOOL_OUTPUT,
    parallel_tools: bool = True,
) -> RunResult:
    """Run ``task`` with the model behind ``client`` (an ``openai.OpenAI`` or
    ``anthropic.Anthropic``) in ``workdir``.

    Never raises for a model or upstream failure: the result's ``status`` and ``error`` say
    what happened, and everything done until then is in ``steps``. ``env`` is the commands'
    environment (default: this process's), always without variables that look like secrets.
    ``timeout`` bounds each call (the remaining budget) and is checked between steps; the
    client's own retries can outlast it, so give a client ``max_retries=0`` for a hard limit.
    """
    wire_api = api or detect_api(client)
    folder = Path(workdir)
    system = system_prompt(skill)
    options = CallOptions(
        model=model,
        extra_headers=dict(extra_headers or {}),
        max_tokens=max_tokens,
        temperature=temperature,
        extra_body=dict(extra_body or {}),
    )
    conversation = open_conversation(wire_api, client, options, system, task)
    tools = ToolBox(folder, env=env)
    started = time.monotonic()
    deadline = started + timeout
    steps: list[Step] = []
    recent: deque[tuple[str, ...]] = deque(maxlen=LOOP_LIMIT)
    usage = Usage()
    answer = ""
    llm_calls = 0
    error: str | None = None
    error_kind = None
    error_status: int | None = None
    status: RunStatus = "max_steps"
    for index in range(max_steps):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            status = "timeout"
            break
        t0 = time.monotonic()
        try:
            llm_calls += 1
            reply = conversation.send(timeout=remaining)
        except Exception as exc:  # an upstream or SDK failure ends the run, reported
            error_kind = classify_error(exc)
            code = getattr(exc, "status_code", None)
            error_status = code if isinstance(code, int) else None
            error = f"{type(exc).__name__}: {exc}"
            status = (
                "timeout"
                if error_kind == "connection" and time.monotonic() >= deadline - 0.05
                else "error"
            )
            break
        llm_ms = (time.monotonic() - t0) * 1000
        usage = usage + reply.usage
        if reply.text.strip():
            answer = reply.text
        step = Step(
            index=index,
            text=reply.text,
            stop_reason=reply.stop_reason,
            usage=reply.usage,
            llm_ms=llm_ms,
        )
        if not reply.calls:
            steps.append(step)
            status = "completed"
            break
        recent.append(tuple(sorted(call.signature() for call in reply.calls)))
        if len(recent) == LOOP_LIMIT and len(set(recent)) == 1:
            step.tool_calls = [
                ToolCallRecord(
                    id=c.id, name=c.name, arguments=c.arguments, output="(not run: loop)", ok=False
                )
                for c in reply.calls
            ]
            steps.append(step)
            status = "loop"
            break
        t1 = time.monotonic()
        records = _execute(tools, reply.calls, deadline, max_tool_output, parallel=parallel_tools)
        step.tool_ms = (time.monotonic() - t1) * 1000
        step.tool_calls = records
        steps.append(step)
        conversation.add_results(
            [(call, rec.output, rec.ok) for call, rec in zip(reply.calls, records, strict=True)]
        )
        if time.monotonic() >= deadline:
            status = "timeout"
            break
    return RunResult(
        task=task,
        system=system,
        model=model,
        api=wire_api,
        workdir=str(folder),
        status=status,
        text=answer,
        steps=steps,
        usage=usage,
        llm_calls=llm_calls,
        duration_ms=(time.monotonic() - started) * 1000,
        llm_ms=sum(s.llm_ms for s in steps),
        tool_ms=sum(s.tool_ms for s in steps),
        error=error,
        error_kind=error_kind,
        error_status=error_status,
    )


def _execute(
    tools: ToolBox,
    calls: list[ParsedCall],
    deadline: float,
    max_output: int,
    *,
    parallel: bool,
) -> list[ToolCallRecord]:
    def one(call: ParsedCall) -> ToolCallRecord:
        t0 = time.monotonic()
        if isinstance(call.arguments, dict):
            outcome = tools.execute(call.name, call.arguments, budget_s=deadline - time.monotonic())
            output, ok, code = outcome.output, outcome.ok, outcome.exit_code
        else:
            output = f"Error: the arguments are not a JSON object: {call.arguments[:200]}"
            ok, code = False, None
        return ToolCallRecord(
            id=call.id,
            name=call.name,
            arguments=call.arguments,
            output=_clip(output, max_output),
            ok=ok,
            exit_code=code,
            duration_ms=(time.monotonic() - t0) * 1000,
        )

    if not parallel or len(calls) == 1:
        return [one(call) for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="bare-agent-tool") as pool:
        return list(pool.map(one, calls))


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n(truncated: {len(text) - limit} more characters)"
