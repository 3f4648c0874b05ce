"""Parsers say whether the body was whole, so a cut stream can be told from a finished one."""

from __future__ import annotations

import pytest

from adapters.ir import AssistantTurn, ToolCall, Usage, WireFormat
from adapters.wire import codec_for

TURN = AssistantTurn(
    text="done",
    tool_calls=(ToolCall("call_1", "bash", '{"command":"ls"}'),),
    finish_reason="tool_calls",
    usage=Usage(input_tokens=3, output_tokens=2),
    id="resp_1",
    model="m",
)


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_whole_stream_is_complete_and_a_cut_one_is_not(fmt: WireFormat) -> None:
    codec = codec_for(fmt)
    events = codec.render_sse(TURN)
    whole = codec.response_parser(stream=True)
    for event in events:
        whole.feed(event)
    whole.finish()
    assert whole.complete
    cut = codec.response_parser(stream=True)
    for event in events[:-1]:
        cut.feed(event)
    cut.finish()
    assert not cut.complete


@pytest.mark.parametrize("fmt", list(WireFormat))
def test_json_body_is_complete_only_when_it_parses(fmt: WireFormat) -> None:
    codec = codec_for(fmt)
    body = codec.render_json(TURN)
    whole = codec.response_parser(stream=False)
    whole.feed(body)
    whole.finish()
    assert whole.complete
    half = codec.response_parser(stream=False)
    half.feed(body[: len(body) // 2])
    half.finish()
    assert not half.complete
