"""OpenAI Chat Completions: ``chat.completion`` bodies and ``chat.completion.chunk`` streams."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skvm_shim.testing._render import Answer, Call, new_id, split, sse

_FINGERPRINT = "fp_scripted"


def _finish(a: Answer) -> str:
    return a.finish_reason or ("tool_calls" if a.calls else "stop")


def _usage(a: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": a.input_tokens,
        "completion_tokens": a.output_tokens,
        "total_tokens": a.input_tokens + a.output_tokens,
        "prompt_tokens_details": {"cached_tokens": a.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": a.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _call_id(call: Call) -> str:
    return call.id or new_id("call_")


def body(a: Answer) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": a.text,
        "refusal": None,
        "annotations": [],
    }
    if a.calls:
        message["tool_calls"] = [
            {"id": _call_id(c), "type": "custom", "custom": {"name": c.name, "input": c.arguments}}
            if c.kind == "custom"
            else {
                "id": _call_id(c),
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments},
            }
            for c in a.calls
        ]
    return {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": a.created,
        "model": a.model,
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": _finish(a)}
        ],
        "usage": _usage(a),
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }


def events(a: Answer, request: Mapping[str, Any]) -> list[bytes]:
    options = request.get("stream_options")
    include_usage = isinstance(options, Mapping) and options.get("include_usage") is True
    head: dict[str, Any] = {
        "id": new_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": a.created,
        "model": a.model,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
    }
    if include_usage:
        head["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**head, "choices": [choice]})

    out = [chunk({"role": "assistant", "content": "", "refusal": None})]
    out.extend(chunk({"content": piece}) for piece in split(a.text or "", a.deltas))
    for index, call in enumerate(a.calls):
        field = "custom" if call.kind == "custom" else "function"
        key = "input" if call.kind == "custom" else "arguments"
        opening = {
            "index": index,
            "id": _call_id(call),
            "type": field,
            field: {"name": call.name, key: ""},
        }
        out.append(chunk({"tool_calls": [opening]}))
        out.extend(
            chunk({"tool_calls": [{"index": index, field: {key: piece}}]})
            for piece in split(call.arguments, a.deltas)
        )
    out.append(chunk({}, _finish(a)))
    if include_usage:
        out.append(sse({**head, "choices": [], "usage": _usage(a)}))
    out.append(b"data: [DONE]\n\n")
    return out
