"""Replaying a probe's scripted answer through the real bare-agent against a scripted upstream."""

from __future__ import annotations

from skvm_shim.profiler.probe import Answer
from skvm_shim.testing import ToolCall, Turn


def turns(answer: Answer) -> list[Turn]:
    """One turn per tool call, then the final text."""
    out = [
        Turn(tool_calls=(ToolCall(name=c.name, arguments=dict(c.arguments)),)) for c in answer.calls
    ]
    out.append(Turn(text=answer.text))
    return out
