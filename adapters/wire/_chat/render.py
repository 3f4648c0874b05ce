"""IR turn -> Chat Completions body or chunk stream, as the OpenAI SDK parses them."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, ToolCall, Usage
from adapters.wire._jsonutil import dumps, new_id, now
from adapters.wire._sse import encode_event

_FINISH_OUT: dict[str, str] = {
    "stop": "stop",
    "tool_calls": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
    "refusal": "stop",
    "other": "stop",
}


def _usage_out(usage: Usage) -> dict[str, Any]:
    prompt = usage.input_tokens or 0
    completion = usage.output_tokens or 0
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    details: dict[str, int] = {}
    if usage.cache_read_tokens is not None:
        details["cached_tokens"] = usage.cache_read_tokens
    if usage.cache_creation_tokens is not None:
        details["cache_write_tokens"] = usage.cache_creation_tokens
    if details:
        out["prompt_tokens_details"] = details
    if usage.reasoning_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": usage.reasoning_tokens}
    return out


def _finish_out(turn: AssistantTurn) -> str:
    if turn.finish_reason is None:
        return "tool_calls" if turn.tool_calls else "stop"
    return _FINISH_OUT[turn.finish_reason]


def _call_out(call: ToolCall) -> dict[str, Any]:
    call_id = call.id or new_id("call_")
    if call.kind == "function":
        return {
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments},
        }
    if call.kind == "custom":
        return {
            "id": call_id,
            "type": "custom",
            "custom": {"name": call.name, "input": call.arguments},
        }
    raise ValueError(f"chat completions cannot carry a {call.kind!r} tool call")


def render_json(turn: AssistantTurn) -> bytes:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": turn.text or None,
        "refusal": None,
        "annotations": [],
    }
    if turn.tool_calls:
        message["tool_calls"] = [_call_out(c) for c in turn.tool_calls]
    doc: dict[str, Any] = {
        "id": turn.id or new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": now(),
        "model": turn.model or "skvm-shim",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish_out(turn)}
        ],
        "service_tier": "default",
        "system_fingerprint": None,
    }
    if turn.usage is not None:
        doc["usage"] = _usage_out(turn.usage)
    return dumps(doc)


def render_sse(turn: AssistantTurn) -> list[bytes]:
    head = {
        "id": turn.id or new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": now(),
        "model": turn.model or "skvm-shim",
        "service_tier": "default",
        "system_fingerprint": None,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return encode_event(dumps({**head, "choices": [choice]}))

    events = [chunk({"role": "assistant", "content": "", "refusal": None})]
    if turn.text:
        events.append(chunk({"content": turn.text}))
    for i, call in enumerate(turn.tool_calls):
        if call.kind != "function":
            raise ValueError(f"a chat completions stream cannot carry a {call.kind!r} tool call")
        start = {
            "index": i,
            "id": call.id or new_id("call_"),
            "type": "function",
            "function": {"name": call.name, "arguments": ""},
        }
        events.append(chunk({"tool_calls": [start]}))
        if call.arguments:
            piece = {"index": i, "function": {"arguments": call.arguments}}
            events.append(chunk({"tool_calls": [piece]}))
    events.append(chunk({}, _finish_out(turn)))
    if turn.usage is not None:
        usage_chunk = {**head, "choices": [], "usage": _usage_out(turn.usage)}
        events.append(encode_event(dumps(usage_chunk)))
    events.append(encode_event(b"[DONE]"))
    return events
