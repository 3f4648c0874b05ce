"""Property tests: render/parse round trips, chunking independence, request-parsing safety.

What each format can represent (the generators below are restricted to it):

- Chat Completions: text then tool calls (no text after calls); function calls, plus custom calls
  in a JSON body only (the chunk schema has none); finish stop / tool_calls / length /
  content_filter; usage absent, or input+output counts with optional cached, cache-write and
  reasoning counts.
- Responses: function, custom, shell, local_shell and apply_patch calls (the last three with a
  JSON object as arguments); no finish reason on the wire, so stop vs tool_calls follows from
  whether there are calls, and only length / content_filter are free; usage absent, or every count
  present (the SDK types require the detail counts).
- Anthropic Messages: function calls whose arguments are canonical JSON objects; finish stop /
  tool_calls / length / refusal; usage always present with input+output counts, cached, cache
  creation and reasoning (thinking) counts optional.

Ids and model are given (a missing one is generated fresh, so it cannot round-trip).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.edit import get_at
from adapters.ir import AssistantTurn, FinishReason, ToolCall, Usage, WireFormat
from adapters.wire import codec_for

CHAT = WireFormat.CHAT_COMPLETIONS
RESPONSES = WireFormat.RESPONSES
ANTHROPIC = WireFormat.ANTHROPIC_MESSAGES

# Text with what breaks naive codecs: quotes, backslashes, newlines, CR, U+2028, NUL, astral
# characters, lone surrogates, "data:" and "\n\n" inside payloads.
_tricky = st.sampled_from(
    ['"', "\\", "\n", "\r\n", "\r", "\u2028", "\x00", "😀", "é", "\ud800", "data: x\n\n", "[DONE]"]
)
text = st.lists(st.one_of(st.text(max_size=8), _tricky), max_size=6).map("".join)
ident = st.text(min_size=1, max_size=12)
count = st.integers(min_value=0, max_value=2**31)
maybe = st.none() | count

json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
json_object = st.dictionaries(text, json_value, max_size=4)


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_ITEM_CALLS = ("shell", "local_shell", "apply_patch")


def _call(kind: str, *, object_args: bool = False) -> st.SearchStrategy[ToolCall]:
    """A call; harness-executed Responses items and Anthropic calls carry a JSON object."""
    args = json_object.map(_canonical) if object_args or kind in _ITEM_CALLS else text
    name = st.just(kind) if kind in _ITEM_CALLS else ident
    return st.builds(ToolCall, ident, name, args, st.just(kind))


@st.composite
def chat_turns(draw: st.DrawFn, *, stream: bool) -> AssistantTurn:
    kinds = ["function"] if stream else ["function", "custom"]
    calls = draw(st.lists(st.sampled_from(kinds).flatmap(_call), max_size=3))
    usage = draw(st.none() | st.builds(Usage, count, count, maybe, maybe, maybe))
    finish: FinishReason = draw(st.sampled_from(["stop", "tool_calls", "length", "content_filter"]))
    return AssistantTurn(draw(text), tuple(calls), finish, usage, draw(ident), draw(ident))


@st.composite
def responses_turns(draw: st.DrawFn) -> AssistantTurn:
    kind = st.sampled_from(["function", "custom", "shell", "local_shell", "apply_patch"])
    calls = draw(st.lists(kind.flatmap(_call), max_size=3))
    usage = draw(st.none() | st.builds(Usage, count, count, count, count, count))
    natural: FinishReason = "tool_calls" if calls else "stop"
    finish: FinishReason = draw(st.sampled_from([natural, "length", "content_filter"]))
    return AssistantTurn(draw(text), tuple(calls), finish, usage, draw(ident), draw(ident))


@st.composite
def anthropic_turns(draw: st.DrawFn) -> AssistantTurn:
    calls = draw(st.lists(_call("function", object_args=True), max_size=3))
    usage = draw(st.builds(Usage, count, count, maybe, maybe, maybe))
    finish: FinishReason = draw(st.sampled_from(["stop", "tool_calls", "length", "refusal"]))
    return AssistantTurn(draw(text), tuple(calls), finish, usage, draw(ident), draw(ident))


def _feed(fmt: WireFormat, body: bytes, *, stream: bool, cuts: list[int]) -> AssistantTurn:
    parser = codec_for(fmt).response_parser(stream=stream)
    points = sorted({c % (len(body) + 1) for c in cuts})
    for a, b in zip([0, *points], [*points, len(body)], strict=True):
        parser.feed(body[a:b])
    return parser.finish()


cuts = st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=16)


def _round_trip(fmt: WireFormat, turn: AssistantTurn, split: list[int], crlf: bool) -> None:
    codec = codec_for(fmt)
    body = codec.render_json(turn)
    assert _feed(fmt, body, stream=False, cuts=[]) == turn
    assert _feed(fmt, body, stream=False, cuts=split) == turn
    stream = b"".join(codec.render_sse(turn))
    if crlf:  # JSON payloads never hold a raw newline, so only line breaks change
        stream = stream.replace(b"\n", b"\r\n")
    assert _feed(fmt, stream, stream=True, cuts=[]) == turn
    assert _feed(fmt, stream, stream=True, cuts=split) == turn


@given(
    json_turn=chat_turns(stream=False),
    sse_turn=chat_turns(stream=True),
    split=cuts,
    crlf=st.booleans(),
)
def test_chat_round_trip(
    json_turn: AssistantTurn, sse_turn: AssistantTurn, split: list[int], crlf: bool
) -> None:
    codec = codec_for(CHAT)
    assert _feed(CHAT, codec.render_json(json_turn), stream=False, cuts=split) == json_turn
    _round_trip(CHAT, sse_turn, split, crlf)


@given(turn=responses_turns(), split=cuts, crlf=st.booleans())
def test_responses_round_trip(turn: AssistantTurn, split: list[int], crlf: bool) -> None:
    _round_trip(RESPONSES, turn, split, crlf)


@given(turn=anthropic_turns(), split=cuts, crlf=st.booleans())
def test_anthropic_round_trip(turn: AssistantTurn, split: list[int], crlf: bool) -> None:
    _round_trip(ANTHROPIC, turn, split, crlf)


# --- request side ------------------------------------------------------------------------------

junk = st.recursive(
    st.none() | st.booleans() | st.integers() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
_part_types = st.sampled_from(
    ["text", "input_text", "output_text", "tool_use", "tool_result", "image", "thinking", "refusal"]
)


def _maybe_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, junk)


part = _maybe_junk(
    st.fixed_dictionaries(
        {"type": _maybe_junk(_part_types)},
        optional={
            "text": _maybe_junk(text),
            "id": ident,
            "name": ident,
            "input": _maybe_junk(json_object),
            "tool_use_id": ident,
            "content": _maybe_junk(
                text
                | st.lists(
                    st.fixed_dictionaries({"type": st.just("text"), "text": text}), max_size=2
                )
            ),
            "is_error": st.booleans(),
            "cache_control": st.just({"type": "ephemeral"}),
        },
    )
)
content = _maybe_junk(text | st.lists(part, max_size=4))
item_types = st.sampled_from(
    [
        "message",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "shell_call",
        "shell_call_output",
        "local_shell_call",
        "local_shell_call_output",
        "apply_patch_call",
        "apply_patch_call_output",
        "reasoning",
    ]
)
message = _maybe_junk(
    st.fixed_dictionaries(
        {},
        optional={
            "role": _maybe_junk(
                st.sampled_from(
                    ["system", "developer", "user", "assistant", "tool", "function", "x"]
                )
            ),
            "type": _maybe_junk(item_types),
            "content": content,
            "tool_call_id": ident,
            "call_id": ident,
            "name": ident,
            "arguments": _maybe_junk(text),
            "input": _maybe_junk(text),
            "output": _maybe_junk(
                text
                | st.lists(part, max_size=3)
                | st.lists(st.fixed_dictionaries({"stdout": text, "stderr": text}), max_size=2)
            ),
            "action": json_object,
            "tool_calls": _maybe_junk(
                st.lists(
                    st.fixed_dictionaries(
                        {"id": ident, "type": st.sampled_from(["function", "custom"])},
                        optional={
                            "function": st.fixed_dictionaries({"name": ident, "arguments": text}),
                            "custom": st.fixed_dictionaries({"name": ident, "input": text}),
                        },
                    ),
                    max_size=2,
                )
            ),
        },
    )
)
request_body = st.fixed_dictionaries(
    {},
    optional={
        "model": _maybe_junk(ident),
        "stream": _maybe_junk(st.booleans()),
        "system": _maybe_junk(content),
        "instructions": _maybe_junk(text),
        "messages": _maybe_junk(st.lists(message, max_size=5)),
        "input": _maybe_junk(text | st.lists(message, max_size=5)),
        "tools": _maybe_junk(st.lists(junk, max_size=3)),
        "container": junk,
        "parallel_tool_calls": junk,
    },
)


@given(body=request_body)
def test_parse_request_never_raises_and_paths_point_at_the_text(body: dict[str, Any]) -> None:
    for fmt in WireFormat:
        request = codec_for(fmt).parse_request(body)
        assert request.format is fmt
        for msg in request.messages:
            for part in msg.texts():
                assert get_at(body, part.path) == part.text
            for call in request.tool_calls():
                assert isinstance(call.arguments, str)
