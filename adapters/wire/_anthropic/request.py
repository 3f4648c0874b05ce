"""Anthropic Messages request bodies -> IR :class:`~adapters.ir.Request`, with paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ir import Message, Part, Request, StructuredSkill, TextPart, ToolSpec, WireFormat
from adapters.wire._build import message, text_part, tool_call, tool_result
from adapters.wire._jsonutil import as_str, canonical


def _block_texts(content: Any, base: tuple[Any, ...]) -> tuple[TextPart, ...]:
    """A ``content`` string or the text blocks of a block list (``cache_control`` is ignored)."""
    if isinstance(content, str):
        return (text_part(content, base),)
    if not isinstance(content, list):
        return ()
    out = []
    for j, block in enumerate(content):
        if isinstance(block, dict) and block.get("type") == "text":
            text = block.get("text")
            if isinstance(text, str):
                out.append(text_part(text, (*base, j, "text")))
    return tuple(out)


def input_text(value: Any) -> str:
    """Canonical JSON text of a ``tool_use.input`` object (what the model sent, re-serialised)."""
    if value is None:
        return "{}"
    try:
        return canonical(value)
    except (TypeError, ValueError, RecursionError):
        return ""


def _message(i: int, msg: dict[str, Any]) -> Message | None:
    role = msg.get("role")
    if role != "user" and role != "assistant":  # noqa: PLR1714 (role may be unhashable)
        return None
    content = msg.get("content")
    if isinstance(content, str):
        return message(role, (text_part(content, ("messages", i, "content")),), ("messages", i))
    parts: list[Part] = []
    if isinstance(content, list):
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            kind = block.get("type")
            if kind == "text":
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text_part(text, ("messages", i, "content", j, "text")))
            elif kind == "tool_result":
                call_id = block.get("tool_use_id")
                is_error = block.get("is_error")
                path = ("messages", i, "content", j)
                parts.append(
                    tool_result(
                        call_id if isinstance(call_id, str) else "",
                        _block_texts(
                            block.get("content"), ("messages", i, "content", j, "content")
                        ),
                        is_error if isinstance(is_error, bool) else None,
                        path,
                    )
                )
            elif kind == "tool_use":
                call_id = block.get("id")
                name = block.get("name")
                parts.append(
                    tool_call(
                        call_id if isinstance(call_id, str) else "",
                        name if isinstance(name, str) else "",
                        input_text(block.get("input")),
                        "function",
                        ("messages", i, "content", j),
                    )
                )
    return message(role, tuple(parts), ("messages", i))


def _tools(tools: Any) -> tuple[ToolSpec, ...]:
    out: list[ToolSpec] = []
    if not isinstance(tools, list):
        return ()
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        kind = tool.get("type")
        name = tool.get("name")
        desc = tool.get("description")
        desc = desc if isinstance(desc, str) else None
        if kind is None or kind == "custom":
            schema = tool.get("input_schema")
            if isinstance(name, str):
                out.append(
                    ToolSpec(name, "function", schema if isinstance(schema, dict) else None, desc)
                )
        elif isinstance(kind, str):
            # Anthropic-defined tools (bash_20250124, text_editor_..., web_search_..., ...).
            out.append(ToolSpec(name if isinstance(name, str) else kind, kind, None, desc))
    return tuple(out)


def _skills(container: Any) -> tuple[StructuredSkill, ...]:
    if not isinstance(container, dict):
        return ()
    skills = container.get("skills")
    if not isinstance(skills, list):
        return ()
    out = []
    for j, skill in enumerate(skills):
        if isinstance(skill, dict):
            version = skill.get("version")
            out.append(
                StructuredSkill(
                    "anthropic.container.skills",
                    as_str(skill.get("type")) or "",
                    None,
                    as_str(skill.get("skill_id")),
                    str(version) if isinstance(version, (str, int)) else None,
                    ("container", "skills", j),
                )
            )
    return tuple(out)


def parse_request(body: Mapping[str, Any]) -> Request:
    messages: list[Message] = []
    system = body.get("system")
    if isinstance(system, str):
        messages.append(message("system", (text_part(system, ("system",)),), ("system",)))
    elif isinstance(system, list):
        messages.append(message("system", _block_texts(system, ("system",)), ("system",)))
    raw = body.get("messages")
    if isinstance(raw, list):
        for i, msg in enumerate(raw):
            if isinstance(msg, dict) and (parsed := _message(i, msg)) is not None:
                messages.append(parsed)
    model = body.get("model")
    choice = body.get("tool_choice")
    parallel = None
    if isinstance(choice, dict) and isinstance(
        off := choice.get("disable_parallel_tool_use"), bool
    ):
        parallel = not off
    return Request(
        WireFormat.ANTHROPIC_MESSAGES,
        model if isinstance(model, str) else None,
        body.get("stream") is True,
        tuple(messages),
        _tools(body.get("tools")),
        _skills(body.get("container")),
        parallel,
    )
