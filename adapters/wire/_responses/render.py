"""IR turn -> Responses body or event stream, as the OpenAI SDK parses them."""

from __future__ import annotations

from typing import Any

from adapters.ir import AssistantTurn, ToolCall, Usage
from adapters.wire._jsonutil import dumps, new_id, now, parse_json
from adapters.wire._responses.items import OBJECT_CALL_TYPES, OBJECT_CALLS
from adapters.wire._sse import encode_event


def _usage_out(usage: Usage) -> dict[str, Any]:
    inp = usage.input_tokens or 0
    out = usage.output_tokens or 0
    return {
        "input_tokens": inp,
        "input_tokens_details": {
            "cached_tokens": usage.cache_read_tokens or 0,
            "cache_write_tokens": usage.cache_creation_tokens or 0,
        },
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens or 0},
        "total_tokens": inp + out,
    }


def _status(turn: AssistantTurn) -> tuple[str, dict[str, str] | None]:
    if turn.finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    if turn.finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    return "completed", None


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _call_item(call: ToolCall, status: str, *, started: bool = False) -> dict[str, Any]:
    """The output item of a call; ``started`` gives its ``output_item.added`` form."""
    call_id = call.id or new_id("call_")
    if call.kind == "function":
        return {
            "id": "fc_" + call_id,
            "type": "function_call",
            "status": status,
            "call_id": call_id,
            "name": call.name,
            "arguments": "" if started else call.arguments,
        }
    if call.kind == "custom":
        return {
            "id": "ctc_" + call_id,
            "type": "custom_tool_call",
            "call_id": call_id,
            "name": call.name,
            "input": "" if started else call.arguments,
        }
    item_type = OBJECT_CALL_TYPES[call.kind]
    _, field, prefix = OBJECT_CALLS[item_type]
    value = parse_json(call.arguments)
    if not isinstance(value, dict):
        raise ValueError(f"a {item_type} needs a JSON object as arguments")
    return {
        "id": prefix + call_id,
        "type": item_type,
        "call_id": call_id,
        field: value,
        "status": status,
    }


def _with_ids(turn: AssistantTurn) -> AssistantTurn:
    """The turn with an id on every call, so every event and the final output agree."""
    if all(c.id for c in turn.tool_calls):
        return turn
    calls = tuple(
        c if c.id else ToolCall(new_id("call_"), c.name, c.arguments, c.kind)
        for c in turn.tool_calls
    )
    return AssistantTurn(turn.text, calls, turn.finish_reason, turn.usage, turn.id, turn.model)


def _response(turn: AssistantTurn, output: list[dict[str, Any]], *, final: bool) -> dict[str, Any]:
    status, incomplete = _status(turn) if final else ("in_progress", None)
    created = now()
    return {
        "id": turn.id,
        "object": "response",
        "created_at": created,
        "status": status,
        "background": False,
        "completed_at": created if final and status == "completed" else None,
        "error": None,
        "incomplete_details": incomplete,
        "instructions": None,
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": turn.model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}, "verbosity": "medium"},
        "tool_choice": "auto",
        "tools": [],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage_out(turn.usage) if final and turn.usage is not None else None,
        "user": None,
        "metadata": {},
    }


def _prepared(turn: AssistantTurn) -> AssistantTurn:
    turn = _with_ids(turn)
    if turn.id and turn.model:
        return turn
    return AssistantTurn(
        turn.text,
        turn.tool_calls,
        turn.finish_reason,
        turn.usage,
        turn.id or new_id("resp_"),
        turn.model or "skvm-shim",
    )


def _output(turn: AssistantTurn, message_id: str) -> list[dict[str, Any]]:
    output = [_message_item(message_id, turn.text, "completed")] if turn.text else []
    output.extend(_call_item(c, "completed") for c in turn.tool_calls)
    return output


def render_json(turn: AssistantTurn) -> bytes:
    turn = _prepared(turn)
    return dumps(_response(turn, _output(turn, new_id("msg_")), final=True))


def render_sse(turn: AssistantTurn) -> list[bytes]:
    turn = _prepared(turn)
    message_id = new_id("msg_")
    final_output = _output(turn, message_id)  # validates the calls before anything is emitted
    events: list[bytes] = []

    def emit(kind: str, payload: dict[str, Any]) -> None:
        data = {"type": kind, "sequence_number": len(events), **payload}
        events.append(encode_event(dumps(data), kind))

    emit("response.created", {"response": _response(turn, [], final=False)})
    emit("response.in_progress", {"response": _response(turn, [], final=False)})
    index = 0
    if turn.text:
        ids = {"item_id": message_id, "output_index": 0}
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        started = _message_item(message_id, "", "in_progress")
        started["content"] = []
        emit("response.output_item.added", {"output_index": 0, "item": started})
        emit("response.content_part.added", {**ids, "content_index": 0, "part": part})
        emit(
            "response.output_text.delta",
            {**ids, "content_index": 0, "delta": turn.text, "logprobs": []},
        )
        emit(
            "response.output_text.done",
            {**ids, "content_index": 0, "text": turn.text, "logprobs": []},
        )
        emit(
            "response.content_part.done",
            {**ids, "content_index": 0, "part": {**part, "text": turn.text}},
        )
        emit("response.output_item.done", {"output_index": 0, "item": final_output[0]})
        index = 1
    for call in turn.tool_calls:
        done = final_output[index]
        ids = {"item_id": done["id"], "output_index": index}
        emit(
            "response.output_item.added",
            {"output_index": index, "item": _call_item(call, "in_progress", started=True)},
        )
        if call.kind == "function":
            emit("response.function_call_arguments.delta", {**ids, "delta": call.arguments})
            emit(
                "response.function_call_arguments.done",
                {**ids, "name": call.name, "arguments": call.arguments},
            )
        elif call.kind == "custom":
            emit("response.custom_tool_call_input.delta", {**ids, "delta": call.arguments})
            emit("response.custom_tool_call_input.done", {**ids, "input": call.arguments})
        emit("response.output_item.done", {"output_index": index, "item": done})
        index += 1
    final = _response(turn, final_output, final=True)
    emit(
        "response.completed" if final["status"] == "completed" else "response.incomplete",
        {"response": final},
    )
    return events
