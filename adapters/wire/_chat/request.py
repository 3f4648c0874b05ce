"""Chat Completions request bodies -> IR :class:`~adapters.ir.Request`, with paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ir import Message, Part, Request, Role, TextPart, ToolCall, ToolSpec, WireFormat
from adapters.wire._build import message, text_part, tool_call, tool_result
from adapters.wire._jsonutil import canonical

_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "developer",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}


def _texts(content: Any, i: int) -> tuple[TextPart, ...]:
    """Text of message ``i``'s ``content``: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return (text_part(content, ("messages", i, "content")),)
    if not isinstance(content, list):
        return ()
    out = []
    for j, part in enumerate(content):
        if isinstance(part, dict):
            text = part.get("text")
            if isinstance(text, str) and part.get("type", "text") == "text":
                out.append(text_part(text, ("messages", i, "content", j, "text")))
    return tuple(out)


def arguments_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        try:
            return canonical(value)
        except (TypeError, ValueError, RecursionError):
            return ""
    return ""


def tool_calls_of(calls: Any, base: tuple[Any, ...]) -> list[ToolCall]:
    """The calls of an assistant message's ``tool_calls`` (response-side: ``base`` is empty)."""
    out: list[ToolCall] = []
    if not isinstance(calls, list):
        return out
    for j, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        call_id = call.get("id")
        call_id = call_id if isinstance(call_id, str) else ""
        kind = call.get("type", "function")
        if kind == "function":
            fn = call.get("function")
            if isinstance(fn, dict):
                name = fn.get("name")
                out.append(
                    tool_call(
                        call_id,
                        name if isinstance(name, str) else "",
                        arguments_text(fn.get("arguments")),
                        "function",
                        (*base, "tool_calls", j) if base else (),
                    )
                )
        elif kind == "custom":
            custom = call.get("custom")
            if isinstance(custom, dict):
                name = custom.get("name")
                text = custom.get("input")
                out.append(
                    tool_call(
                        call_id,
                        name if isinstance(name, str) else "",
                        text if isinstance(text, str) else "",
                        "custom",
                        (*base, "tool_calls", j) if base else (),
                    )
                )
    return out


def _message(i: int, msg: dict[str, Any]) -> Message | None:
    wire_role = msg.get("role")
    role = _ROLES.get(wire_role) if isinstance(wire_role, str) else None
    if role is None:
        return None
    base = ("messages", i)
    content = msg.get("content")
    if role == "tool":
        # Legacy ``function`` results carry the function's name instead of a call id.
        call_id = msg.get("tool_call_id") if wire_role == "tool" else msg.get("name")
        result = tool_result(
            call_id if isinstance(call_id, str) else "", _texts(content, i), None, base
        )
        return message("tool", (result,), base)
    if role != "assistant":
        return message(role, _texts(content, i), base)
    calls = msg.get("tool_calls")
    legacy = msg.get("function_call")
    if not calls and legacy is None:
        return message("assistant", _texts(content, i), base)
    parts: list[Part] = list(_texts(content, i))
    if calls:
        parts.extend(tool_calls_of(calls, base))
    if isinstance(legacy, dict):
        name = legacy.get("name")
        name = name if isinstance(name, str) else ""
        # Legacy function calls have no id; their results are matched by name.
        parts.append(
            tool_call(
                name,
                name,
                arguments_text(legacy.get("arguments")),
                "function",
                ("messages", i, "function_call"),
            )
        )
    return message("assistant", tuple(parts), base)


def _tools(body: Mapping[str, Any]) -> tuple[ToolSpec, ...]:
    out: list[ToolSpec] = []
    tools = body.get("tools")
    if isinstance(tools, list):
        for tool in tools:
            if not isinstance(tool, dict):
                continue
            kind = tool.get("type", "function")
            spec = tool.get(kind) if kind in ("function", "custom") else None
            if isinstance(spec, dict) and isinstance(name := spec.get("name"), str):
                schema = spec.get("parameters" if kind == "function" else "format")
                desc = spec.get("description")
                out.append(
                    ToolSpec(
                        name,
                        kind,
                        schema if isinstance(schema, dict) else None,
                        desc if isinstance(desc, str) else None,
                    )
                )
    functions = body.get("functions")  # the legacy form of function tools
    if isinstance(functions, list):
        for fn in functions:
            if isinstance(fn, dict) and isinstance(name := fn.get("name"), str):
                schema = fn.get("parameters")
                desc = fn.get("description")
                out.append(
                    ToolSpec(
                        name,
                        "function",
                        schema if isinstance(schema, dict) else None,
                        desc if isinstance(desc, str) else None,
                    )
                )
    return tuple(out)


def parse_request(body: Mapping[str, Any]) -> Request:
    messages: list[Message] = []
    raw = body.get("messages")
    if isinstance(raw, list):
        for i, msg in enumerate(raw):
            if isinstance(msg, dict) and (parsed := _message(i, msg)) is not None:
                messages.append(parsed)
    model = body.get("model")
    parallel = body.get("parallel_tool_calls")
    return Request(
        WireFormat.CHAT_COMPLETIONS,
        model if isinstance(model, str) else None,
        body.get("stream") is True,
        tuple(messages),
        _tools(body),
        (),
        parallel if isinstance(parallel, bool) else None,
    )
