"""The ChatML function-calling prompt the local model sees, rendered from an OpenAI request.

Same format as llama-cpp-python's ``chatml-function-calling`` (tool list in the system message,
the model answers ``functions.<name>:`` + JSON arguments or ``message:`` + text), with the gaps that
make the stock renderer unusable for agent traffic closed:

* ``tool`` messages (tool results) are rendered; the stock template silently drops them;
* text is not HTML-escaped (the stock Jinja environment autoescapes string templates, turning
  every quote and ``<`` of code into entities);
* tool descriptions are shown, and a system message is added when the request has none (the stock
  template lists the tools only inside a system message);
* content given as a list of parts is flattened to its text.

Pure functions over plain dicts, so they are tested without llama.cpp installed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
DEFAULT_SYSTEM = "You are a helpful assistant."
MESSAGE_PREFIX = "message:"
FUNCTION_PREFIX = "functions."

_TOOLS_INTRO = "\n\nYou have access to the following functions:\n"
_TOOLS_USAGE = (
    "\n\nYou can respond to users messages with either a single message or a function call."
    "\n\nTo respond with a message begin the message with 'message:', use the following format:"
    "\n\nmessage:"
    "\n<message>"
    "\n\nTo respond with a function call begin the message with 'functions.<function_name>:', "
    "use the following format:"
    "\n\nfunctions.<function_name>:"
    '\n{ "arg1": "value1", "arg2": "value2" }'
)


def content_text(content: Any) -> str:
    """The text of a message ``content``: a string, None, or a list of typed parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        texts = []
        for part in content:
            if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, str):
                texts.append(part)
        return "\n".join(texts)
    return str(content)


def function_tools(tools: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The ``function`` entries of an OpenAI ``tools`` list (other tool types are not callable)."""
    out: list[dict[str, Any]] = []
    for tool in tools or ():
        fn = tool.get("function") if tool.get("type", "function") == "function" else None
        if isinstance(fn, Mapping) and isinstance(fn.get("name"), str) and fn["name"]:
            out.append(dict(fn))
    return out


def parameters_schema(function: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON schema of a function's arguments; an empty object schema when none is given."""
    params = function.get("parameters")
    if isinstance(params, Mapping) and params:
        return dict(params)
    return {"type": "object", "properties": {}}


def _tools_block(functions: Sequence[Mapping[str, Any]]) -> str:
    lines = [_TOOLS_INTRO]
    for fn in functions:
        description = str(fn.get("description") or "").strip()
        if description:
            lines.append(f"\n# {' '.join(description.split())}")
        lines.append(f"\n{FUNCTION_PREFIX}{fn['name']}:\n")
        lines.append(json.dumps(parameters_schema(fn), ensure_ascii=False))
        lines.append("\n")
    lines.append(_TOOLS_USAGE)
    return "".join(lines)


def _call_names(messages: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for message in messages:
        for call in message.get("tool_calls") or ():
            fn = call.get("function") or {}
            if call.get("id") and fn.get("name"):
                names[str(call["id"])] = str(fn["name"])
    return names


def _assistant_body(message: Mapping[str, Any], *, with_tools: bool) -> str:
    parts: list[str] = []
    text = content_text(message.get("content"))
    if text:
        parts.append(f"{MESSAGE_PREFIX}\n{text}" if with_tools else text)
    for call in message.get("tool_calls") or ():
        fn = call.get("function") or {}
        parts.append(f"{FUNCTION_PREFIX}{fn.get('name', '')}:\n{fn.get('arguments') or '{}'}")
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping) and legacy.get("name"):
        parts.append(f"{FUNCTION_PREFIX}{legacy['name']}:\n{legacy.get('arguments') or '{}'}")
    return "\n".join(parts)


def render_prompt(
    messages: Sequence[Mapping[str, Any]], functions: Sequence[Mapping[str, Any]]
) -> str:
    """The full prompt, ending with the assistant's generation header.

    With ``functions`` empty it is plain ChatML (SmolLM2's own template without its default
    system prompt).
    """
    with_tools = bool(functions)
    call_names = _call_names(messages)
    blocks: list[str] = []
    has_system = any(m.get("role") in ("system", "developer") for m in messages)
    if with_tools and not has_system:
        blocks.append(f"{IM_START}system\n{DEFAULT_SYSTEM}{_tools_block(functions)}{IM_END}\n")
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            tools = _tools_block(functions) if with_tools else ""
            body = f"{content_text(message.get('content'))}{tools}"
            blocks.append(f"{IM_START}system\n{body}{IM_END}\n")
        elif role == "assistant":
            body = _assistant_body(message, with_tools=with_tools)
            blocks.append(f"{IM_START}assistant\n{body}{IM_END}\n")
        elif role in ("tool", "function"):
            call_id = str(message.get("tool_call_id") or "")
            name = call_names.get(call_id) or str(message.get("name") or "tool")
            body = f"Output of {FUNCTION_PREFIX}{name}:\n{content_text(message.get('content'))}"
            blocks.append(f"{IM_START}user\n{body}{IM_END}\n")
        else:
            blocks.append(f"{IM_START}user\n{content_text(message.get('content'))}{IM_END}\n")
    blocks.append(f"{IM_START}assistant\n")
    return "".join(blocks)


def _gbnf_literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def choice_grammar(functions: Sequence[Mapping[str, Any]], *, required: bool) -> str:
    """GBNF for the first words of the answer: which function to call, or ``message:``."""
    names = " | ".join(_gbnf_literal(f"{FUNCTION_PREFIX}{fn['name']}:") for fn in functions)
    root = "functions" if required else f"functions | {_gbnf_literal(MESSAGE_PREFIX)}"
    return f"root ::= {root}\nfunctions ::= {names}\n"
