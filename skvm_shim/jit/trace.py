"""A session's trace, reconstructed from one request's history (harnesses resend all of it).

The trace is the task message (the user text before the first assistant turn), then each
assistant turn's tool calls with their results, until an assistant turn without tool calls
ends it. A user message with new text after the first assistant turn makes the session
interactive: the trace ends there too (nothing after it is learned or replayed).
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.ir import Request, TextPart, ToolCall, ToolResult, WireFormat
from skvm_shim.jit.records import Trace, TraceCall, TraceResult, TraceStep
from skvm_shim.telemetry.tool_outcome import tool_failed

RESULT_CHARS = 8192
"""How much of a tool result a stored trace keeps (extractors are learned on the head)."""
TASK_CHARS = 65_536


@dataclass(frozen=True, slots=True)
class StepView:
    calls: tuple[ToolCall, ...]
    results: tuple[ToolResult | None, ...]
    harness: str = "generic"
    """Who ran the calls, and in which format it reported them: how failures are judged."""
    fmt: WireFormat | None = None

    @property
    def complete(self) -> bool:
        return all(r is not None for r in self.results)

    def failed(self) -> bool:
        return any(
            r is not None and self.result_failed(c, r)
            for c, r in zip(self.calls, self.results, strict=True)
        )

    def result_failed(self, call: ToolCall, result: ToolResult) -> bool:
        return tool_failed(
            result.text, result.is_error, tool=call.name, harness=self.harness, fmt=self.fmt
        )

    def result_text(self, index: int) -> str:
        if 0 <= index < len(self.results):
            result = self.results[index]
            if result is not None:
                return result.text
        return ""


@dataclass(frozen=True, slots=True)
class SessionView:
    """What a request says about its session's trace so far."""

    task: str
    steps: tuple[StepView, ...]
    closed: bool
    """The trace ended before this request (a tool-free answer or new user text)."""

    @property
    def at_step(self) -> int:
        """Index of the step the model is asked for now."""
        return len(self.steps)

    @property
    def ready(self) -> bool:
        """An open trace whose every call has its result: the next step is well defined."""
        return bool(self.task) and not self.closed and all(s.complete for s in self.steps)

    def any_failed(self) -> bool:
        return any(s.failed() for s in self.steps)


def view_of(request: Request, harness: str = "generic") -> SessionView:
    task: list[str] = []
    steps: list[tuple[list[ToolCall], dict[str, ToolResult]]] = []
    seen_assistant = False
    closed = False
    previous_assistant = False
    results: dict[str, ToolResult] = {}
    for message in request.messages:
        if message.role in ("system", "developer"):
            continue
        if message.role == "assistant":
            calls = [p for p in message.parts if isinstance(p, ToolCall)]
            if closed:
                pass
            elif calls:
                if previous_assistant and steps:
                    steps[-1][0].extend(calls)
                else:
                    steps.append((calls, {}))
            else:
                closed = True
            seen_assistant = True
            previous_assistant = True
            continue
        previous_assistant = False
        texts = [p.text for p in message.parts if isinstance(p, TextPart)]
        found = [p for p in message.parts if isinstance(p, ToolResult)]
        if not seen_assistant:
            task.extend(texts)
            continue
        for result in found:
            results[result.call_id] = result
        if not found and any(t.strip() for t in texts):
            closed = True
    views = tuple(
        StepView(tuple(calls), tuple(results.get(c.id) for c in calls), harness, request.format)
        for calls, _ in steps
    )
    return SessionView(task="\n".join(task)[:TASK_CHARS], steps=views, closed=closed)


def trace_of(
    view: SessionView,
    *,
    session: str,
    final: str,
    meta: dict[str, tuple[int | None, float | None]],
    model: str | None,
) -> Trace:
    """The stored form of a finished trace (tool results cut to their head)."""
    steps = []
    for index, step in enumerate(view.steps):
        tokens, ms = meta.get(str(index), (None, None))
        steps.append(
            TraceStep(
                calls=[
                    TraceCall(name=c.name, kind=c.kind, arguments=c.arguments) for c in step.calls
                ],
                results=[
                    TraceResult(
                        text=(r.text if r is not None else "")[:RESULT_CHARS],
                        failed=r is not None and step.result_failed(c, r),
                    )
                    for c, r in zip(step.calls, step.results, strict=True)
                ],
                tokens=tokens,
                model_ms=ms,
            )
        )
    tokens, ms = meta.get(str(len(view.steps)), (None, None))
    return Trace(
        session=session,
        task=view.task,
        steps=steps,
        final=final,
        final_tokens=tokens,
        final_ms=ms,
        model=model,
    )


def view_of_trace(trace: Trace, steps: int) -> SessionView:
    """A stored trace as the session looked when the model was asked for step ``steps``."""
    views = []
    for index, step in enumerate(trace.steps[:steps]):
        calls = tuple(
            ToolCall(f"trace_{index}_{n}", c.name, c.arguments, c.kind)  # type: ignore[arg-type]
            for n, c in enumerate(step.calls)
        )
        results = tuple(
            ToolResult(call.id, (TextPart(step.results[n].text),), is_error=None)
            if n < len(step.results)
            else None
            for n, call in enumerate(calls)
        )
        views.append(StepView(calls, results))
    return SessionView(task=trace.task, steps=tuple(views), closed=False)


def structure_of(steps: list[list[tuple[str, str, str]]], *, final: bool = True) -> str:
    """Signature of a trace's shape: per step, each call's tool name, kind and argument keys."""
    parts = [";".join(f"{n}:{k}({keys})" for n, k, keys in step) for step in steps]
    return "|".join([*parts, "$"] if final else parts)
