"""llama.cpp's server mirrors the first tool call in the legacy ``function_call`` field."""

from __future__ import annotations

import json

from adapters.ir import WireFormat
from adapters.wire import codec_for

CALL = {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}
MIRROR = {"name": "read_file:", "arguments": "{}"}


def test_json_body_with_tool_calls_ignores_the_mirrored_legacy_call() -> None:
    body = {
        "id": "x",
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {"role": "assistant", "tool_calls": [CALL], "function_call": MIRROR},
            }
        ],
    }
    parser = codec_for(WireFormat.CHAT_COMPLETIONS).response_parser(stream=False)
    parser.feed(json.dumps(body).encode())
    turn = parser.finish()
    assert [c.name for c in turn.tool_calls] == ["read_file"]


def test_legacy_function_call_alone_still_counts() -> None:
    body = {"choices": [{"index": 0, "message": {"role": "assistant", "function_call": MIRROR}}]}
    parser = codec_for(WireFormat.CHAT_COMPLETIONS).response_parser(stream=False)
    parser.feed(json.dumps(body).encode())
    assert [c.name for c in parser.finish().tool_calls] == ["read_file:"]
