"""Building traces and requests by hand for the learning and replay unit tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from adapters.ir import Message, Request, TextPart, ToolCall, ToolResult, ToolSpec, WireFormat
from skvm_shim.jit.records import Trace, TraceCall, TraceResult, TraceStep
from skvm_shim.jit.trace import SessionView, view_of

Call = tuple[str, dict[str, Any]]
"""(tool name, arguments)."""
Step = tuple[Sequence[Call], Sequence[str]]
"""(calls, result texts)."""


def trace(task: str, steps: Sequence[Step], final: str, session: str = "s") -> Trace:
    return Trace(
        session=session,
        task=task,
        steps=[
            TraceStep(
                calls=[TraceCall(name=n, arguments=json.dumps(a)) for n, a in calls],
                results=[TraceResult(text=r) for r in results],
            )
            for calls, results in steps
        ],
        final=final,
    )


BASH = ToolSpec(
    "bash",
    parameters={"type": "object", "properties": {"command": {"type": "string"}}},
)


def request(
    task: str,
    steps: Sequence[Step] = (),
    *,
    system: str = "You are an agent.",
    tools: tuple[ToolSpec, ...] = (BASH,),
    fmt: WireFormat = WireFormat.CHAT_COMPLETIONS,
    ids: Sequence[str] | None = None,
    errors: Sequence[bool] | None = None,
) -> Request:
    messages = [Message("system", (TextPart(system),)), Message("user", (TextPart(task),))]
    n = 0
    for calls, results in steps:
        parts = []
        outs = []
        for (name, args), result in zip(calls, results, strict=True):
            call_id = ids[n] if ids is not None else f"call_{n}"
            is_error = errors[n] if errors is not None else None
            parts.append(ToolCall(call_id, name, json.dumps(args)))
            outs.append(ToolResult(call_id, (TextPart(result),), is_error=is_error))
            n += 1
        messages.append(Message("assistant", tuple(parts)))
        messages.append(Message("tool", tuple(outs)))
    return Request(fmt, "m", False, tuple(messages), tools=tools)


def view(task: str, steps: Sequence[Step] = ()) -> SessionView:
    return view_of(request(task, steps))


def bash(command: str) -> Call:
    return ("bash", {"command": command})
