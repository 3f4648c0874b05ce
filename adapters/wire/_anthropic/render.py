"""IR turn -> Anthropic Messages body or event stream, as the Anthropic SDK parses them."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, ToolCall, Usage
from adapters.wire._jsonutil import canonical, dumps, new_id, parse_json
from adapters.wire._sse import encode_event

_STOP_OUT: dict[str, str] = {
    "stop": "end_turn",
    "tool_calls": "tool_use",
    "length": "max_tokens",
    "refusal": "refusal",
    "content_filter": "refusal",
    "other": "end_turn",
}


def _input_out(call: ToolCall) -> dict[str, Any]:
    if call.kind != "function":
        raise ValueError(f"anthropic messages cannot carry a {call.kind!r} tool call")
    if not call.arguments.strip():
        return {}
    value = parse_json(call.arguments)
    if not isinstance(value, dict):
        raise ValueError("anthropic tool_use input must be a JSON object")
    return value


def _usage_out(usage: Usage | None, *, start: bool) -> dict[str, Any]:
    usage = usage or Usage()
    out: dict[str, Any] = {
        "input_tokens": usage.input_tokens or 0,
        "cache_creation_input_tokens": usage.cache_creation_tokens,
        "cache_read_input_tokens": usage.cache_read_tokens,
        "output_tokens": 0 if start else usage.output_tokens or 0,
    }
    if not start:
        details = None
        if usage.reasoning_tokens is not None:
            details = {"thinking_tokens": usage.reasoning_tokens}
        out["output_tokens_details"] = details
    return out


def _head(turn: AssistantTurn) -> dict[str, Any]:
    return {
        "id": turn.id or new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": turn.model or "skvm-shim",
    }


def _stop_out(turn: AssistantTurn) -> str:
    if turn.finish_reason is None:
        return "tool_use" if turn.tool_calls else "end_turn"
    return _STOP_OUT[turn.finish_reason]


def _tool_id(call: ToolCall) -> str:
    return call.id or new_id("toolu_")


def render_json(turn: AssistantTurn) -> bytes:
    content: list[dict[str, Any]] = []
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for call in turn.tool_calls:
        content.append(
            {"type": "tool_use", "id": _tool_id(call), "name": call.name, "input": _input_out(call)}
        )
    doc = {
        **_head(turn),
        "content": content,
        "stop_reason": _stop_out(turn),
        "stop_sequence": None,
        "usage": _usage_out(turn.usage, start=False),
    }
    return dumps(doc)


def render_sse(turn: AssistantTurn) -> list[bytes]:
    inputs = [_input_out(call) for call in turn.tool_calls]  # refuse before emitting anything
    start = {
        **_head(turn),
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage_out(turn.usage, start=True),
    }
    events = [_event("message_start", {"type": "message_start", "message": start})]
    index = 0
    if turn.text:
        events.append(
            _event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": 0,
                    "content_block": {"type": "text", "text": ""},
                },
            )
        )
        delta = {"type": "text_delta", "text": turn.text}
        events.append(
            _event(
                "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
            )
        )
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        index = 1
    for call, value in zip(turn.tool_calls, inputs, strict=True):
        block = {"type": "tool_use", "id": _tool_id(call), "name": call.name, "input": {}}
        events.append(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": block},
            )
        )
        delta = {"type": "input_json_delta", "partial_json": canonical(value)}
        events.append(
            _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        )
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    stop = {"stop_reason": _stop_out(turn), "stop_sequence": None}
    final_usage = _usage_out(turn.usage, start=False)
    events.append(
        _event("message_delta", {"type": "message_delta", "delta": stop, "usage": final_usage})
    )
    events.append(_event("message_stop", {"type": "message_stop"}))
    return events


def _event(name: str, data: dict[str, Any]) -> bytes:
    return encode_event(dumps(data), name)
