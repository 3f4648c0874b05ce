"""Responses request bodies -> IR :class:`~adapters.ir.Request`, with paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ir import (
    Message,
    Part,
    Request,
    Role,
    StructuredSkill,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    WireFormat,
)
from adapters.wire._build import message, text_part, tool_call, tool_result
from adapters.wire._jsonutil import as_str
from adapters.wire._responses.items import OBJECT_CALLS, object_text

_MESSAGE_ROLES: dict[str, Role] = {
    "user": "user",
    "system": "system",
    "developer": "developer",
    "assistant": "assistant",
}
_TEXT_PARTS = frozenset({"input_text", "output_text", "text"})
_OUTPUT_TYPES = frozenset(
    {
        "function_call_output",
        "custom_tool_call_output",
        "local_shell_call_output",
        "shell_call_output",
        "apply_patch_call_output",
    }
)


def _texts(content: Any, base: tuple[Any, ...]) -> tuple[TextPart, ...]:
    """A string field, or the text parts (input_text / output_text) of a list of parts."""
    if isinstance(content, str):
        return (text_part(content, base),)
    if not isinstance(content, list):
        return ()
    out = []
    for j, part in enumerate(content):
        if isinstance(part, dict):
            kind = part.get("type", "input_text")
            text = part.get("text")
            if isinstance(text, str) and isinstance(kind, str) and kind in _TEXT_PARTS:
                out.append(text_part(text, (*base, j, "text")))
    return tuple(out)


def _call(item: dict[str, Any], kind: str, path: tuple[Any, ...]) -> ToolCall | None:
    call_id = as_str(item.get("call_id")) or ""
    if kind == "function_call":
        return tool_call(
            call_id,
            as_str(item.get("name")) or "",
            as_str(item.get("arguments")) or "",
            "function",
            path,
        )
    if kind == "custom_tool_call":
        return tool_call(
            call_id, as_str(item.get("name")) or "", as_str(item.get("input")) or "", "custom", path
        )
    spec = OBJECT_CALLS.get(kind)
    if spec is None:
        return None
    return tool_call(call_id, spec[0], object_text(item.get(spec[1])), spec[0], path)


def _result(item: dict[str, Any], kind: str, path: tuple[Any, ...]) -> ToolResult:
    call_id = as_str(item.get("call_id"))
    if call_id is None and kind == "local_shell_call_output":
        call_id = as_str(item.get("id"))  # this item names its call by ``id``
    output = item.get("output")
    is_error = None
    if kind == "shell_call_output":
        texts: list[TextPart] = []
        if isinstance(output, list):
            for j, chunk in enumerate(output):
                if not isinstance(chunk, dict):
                    continue
                for stream in ("stdout", "stderr"):
                    text = chunk.get(stream)
                    if isinstance(text, str) and text:
                        texts.append(text_part(text, (*path, "output", j, stream)))
            is_error = _shell_failed(output)
        content = tuple(texts)
    else:
        content = _texts(output, (*path, "output"))
        if kind == "apply_patch_call_output" and isinstance(status := item.get("status"), str):
            is_error = status == "failed"
    return tool_result(call_id or "", content, is_error, path)


def _shell_failed(chunks: list[Any]) -> bool | None:
    """A shell call failed when a command timed out or exited non-zero (None: no outcome given)."""
    outcomes = [c.get("outcome") for c in chunks if isinstance(c, dict)]
    if not outcomes:
        return None
    failed = False
    for outcome in outcomes:
        if not isinstance(outcome, dict):
            return None
        if outcome.get("type") == "timeout":
            failed = True
        elif outcome.get("type") == "exit" and isinstance(code := outcome.get("exit_code"), int):
            failed = failed or code != 0
        else:
            return None
    return failed


def _messages(items: list[Any]) -> list[Message]:
    """Messages of an ``input`` list; a run of calls (with the assistant text before it) becomes
    one assistant message and a run of outputs one tool message, as in the other formats."""
    out: list[Message] = []
    group: list[Part] = []
    group_role: Role | None = None
    group_path: tuple[Any, ...] = ()

    def flush() -> None:
        nonlocal group, group_role
        if group_role is not None:
            out.append(message(group_role, tuple(group), group_path))
        group = []
        group_role = None

    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if not isinstance(kind, str):
            continue
        path = ("input", i)
        if kind == "message":
            wire_role = item.get("role")
            role = _MESSAGE_ROLES.get(wire_role) if isinstance(wire_role, str) else None
            if role is None:
                continue
            texts = _texts(item.get("content"), (*path, "content"))
            if role == "assistant":
                if group_role != "assistant":
                    flush()
                    group_role, group_path = "assistant", path
                group.extend(texts)
            else:
                flush()
                out.append(message(role, texts, path))
        elif kind in _OUTPUT_TYPES:
            if group_role != "tool":
                flush()
                group_role, group_path = "tool", path
            group.append(_result(item, kind, path))
        elif (call := _call(item, kind, path)) is not None:
            if group_role != "assistant":
                flush()
                group_role, group_path = "assistant", path
            group.append(call)
        # reasoning, item_reference, hosted tool calls (web search, MCP...) carry no harness text
    flush()
    return out


def _skills(env: Any, base: tuple[Any, ...]) -> list[StructuredSkill]:
    if not isinstance(env, dict) or not isinstance(skills := env.get("skills"), list):
        return []
    out = []
    for j, skill in enumerate(skills):
        if isinstance(skill, dict):
            version = skill.get("version")
            out.append(
                StructuredSkill(
                    "responses.shell.skills",
                    as_str(skill.get("type")) or "local",  # local skills carry no type
                    as_str(skill.get("name")),
                    as_str(skill.get("skill_id")),
                    str(version) if isinstance(version, (str, int)) else None,
                    (*base, "environment", "skills", j),
                )
            )
    return out


def _tools(tools: Any) -> tuple[tuple[ToolSpec, ...], tuple[StructuredSkill, ...]]:
    if not isinstance(tools, list):
        return (), ()
    specs: list[ToolSpec] = []
    skills: list[StructuredSkill] = []
    for t, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(kind := tool.get("type"), str):
            continue
        name = as_str(tool.get("name"))
        desc = as_str(tool.get("description"))
        if kind in {"function", "custom"}:
            schema = tool.get("parameters" if kind == "function" else "format")
            if name is not None:
                specs.append(
                    ToolSpec(name, kind, schema if isinstance(schema, dict) else None, desc)
                )
        elif kind == "namespace":
            nested = tool.get("tools")
            params = {"tools": nested} if isinstance(nested, list) else None
            specs.append(ToolSpec(name or kind, kind, params, desc))
        else:
            label = as_str(tool.get("server_label")) if kind == "mcp" else None
            specs.append(ToolSpec(name or label or kind, kind, None, desc))
            if kind == "shell":
                skills.extend(_skills(tool.get("environment"), ("tools", t)))
    return tuple(specs), tuple(skills)


def parse_request(body: Mapping[str, Any]) -> Request:
    messages: list[Message] = []
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        path = ("instructions",)
        messages.append(message("system", (text_part(instructions, path),), path))
    items = body.get("input")
    if isinstance(items, str):
        messages.append(message("user", (text_part(items, ("input",)),), ("input",)))
    elif isinstance(items, list):
        messages.extend(_messages(items))
    tools, skills = _tools(body.get("tools"))
    model = body.get("model")
    parallel = body.get("parallel_tool_calls")
    return Request(
        WireFormat.RESPONSES,
        model if isinstance(model, str) else None,
        body.get("stream") is True,
        tuple(messages),
        tools,
        skills,
        parallel if isinstance(parallel, bool) else None,
    )
