"""OpenAI Responses: ``response`` objects and the ``response.*`` event stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from skvm_shim.testing._render import Answer, new_id, split, sse

# Request fields the real API echoes back in the response object.
_ECHOED: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "temperature": 1.0,
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
}
_INCOMPLETE = {
    "length": "max_output_tokens",
    "max_tokens": "max_output_tokens",
    "max_output_tokens": "max_output_tokens",
    "content_filter": "content_filter",
}


def _usage(a: Answer) -> dict[str, Any]:
    return {
        "input_tokens": a.input_tokens,
        "input_tokens_details": {"cached_tokens": a.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": a.output_tokens,
        "output_tokens_details": {"reasoning_tokens": a.reasoning_tokens},
        "total_tokens": a.input_tokens + a.output_tokens,
    }


def _items(a: Answer) -> list[dict[str, Any]]:
    """The completed output items, with their ids fixed for this response."""
    items: list[dict[str, Any]] = []
    if a.text is not None:
        part = {"type": "output_text", "text": a.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "id": new_id("msg_"),
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [part],
            }
        )
    for call in a.calls:
        call_id = call.id or new_id("call_")
        if call.kind == "custom":
            items.append(
                {
                    "id": new_id("ctc_"),
                    "type": "custom_tool_call",
                    "status": "completed",
                    "call_id": call_id,
                    "name": call.name,
                    "input": call.arguments,
                }
            )
        else:
            items.append(
                {
                    "id": new_id("fc_"),
                    "type": "function_call",
                    "status": "completed",
                    "call_id": call_id,
                    "name": call.name,
                    "arguments": call.arguments,
                }
            )
    return items


def _response(a: Answer, request: Mapping[str, Any], rid: str) -> dict[str, Any]:
    echoed = {key: request.get(key, default) for key, default in _ECHOED.items()}
    return {
        "id": rid,
        "object": "response",
        "created_at": a.created,
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "model": a.model,
        "output": [],
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": request.get("store", True),
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "truncation": "disabled",
        "usage": None,
        "user": None,
        **echoed,
    }


def _finished(response: dict[str, Any], a: Answer, items: list[dict[str, Any]]) -> dict[str, Any]:
    reason = _INCOMPLETE.get(a.finish_reason or "")
    return {
        **response,
        "status": "incomplete" if reason else "completed",
        "completed_at": a.created,
        "incomplete_details": {"reason": reason} if reason else None,
        "output": items,
        "usage": _usage(a),
    }


def body(a: Answer, request: Mapping[str, Any]) -> dict[str, Any]:
    return _finished(_response(a, request, new_id("resp_")), a, _items(a))


def events(a: Answer, request: Mapping[str, Any]) -> list[bytes]:
    out: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append(sse({"type": kind, "sequence_number": len(out), **fields}, kind))

    response = _response(a, request, new_id("resp_"))
    items = _items(a)
    emit("response.created", response=response)
    emit("response.in_progress", response=response)
    for index, item in enumerate(items):
        ids = {"item_id": item["id"], "output_index": index}
        if item["type"] == "message":
            part = item["content"][0]
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "content": []},
            )
            empty = {**part, "text": ""}
            emit("response.content_part.added", **ids, content_index=0, part=empty)
            for piece in split(part["text"], a.deltas):
                emit("response.output_text.delta", **ids, content_index=0, delta=piece, logprobs=[])
            emit(
                "response.output_text.done", **ids, content_index=0, text=part["text"], logprobs=[]
            )
            emit("response.content_part.done", **ids, content_index=0, part=part)
        else:
            key, kind = (
                ("input", "response.custom_tool_call_input")
                if item["type"] == "custom_tool_call"
                else ("arguments", "response.function_call_arguments")
            )
            emit(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", key: ""},
            )
            for piece in split(item[key], a.deltas):
                emit(f"{kind}.delta", **ids, delta=piece)
            emit(f"{kind}.done", **ids, **{key: item[key]})
        emit("response.output_item.done", output_index=index, item=item)
    final = _finished(response, a, items)
    emit(f"response.{final['status']}", response=final)
    return out
