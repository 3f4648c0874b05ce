"""Response parsing on upstream bodies shaped like the real APIs' (not the shim's own renders).

The streams follow what the APIs send: Anthropic ``ping`` events and tool input split into
``input_json_delta`` pieces with the model's own spacing; Chat Completions parallel tool calls
interleaved by index and a trailing usage chunk; Responses reasoning items, ``sequence_number``s
and a final ``response.completed`` snapshot.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.ir import AssistantTurn, ToolCall, Usage, WireFormat
from adapters.wire import codec_for

CHAT = WireFormat.CHAT_COMPLETIONS
RESPONSES = WireFormat.RESPONSES
ANTHROPIC = WireFormat.ANTHROPIC_MESSAGES


def _sse(events: list[tuple[str | None, Any]], newline: str = "\n") -> bytes:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {name}{newline}" if name else ""
        out.append(f"{head}data: {text}{newline}{newline}")
    return "".join(out).encode()


def _parse(
    fmt: WireFormat, body: bytes, *, stream: bool, step: int = 0
) -> tuple[AssistantTurn, Any]:
    parser = codec_for(fmt).response_parser(stream=stream)
    if step:
        for i in range(0, len(body), step):
            parser.feed(body[i : i + step])
    else:
        parser.feed(body)
    return parser.finish(), parser


# --- Chat Completions --------------------------------------------------------------------------


def _chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9",
        "object": "chat.completion.chunk",
        "created": 1730000000,
        "model": "gpt-4o-2024-08-06",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        **extra,
    }


CHAT_STREAM = _sse(
    [
        (None, _chunk({"role": "assistant", "content": "", "refusal": None})),
        (None, _chunk({"content": "Let me "})),
        (None, _chunk({"content": "check — ☀️."})),
        (
            None,
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_a",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": ""},
                        }
                    ]
                }
            ),
        ),
        (None, _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Pa'}}]})),
        (
            None,
            _chunk(
                {
                    "tool_calls": [
                        {
                            "index": 1,
                            "id": "call_b",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": '{"tz"'},
                        }
                    ]
                }
            ),
        ),
        (None, _chunk({"tool_calls": [{"index": 0, "function": {"arguments": 'ris"}'}}]})),
        (None, _chunk({"tool_calls": [{"index": 1, "function": {"arguments": ': "CET"}'}}]})),
        (None, _chunk({}, "tool_calls")),
        (
            None,
            {
                **_chunk({}),
                "choices": [],
                "usage": {
                    "prompt_tokens": 80,
                    "completion_tokens": 40,
                    "total_tokens": 120,
                    "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
                },
            },
        ),
        (None, "[DONE]"),
    ]
)

CHAT_TURN = AssistantTurn(
    "Let me check — ☀️.",
    (
        ToolCall("call_a", "get_weather", '{"city": "Paris"}'),
        ToolCall("call_b", "get_time", '{"tz": "CET"}'),
    ),
    "tool_calls",
    Usage(80, 40, 64, None, 0),
    "chatcmpl-B9",
    "gpt-4o-2024-08-06",
)


AZURE_FILTER_CHUNK = _sse(
    [
        (
            None,
            {
                "id": "",
                "object": "",
                "created": 0,
                "model": "",
                "choices": [],
                "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
            },
        )
    ]
)


@pytest.mark.parametrize("step", [0, 1, 7])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_chat_stream(step: int, newline: str) -> None:
    body = (AZURE_FILTER_CHUNK + CHAT_STREAM).replace(b"\n", newline.encode())
    turn, parser = _parse(CHAT, body, stream=True, step=step)
    assert turn == CHAT_TURN
    assert parser.error is None


def test_chat_json() -> None:
    body = {
        "id": "chatcmpl-C1",
        "object": "chat.completion",
        "created": 1730000000,
        "model": "gpt-4.1",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "read", "arguments": '{"path":"a"}'},
                        },
                        {
                            "id": "call_2",
                            "type": "custom",
                            "custom": {"name": "patch", "input": "x"},
                        },
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 3,
            "total_tokens": 13,
            "prompt_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 8},
            "completion_tokens_details": {"reasoning_tokens": 2},
        },
    }
    turn, parser = _parse(CHAT, json.dumps(body).encode(), stream=False, step=5)
    assert turn == AssistantTurn(
        "",
        (ToolCall("call_1", "read", '{"path":"a"}'), ToolCall("call_2", "patch", "x", "custom")),
        "tool_calls",
        Usage(10, 3, 0, 8, 2),
        "chatcmpl-C1",
        "gpt-4.1",
    )
    assert parser.error is None


@pytest.mark.parametrize(
    ("wire", "ir"),
    [
        ("stop", "stop"),
        ("tool_calls", "tool_calls"),
        ("function_call", "tool_calls"),
        ("length", "length"),
        ("content_filter", "content_filter"),
        ("something_new", "other"),
    ],
)
def test_chat_finish_reasons(wire: str, ir: str) -> None:
    body = _sse([(None, _chunk({"content": "x"}, wire)), (None, "[DONE]")])
    assert _parse(CHAT, body, stream=True)[0].finish_reason == ir


def test_chat_legacy_function_call_stream() -> None:
    body = _sse(
        [
            (None, _chunk({"role": "assistant", "function_call": {"name": "f", "arguments": ""}})),
            (None, _chunk({"function_call": {"arguments": '{"a":'}})),
            (None, _chunk({"function_call": {"arguments": "1}"}})),
            (None, _chunk({}, "function_call")),
        ]
    )
    turn = _parse(CHAT, body, stream=True)[0]
    assert turn.tool_calls == (ToolCall("f", "f", '{"a":1}'),)
    assert turn.finish_reason == "tool_calls"


def test_chat_error_in_stream_and_cut_stream_keep_the_partial_turn() -> None:
    cut = CHAT_STREAM[: CHAT_STREAM.index(b'ris\\"}')]
    error = _sse([(None, {"error": {"message": "upstream died", "type": "server_error"}})])
    turn, parser = _parse(CHAT, cut + b"\n\n" + error, stream=True)
    assert parser.error == "server_error: upstream died"
    assert turn.text == "Let me check — ☀️."
    assert turn.tool_calls == (
        ToolCall("call_a", "get_weather", '{"city": "Pa'),
        ToolCall("call_b", "get_time", '{"tz"'),
    )
    assert turn.finish_reason is None
    assert turn.usage is None


def test_chat_error_body_and_garbage() -> None:
    body = b'{"error": {"message": "bad key", "type": "invalid_request_error", "code": "x"}}'
    turn, parser = _parse(CHAT, body, stream=False)
    assert parser.error == "invalid_request_error: bad key"
    assert turn == AssistantTurn()
    turn, parser = _parse(CHAT, b"<html>502</html>", stream=False)
    assert turn == AssistantTurn()
    assert parser.error is not None
    turn, parser = _parse(CHAT, b"data: {not json\n\ndata: [1,2]\n\n: c\n\n", stream=True)
    assert turn == AssistantTurn()
    assert parser.error is None


# --- Anthropic Messages ------------------------------------------------------------------------

ANTHROPIC_STREAM = _sse(
    [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_019Q",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-sonnet-4-20250514",
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {
                        "input_tokens": 377,
                        "cache_creation_input_tokens": 12,
                        "cache_read_input_tokens": 0,
                        "output_tokens": 1,
                        "service_tier": "standard",
                    },
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "thinking", "thinking": ""},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "thinking_delta", "thinking": "hm"},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "text_delta", "text": "I'll check "},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "text_delta", "text": "Paris — «ok»."},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 2,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_01N",
                    "name": "get_weather",
                    "caller": {"type": "direct"},
                    "input": {},
                },
            },
        ),
        *[
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 2,
                    "delta": {"type": "input_json_delta", "partial_json": piece},
                },
            )
            for piece in ["", '{"locati', 'on": "P', "ar", 'is", "units": ["c"]}']
        ],
        ("content_block_stop", {"type": "content_block_stop", "index": 2}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 65, "output_tokens_details": {"thinking_tokens": 20}},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
)

ANTHROPIC_TURN = AssistantTurn(
    "I'll check Paris — «ok».",
    (ToolCall("toolu_01N", "get_weather", '{"location":"Paris","units":["c"]}'),),
    "tool_calls",
    Usage(377, 65, 0, 12, 20),
    "msg_019Q",
    "claude-sonnet-4-20250514",
)


@pytest.mark.parametrize("step", [0, 1, 13])
def test_anthropic_stream(step: int) -> None:
    turn, parser = _parse(ANTHROPIC, ANTHROPIC_STREAM, stream=True, step=step)
    assert turn == ANTHROPIC_TURN
    assert parser.error is None


def test_anthropic_json_skips_thinking_and_server_tools() -> None:
    body = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-opus-4-1",
        "content": [
            {"type": "thinking", "thinking": "...", "signature": "s"},
            {
                "type": "server_tool_use",
                "id": "srvtoolu_1",
                "name": "web_search",
                "input": {"q": "x"},
            },
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "Found it. "},
            {"type": "text", "text": "Now reading.", "citations": None},
            {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "/a b"}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {
            "input_tokens": 5,
            "output_tokens": 7,
            "cache_read_input_tokens": None,
            "cache_creation_input_tokens": None,
        },
    }
    turn, parser = _parse(ANTHROPIC, json.dumps(body).encode(), stream=False)
    assert turn == AssistantTurn(
        "Found it. Now reading.",
        (ToolCall("toolu_1", "Read", '{"file_path":"/a b"}'),),
        "tool_calls",
        Usage(5, 7),
        "msg_1",
        "claude-opus-4-1",
    )
    assert parser.error is None


@pytest.mark.parametrize(
    ("wire", "ir"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("tool_use", "tool_calls"),
        ("max_tokens", "length"),
        ("refusal", "refusal"),
        ("pause_turn", "other"),
        ("model_context_window_exceeded", "other"),
    ],
)
def test_anthropic_stop_reasons(wire: str, ir: str) -> None:
    body = _sse(
        [
            ("message_start", {"type": "message_start", "message": {"id": "m", "usage": {}}}),
            (
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": wire}, "usage": {}},
            ),
        ]
    )
    assert _parse(ANTHROPIC, body, stream=True)[0].finish_reason == ir


def test_anthropic_error_event_and_cut_tool_input() -> None:
    piece = ANTHROPIC_STREAM.index(b'"partial_json": "ar"')
    cut = ANTHROPIC_STREAM[: ANTHROPIC_STREAM.index(b"\n\n", piece) + 2]
    error = _sse(
        [
            (
                "error",
                {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            )
        ]
    )
    turn, parser = _parse(ANTHROPIC, cut + error, stream=True)
    assert parser.error == "overloaded_error: Overloaded"
    assert turn.text == "I'll check Paris — «ok»."
    # The input never completed: its raw text is kept rather than guessed at.
    assert turn.tool_calls == (ToolCall("toolu_01N", "get_weather", '{"location": "Par'),)
    assert turn.finish_reason is None
    assert turn.usage == Usage(377, 1, 0, 12, None)


def test_anthropic_error_body() -> None:
    body = b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
    turn, parser = _parse(ANTHROPIC, body, stream=False)
    assert parser.error == "rate_limit_error: slow down"
    assert turn.tool_calls == ()


# --- Responses ---------------------------------------------------------------------------------


def _resp(status: str, output: list[Any], usage: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_68",
        "object": "response",
        "created_at": 1730000000,
        "status": status,
        "model": "gpt-5-2025-08-07",
        "output": output,
        "usage": usage,
        "error": None,
        "incomplete_details": None,
        **extra,
    }


MESSAGE_ITEM = {
    "id": "msg_1",
    "type": "message",
    "status": "completed",
    "role": "assistant",
    "content": [
        {"type": "output_text", "text": "Hi — «there».", "annotations": [], "logprobs": []}
    ],
}
CALL_ITEM = {
    "id": "fc_1",
    "type": "function_call",
    "status": "completed",
    "arguments": '{"cmd": "ls -la"}',
    "call_id": "call_1",
    "name": "exec_command",
}
REASONING_ITEM = {"id": "rs_1", "type": "reasoning", "summary": [], "encrypted_content": "gAAA"}
USAGE = {
    "input_tokens": 100,
    "input_tokens_details": {"cached_tokens": 90, "cache_write_tokens": 0},
    "output_tokens": 20,
    "output_tokens_details": {"reasoning_tokens": 12},
    "total_tokens": 120,
}


def _responses_events(final: dict[str, Any]) -> list[tuple[str | None, Any]]:
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": _resp("in_progress", [])},
        {"type": "response.in_progress", "response": _resp("in_progress", [])},
        {"type": "response.output_item.added", "output_index": 0, "item": {**REASONING_ITEM}},
        {"type": "response.output_item.done", "output_index": 0, "item": REASONING_ITEM},
        {
            "type": "response.output_item.added",
            "output_index": 1,
            "item": {**MESSAGE_ITEM, "status": "in_progress", "content": []},
        },
        {
            "type": "response.content_part.added",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "part": {"type": "output_text", "text": "", "annotations": []},
        },
        *[
            {
                "type": "response.output_text.delta",
                "item_id": "msg_1",
                "output_index": 1,
                "content_index": 0,
                "delta": piece,
                "logprobs": [],
            }
            for piece in ["Hi — ", "«there»."]
        ],
        {
            "type": "response.output_text.done",
            "item_id": "msg_1",
            "output_index": 1,
            "content_index": 0,
            "text": "Hi — «there».",
            "logprobs": [],
        },
        {"type": "response.output_item.done", "output_index": 1, "item": MESSAGE_ITEM},
        {
            "type": "response.output_item.added",
            "output_index": 2,
            "item": {**CALL_ITEM, "status": "in_progress", "arguments": ""},
        },
        *[
            {
                "type": "response.function_call_arguments.delta",
                "item_id": "fc_1",
                "output_index": 2,
                "delta": piece,
            }
            for piece in ['{"cmd": ', '"ls -la"}']
        ],
        {
            "type": "response.function_call_arguments.done",
            "item_id": "fc_1",
            "output_index": 2,
            "arguments": '{"cmd": "ls -la"}',
        },
        {"type": "response.output_item.done", "output_index": 2, "item": CALL_ITEM},
        final,
    ]
    for i, event in enumerate(events):
        event["sequence_number"] = i
    return [(e["type"], e) for e in events]


RESPONSES_TURN = AssistantTurn(
    "Hi — «there».",
    (ToolCall("call_1", "exec_command", '{"cmd": "ls -la"}'),),
    "tool_calls",
    Usage(100, 20, 90, 0, 12),
    "resp_68",
    "gpt-5-2025-08-07",
)


@pytest.mark.parametrize("step", [0, 1, 11])
@pytest.mark.parametrize("final_has_output", [True, False])
def test_responses_stream(step: int, final_has_output: bool) -> None:
    output = [REASONING_ITEM, MESSAGE_ITEM, CALL_ITEM] if final_has_output else []
    final = {"type": "response.completed", "response": _resp("completed", output, USAGE)}
    body = _sse(_responses_events(final))
    turn, parser = _parse(RESPONSES, body, stream=True, step=step)
    assert turn == RESPONSES_TURN
    assert parser.error is None


def test_responses_json_incomplete_and_refusal() -> None:
    body = _resp(
        "incomplete",
        [MESSAGE_ITEM],
        USAGE,
        incomplete_details={"reason": "max_output_tokens"},
    )
    turn = _parse(RESPONSES, json.dumps(body).encode(), stream=False)[0]
    assert turn.finish_reason == "length"
    assert turn.text == "Hi — «there»."
    body["incomplete_details"] = {"reason": "content_filter"}
    assert _parse(RESPONSES, json.dumps(body).encode(), stream=False)[0].finish_reason == (
        "content_filter"
    )
    refusal = {
        **MESSAGE_ITEM,
        "content": [{"type": "refusal", "refusal": "I can't help with that."}],
    }
    turn = _parse(RESPONSES, json.dumps(_resp("completed", [refusal])).encode(), stream=False)[0]
    assert turn.finish_reason == "refusal"
    assert turn.text == ""
    turn = _parse(RESPONSES, json.dumps(_resp("completed", [MESSAGE_ITEM])).encode(), stream=False)[
        0
    ]
    assert turn.finish_reason == "stop"
    assert turn.usage is None


def test_responses_failed_and_error_events() -> None:
    failed = {
        "type": "response.failed",
        "response": _resp(
            "failed", [], None, error={"code": "server_error", "message": "The model crashed"}
        ),
    }
    events = _responses_events(failed)
    turn, parser = _parse(RESPONSES, _sse(events), stream=True)
    assert parser.error == "server_error: The model crashed"
    assert turn.finish_reason == "other"
    assert turn.text == "Hi — «there»."  # what was streamed before the failure stays
    error = {
        "type": "error",
        "code": "rate_limit_exceeded",
        "message": "slow",
        "sequence_number": 3,
    }
    turn, parser = _parse(RESPONSES, _sse([*events[:7], ("error", error)]), stream=True)
    assert parser.error == "rate_limit_exceeded: slow"
    assert turn.text == "Hi — "
    assert turn.finish_reason is None


def test_responses_custom_and_shell_calls_in_stream() -> None:
    shell = {
        "id": "sh_1",
        "type": "shell_call",
        "call_id": "call_s",
        "action": {"commands": ["ls"], "timeout_ms": None},
        "status": "completed",
    }
    events: list[tuple[str | None, Any]] = [
        ("response.created", {"type": "response.created", "response": _resp("in_progress", [])}),
        (
            "response.output_item.added",
            {
                "type": "response.output_item.added",
                "output_index": 0,
                "item": {
                    "id": "ctc_1",
                    "type": "custom_tool_call",
                    "call_id": "c",
                    "name": "apply_patch",
                    "input": "",
                },
            },
        ),
        (
            "response.custom_tool_call_input.delta",
            {
                "type": "response.custom_tool_call_input.delta",
                "item_id": "ctc_1",
                "output_index": 0,
                "delta": "*** Begin",
            },
        ),
        (
            "response.custom_tool_call_input.delta",
            {
                "type": "response.custom_tool_call_input.delta",
                "item_id": "ctc_1",
                "delta": " Patch",
            },
        ),
        (
            "response.output_item.added",
            {"type": "response.output_item.added", "output_index": 1, "item": shell},
        ),
    ]
    turn = _parse(RESPONSES, _sse(events), stream=True)[0]
    assert turn.tool_calls == (
        ToolCall("c", "apply_patch", "*** Begin Patch", "custom"),
        ToolCall("call_s", "shell", '{"commands":["ls"],"timeout_ms":null}', "shell"),
    )
    assert turn.finish_reason is None  # the stream was cut before response.completed
