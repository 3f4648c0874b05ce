"""Rendered turns and errors survive the real SDKs: create, ``stream=True`` and stream helpers.

The shim answers requests itself when it replays tool calls, so what it renders must parse in the
harness's own SDK exactly like an upstream answer. Each test gives the real ``openai`` /
``anthropic`` client a mock transport (no sockets) that returns the codec's bytes, then reads the
turn back through the SDK's objects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from adapters.ir import AssistantTurn, ToolCall, Usage, WireFormat
from adapters.wire import codec_for

pytestmark = pytest.mark.sdk

CHAT = WireFormat.CHAT_COMPLETIONS
RESPONSES = WireFormat.RESPONSES
ANTHROPIC = WireFormat.ANTHROPIC_MESSAGES

TEXT = 'Hello — «wörld» 😀\nsecond "line" \\ \u2028 end'
CALLS = (
    ToolCall("call_1", "read", '{"path":"/a b/ü.txt"}'),
    ToolCall("call_2", "bash", '{"cmd":"ls -la | wc -l","note":"line\\nbreak"}'),
)
TURNS = {
    "text": AssistantTurn(TEXT, (), "stop", Usage(12, 7, 3, 2, 1), "turn-1", "model-1"),
    "tools": AssistantTurn("Let me look.", CALLS, "tool_calls", Usage(100, 20, 90, 4, 12)),
    "calls_only": AssistantTurn("", CALLS[:1], "tool_calls", Usage(5, 1, 0, 0, 0), "turn-3", "m"),
}


class _Upstream:
    """A mock transport answering every call with the codec's rendering of one turn."""

    def __init__(self, fmt: WireFormat, turn: AssistantTurn) -> None:
        self.codec = codec_for(fmt)
        self.turn = turn
        self.paths: list[str] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.path)
        body = json.loads(request.content)
        if body.get("stream"):
            return httpx2.Response(
                200,
                headers={"content-type": "text/event-stream"},
                content=b"".join(self.codec.render_sse(self.turn)),
            )
        return httpx2.Response(
            200,
            headers={"content-type": "application/json"},
            content=self.codec.render_json(self.turn),
        )


def _openai(upstream: Callable[[httpx2.Request], httpx2.Response]) -> openai.OpenAI:
    transport = httpx2.MockTransport(upstream)
    return openai.OpenAI(
        api_key="test",
        base_url="http://upstream.test/v1",
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )


def _async_openai(upstream: Callable[[httpx2.Request], httpx2.Response]) -> openai.AsyncOpenAI:
    transport = httpx2.MockTransport(upstream)
    return openai.AsyncOpenAI(
        api_key="test",
        base_url="http://upstream.test/v1",
        http_client=httpx2.AsyncClient(transport=transport),
        max_retries=0,
    )


def _anthropic(upstream: Callable[[httpx2.Request], httpx2.Response]) -> anthropic.Anthropic:
    transport = httpx2.MockTransport(upstream)
    return anthropic.Anthropic(
        api_key="test",
        base_url="http://upstream.test",
        http_client=httpx2.Client(transport=transport),
        max_retries=0,
    )


def _async_anthropic(
    upstream: Callable[[httpx2.Request], httpx2.Response],
) -> anthropic.AsyncAnthropic:
    transport = httpx2.MockTransport(upstream)
    return anthropic.AsyncAnthropic(
        api_key="test",
        base_url="http://upstream.test",
        http_client=httpx2.AsyncClient(transport=transport),
        max_retries=0,
    )


def _calls(turn: AssistantTurn) -> list[tuple[str, str, str]]:
    return [(c.id, c.name, c.arguments) for c in turn.tool_calls]


# --- Chat Completions ----------------------------------------------------------------------------

MESSAGES: Any = [{"role": "user", "content": "hi"}]


def _check_chat_completion(completion: Any, turn: AssistantTurn) -> None:
    assert completion.object == "chat.completion"
    if turn.id:
        assert completion.id == turn.id
    else:
        assert completion.id.startswith("chatcmpl-")
    assert completion.model == (turn.model or "skvm-shim")
    choice = completion.choices[0]
    assert (choice.message.content or "") == turn.text
    assert [
        (c.id, c.function.name, c.function.arguments) for c in choice.message.tool_calls or []
    ] == (_calls(turn))
    assert choice.finish_reason == turn.finish_reason
    usage = completion.usage
    assert turn.usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        turn.usage.input_tokens,
        turn.usage.output_tokens,
    )
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.prompt_tokens_details.cached_tokens == turn.usage.cache_read_tokens
    assert usage.prompt_tokens_details.cache_write_tokens == turn.usage.cache_creation_tokens
    assert usage.completion_tokens_details.reasoning_tokens == turn.usage.reasoning_tokens


def _check_chat_chunks(chunks: list[Any], turn: AssistantTurn) -> None:
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls: dict[int, list[str]] = {}
    finish = None
    for chunk in chunks:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                slot = calls.setdefault(call.index, ["", "", ""])
                slot[0] = call.id or slot[0]
                slot[1] = call.function.name or slot[1]
                slot[2] += call.function.arguments or ""
    assert text == turn.text
    assert [tuple(calls[i]) for i in sorted(calls)] == _calls(turn)
    assert finish == turn.finish_reason
    assert chunks[-1].choices == []
    assert turn.usage is not None
    assert chunks[-1].usage.prompt_tokens == turn.usage.input_tokens
    assert (
        chunks[-1].usage.completion_tokens_details.reasoning_tokens == turn.usage.reasoning_tokens
    )


@pytest.mark.parametrize("name", list(TURNS))
def test_openai_chat_completions_sync(name: str) -> None:
    turn = TURNS[name]
    upstream = _Upstream(CHAT, turn)
    client = _openai(upstream)
    _check_chat_completion(client.chat.completions.create(model="m", messages=MESSAGES), turn)
    _check_chat_chunks(
        list(client.chat.completions.create(model="m", messages=MESSAGES, stream=True)), turn
    )
    with client.chat.completions.stream(model="m", messages=MESSAGES) as stream:
        events = [e.type for e in stream]
        final = stream.get_final_completion()
    _check_chat_completion(final, turn)
    assert ("content.done" in events) == bool(turn.text)
    assert events.count("tool_calls.function.arguments.done") == len(turn.tool_calls)
    assert upstream.paths == ["/v1/chat/completions"] * 3


@pytest.mark.parametrize("name", list(TURNS))
def test_openai_chat_completions_async(name: str) -> None:
    turn = TURNS[name]

    async def run() -> None:
        client = _async_openai(_Upstream(CHAT, turn))
        _check_chat_completion(
            await client.chat.completions.create(model="m", messages=MESSAGES), turn
        )
        stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        _check_chat_chunks([c async for c in stream], turn)
        async with client.chat.completions.stream(model="m", messages=MESSAGES) as helper:
            async for _ in helper:
                pass
            _check_chat_completion(await helper.get_final_completion(), turn)

    asyncio.run(run())


def test_openai_chat_custom_tool_call_and_length() -> None:
    custom = AssistantTurn(
        "", (ToolCall("call_9", "apply_patch", "*** Begin", "custom"),), "tool_calls"
    )
    client = _openai(_Upstream(CHAT, custom))
    calls: Any = (
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.tool_calls
    )
    call = calls[0]
    assert (call.type, call.id, call.custom.name, call.custom.input) == (
        "custom",
        "call_9",
        "apply_patch",
        "*** Begin",
    )
    with pytest.raises(ValueError, match="custom"):
        codec_for(CHAT).render_sse(custom)
    # finish_reason "length" reaches the harness as it would from the API; the SDK's parse helper
    # raises LengthFinishReasonError on it, exactly as for a real truncated answer.
    truncated = AssistantTurn("cut sh", (), "length", Usage(1, 2))
    client = _openai(_Upstream(CHAT, truncated))
    assert (
        client.chat.completions.create(model="m", messages=MESSAGES).choices[0].finish_reason
        == "length"
    )
    with (
        client.chat.completions.stream(model="m", messages=MESSAGES) as stream,
        pytest.raises(openai.LengthFinishReasonError),
    ):
        stream.get_final_completion()


# --- Responses -----------------------------------------------------------------------------------


def _check_response(response: Any, turn: AssistantTurn) -> None:
    assert response.object == "response"
    assert response.id == turn.id if turn.id else response.id.startswith("resp_")
    assert response.model == (turn.model or "skvm-shim")
    assert response.status == "completed"
    assert response.output_text == turn.text
    calls = [(o.call_id, o.name, o.arguments) for o in response.output if o.type == "function_call"]
    assert calls == _calls(turn)
    assert all(o.id for o in response.output)
    usage = response.usage
    assert turn.usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (
        turn.usage.input_tokens,
        turn.usage.output_tokens,
        (turn.usage.input_tokens or 0) + (turn.usage.output_tokens or 0),
    )
    assert usage.input_tokens_details.cached_tokens == turn.usage.cache_read_tokens
    assert usage.input_tokens_details.cache_write_tokens == turn.usage.cache_creation_tokens
    assert usage.output_tokens_details.reasoning_tokens == turn.usage.reasoning_tokens


def _check_response_events(events: list[Any], turn: AssistantTurn) -> None:
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == turn.text
    args = {
        e.output_index: e.arguments
        for e in events
        if e.type == "response.function_call_arguments.done"
    }
    assert list(args.values()) == [c.arguments for c in turn.tool_calls]
    _check_response(events[-1].response, turn)


@pytest.mark.parametrize("name", list(TURNS))
def test_openai_responses_sync(name: str) -> None:
    turn = TURNS[name]
    upstream = _Upstream(RESPONSES, turn)
    client = _openai(upstream)
    _check_response(client.responses.create(model="m", input="hi"), turn)
    _check_response_events(list(client.responses.create(model="m", input="hi", stream=True)), turn)
    with client.responses.stream(model="m", input="hi") as stream:
        types = [e.type for e in stream]
        final = stream.get_final_response()
    _check_response(final, turn)
    assert types.count("response.output_text.done") == (1 if turn.text else 0)
    assert upstream.paths == ["/v1/responses"] * 3


@pytest.mark.parametrize("name", list(TURNS))
def test_openai_responses_async(name: str) -> None:
    turn = TURNS[name]

    async def run() -> None:
        client = _async_openai(_Upstream(RESPONSES, turn))
        _check_response(await client.responses.create(model="m", input="hi"), turn)
        stream = await client.responses.create(model="m", input="hi", stream=True)
        _check_response_events([e async for e in stream], turn)
        async with client.responses.stream(model="m", input="hi") as helper:
            async for _ in helper:
                pass
            _check_response(await helper.get_final_response(), turn)

    asyncio.run(run())


def test_openai_responses_custom_shell_items_and_incomplete() -> None:
    turn = AssistantTurn(
        "",
        (
            ToolCall("call_p", "apply_patch", "*** Begin Patch\n", "custom"),
            ToolCall("call_s", "shell", '{"commands":["ls -la"],"timeout_ms":5000}', "shell"),
            ToolCall(
                "call_l", "local_shell", '{"type":"exec","command":["ls"],"env":{}}', "local_shell"
            ),
            ToolCall("call_a", "apply_patch", '{"type":"delete_file","path":"x"}', "apply_patch"),
        ),
        "tool_calls",
    )
    client = _openai(_Upstream(RESPONSES, turn))
    responses: list[Any] = [client.responses.create(model="m", input="hi"), _final_response(client)]
    for response in responses:
        custom, shell, local, patch = response.output
        assert (custom.type, custom.call_id, custom.name, custom.input) == (
            "custom_tool_call",
            "call_p",
            "apply_patch",
            "*** Begin Patch\n",
        )
        assert (shell.type, shell.call_id, shell.action.commands, shell.action.timeout_ms) == (
            "shell_call",
            "call_s",
            ["ls -la"],
            5000,
        )
        assert (local.type, local.call_id, local.action.command) == (
            "local_shell_call",
            "call_l",
            ["ls"],
        )
        assert (patch.type, patch.call_id, patch.operation.path) == (
            "apply_patch_call",
            "call_a",
            "x",
        )
        assert response.usage is None

    truncated = AssistantTurn("partial", (), "length", Usage(3, 4))
    client = _openai(_Upstream(RESPONSES, truncated))
    incomplete: Any = client.responses.create(model="m", input="hi")
    assert (incomplete.status, incomplete.incomplete_details.reason) == (
        "incomplete",
        "max_output_tokens",
    )
    events = list(client.responses.create(model="m", input="hi", stream=True))
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.output_text == "partial"
    # Like the API, a truncated stream ends in response.incomplete, for which the SDK's helper
    # has no final response.
    with client.responses.stream(model="m", input="hi") as stream, pytest.raises(RuntimeError):
        stream.get_final_response()


def _final_response(client: openai.OpenAI) -> Any:
    with client.responses.stream(model="m", input="hi") as stream:
        return stream.get_final_response()


# --- Anthropic Messages --------------------------------------------------------------------------

A_TEXT = AssistantTurn(TEXT, (), "stop", Usage(12, 7, 3, 2, 1), "msg_1", "claude-x")
A_TOOLS = AssistantTurn(
    "Let me look.",
    (
        ToolCall("toolu_1", "Read", '{"file_path":"/a b/ü.txt"}'),
        ToolCall("toolu_2", "Bash", '{"command":"ls | wc -l","nested":{"k":[1,2.5,null,true]}}'),
    ),
    "tool_calls",
    Usage(100, 20, None, None, None),
)
A_TURNS = {
    "text": A_TEXT,
    "tools": A_TOOLS,
    "calls_only": AssistantTurn("", A_TOOLS.tool_calls[:1], "tool_calls", Usage(1, 1)),
}
A_KW: Any = {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}
STOP = {"stop": "end_turn", "tool_calls": "tool_use", "length": "max_tokens", "refusal": "refusal"}


def _check_message(message: Any, turn: AssistantTurn) -> None:
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.id == turn.id if turn.id else message.id.startswith("msg_")
    assert message.model == (turn.model or "skvm-shim")
    assert "".join(b.text for b in message.content if b.type == "text") == turn.text
    calls = [
        (b.id, b.name, json.dumps(b.input, ensure_ascii=False, separators=(",", ":")))
        for b in message.content
        if b.type == "tool_use"
    ]
    assert calls == _calls(turn)
    assert message.stop_reason == STOP[turn.finish_reason or "stop"]
    usage = message.usage
    assert turn.usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (
        turn.usage.input_tokens,
        turn.usage.output_tokens,
    )
    assert usage.cache_read_input_tokens == turn.usage.cache_read_tokens
    assert usage.cache_creation_input_tokens == turn.usage.cache_creation_tokens
    thinking = usage.output_tokens_details.thinking_tokens if usage.output_tokens_details else None
    assert thinking == turn.usage.reasoning_tokens


def _check_message_events(events: list[Any], turn: AssistantTurn) -> None:
    assert [e.type for e in events][:1] == ["message_start"]
    assert events[-1].type == "message_stop"
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == turn.text
    pieces: dict[int, str] = {}
    for e in events:
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta":
            pieces[e.index] = pieces.get(e.index, "") + e.delta.partial_json
    assert list(pieces.values()) == [c.arguments for c in turn.tool_calls]
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == STOP[turn.finish_reason or "stop"]
    assert turn.usage is not None
    assert delta.usage.output_tokens == turn.usage.output_tokens


@pytest.mark.parametrize("name", list(A_TURNS))
def test_anthropic_messages_sync(name: str) -> None:
    turn = A_TURNS[name]
    upstream = _Upstream(ANTHROPIC, turn)
    client = _anthropic(upstream)
    _check_message(client.messages.create(**A_KW), turn)
    _check_message_events(list(client.messages.create(**A_KW, stream=True)), turn)
    with client.messages.stream(**A_KW) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    _check_message(final, turn)
    assert "".join(texts) == turn.text
    assert upstream.paths == ["/v1/messages"] * 3


@pytest.mark.parametrize("name", list(A_TURNS))
def test_anthropic_messages_async(name: str) -> None:
    turn = A_TURNS[name]

    async def run() -> None:
        client = _async_anthropic(_Upstream(ANTHROPIC, turn))
        _check_message(await client.messages.create(**A_KW), turn)
        stream = await client.messages.create(**A_KW, stream=True)
        _check_message_events([e async for e in stream], turn)
        async with client.messages.stream(**A_KW) as helper:
            final = await helper.get_final_message()
        _check_message(final, turn)

    asyncio.run(run())


@pytest.mark.parametrize("finish", ["length", "refusal"])
def test_anthropic_other_stop_reasons(finish: Any) -> None:
    turn = AssistantTurn("cut", (), finish, Usage(1, 1))
    client = _anthropic(_Upstream(ANTHROPIC, turn))
    _check_message(client.messages.create(**A_KW), turn)
    with client.messages.stream(**A_KW) as stream:
        _check_message(stream.get_final_message(), turn)


def test_anthropic_refuses_what_it_cannot_carry() -> None:
    codec = codec_for(ANTHROPIC)
    for call in (ToolCall("t", "x", "raw text", "custom"), ToolCall("t", "x", "[1]")):
        turn = AssistantTurn("", (call,), "tool_calls", Usage(1, 1))
        with pytest.raises(ValueError):
            codec.render_json(turn)
        with pytest.raises(ValueError):
            codec.render_sse(turn)


# --- errors --------------------------------------------------------------------------------------


def _error_upstream(fmt: WireFormat, status: int) -> Callable[[httpx2.Request], httpx2.Response]:
    body = codec_for(fmt).render_error(status, f"shim says {status}")

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, headers={"content-type": "application/json"}, content=body)

    return handler


@pytest.mark.parametrize(
    ("status", "exc", "kind"),
    [
        (400, openai.BadRequestError, "invalid_request_error"),
        (401, openai.AuthenticationError, "authentication_error"),
        (403, openai.PermissionDeniedError, "permission_error"),
        (404, openai.NotFoundError, "not_found_error"),
        (413, openai.APIStatusError, "request_too_large"),
        (429, openai.RateLimitError, "rate_limit_error"),
        (500, openai.InternalServerError, "server_error"),
        (503, openai.InternalServerError, "server_error"),
    ],
)
@pytest.mark.parametrize("fmt", [CHAT, RESPONSES])
def test_openai_errors(fmt: WireFormat, status: int, exc: type[Exception], kind: str) -> None:
    client = _openai(_error_upstream(fmt, status))
    call: Callable[[], Any] = (
        (lambda: client.chat.completions.create(model="m", messages=MESSAGES))
        if fmt is CHAT
        else (lambda: client.responses.create(model="m", input="hi"))
    )
    with pytest.raises(exc) as info:
        call()
    error: Any = info.value
    assert error.status_code == status
    assert error.message == f"Error code: {status} - shim says {status}"  # SDK found the message
    assert error.type == kind
    assert error.body == {
        "message": f"shim says {status}",
        "type": kind,
        "param": None,
        "code": None,
    }


@pytest.mark.parametrize(
    ("status", "exc", "kind"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (413, anthropic.RequestTooLargeError, "request_too_large"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
def test_anthropic_errors(status: int, exc: type[Exception], kind: str) -> None:
    client = _anthropic(_error_upstream(ANTHROPIC, status))
    with pytest.raises(exc) as info:
        client.messages.create(**A_KW)
    error: Any = info.value
    assert error.status_code == status
    assert error.body == {
        "type": "error",
        "error": {"type": kind, "message": f"shim says {status}"},
    }
    assert f"shim says {status}" in str(error)


def test_error_kind_override() -> None:
    body = json.loads(codec_for(CHAT).render_error(400, "m", kind="context_length_exceeded"))
    assert body["error"]["type"] == "context_length_exceeded"
    body = json.loads(codec_for(ANTHROPIC).render_error(400, "m", kind="billing_error"))
    assert body["error"]["type"] == "billing_error"
