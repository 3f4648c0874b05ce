"""Anthropic Messages: ``message`` bodies and the ``message_start`` ... ``message_stop`` stream."""

from __future__ import annotations

from typing import Any

from skvm_shim.testing._render import Answer, new_id, split, sse


def _stop(a: Answer) -> str:
    return a.finish_reason or ("tool_use" if a.calls else "end_turn")


def _usage(a: Answer, output_tokens: int) -> dict[str, Any]:
    # Anthropic counts cache reads apart from input_tokens; the script's input_tokens is the total.
    return {
        "input_tokens": max(0, a.input_tokens - a.cached_tokens),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": a.cached_tokens,
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _blocks(a: Answer) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if a.text is not None:
        blocks.append({"type": "text", "text": a.text})
    blocks.extend(
        {
            "type": "tool_use",
            "id": call.id or new_id("toolu_"),
            "name": call.name,
            "input": call.input_object(),
        }
        for call in a.calls
    )
    return blocks


def _message(a: Answer, content: list[dict[str, Any]], output_tokens: int) -> dict[str, Any]:
    return {
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": a.model,
        "content": content,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": _usage(a, output_tokens),
    }


def body(a: Answer) -> dict[str, Any]:
    return {**_message(a, _blocks(a), a.output_tokens), "stop_reason": _stop(a)}


def events(a: Answer) -> list[bytes]:
    out = [sse({"type": "message_start", "message": _message(a, [], 1)}, "message_start")]

    def emit(kind: str, **fields: Any) -> None:
        out.append(sse({"type": kind, **fields}, kind))

    raw_args = iter(call.arguments for call in a.calls)
    for index, block in enumerate(_blocks(a)):
        if block["type"] == "text":
            emit("content_block_start", index=index, content_block={"type": "text", "text": ""})
            deltas = [
                {"type": "text_delta", "text": piece} for piece in split(block["text"], a.deltas)
            ]
        else:
            emit("content_block_start", index=index, content_block={**block, "input": {}})
            pieces = ["", *split(next(raw_args), a.deltas)]
            deltas = [{"type": "input_json_delta", "partial_json": piece} for piece in pieces]
        if index == 0:
            emit("ping")
        for delta in deltas:
            emit("content_block_delta", index=index, delta=delta)
        emit("content_block_stop", index=index)
    if len(out) == 1:
        emit("ping")
    emit(
        "message_delta",
        delta={"stop_reason": _stop(a), "stop_sequence": None},
        usage={"output_tokens": a.output_tokens},
    )
    emit("message_stop")
    return out
