"""The real openai SDK (3.x, httpx2) parses what the scripted upstream sends.

What a cut stream does to this SDK (checked below): ``cut_mode="abort"`` (connection dropped) ->
``openai.APIConnectionError`` while iterating; ``cut_mode="eof"`` (body ends, no terminator) ->
a Chat Completions stream just ends early without error, and the Responses ``.stream()`` helper
raises ``RuntimeError("Didn't receive a `response.completed` event.")`` from
``get_final_response()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from skvm_shim.testing import ScriptedUpstream, ToolCall, Turn, Usage

pytestmark = pytest.mark.sdk

MESSAGES = [{"role": "user", "content": "hi"}]
READ = ToolCall(name="read", arguments={"path": "a.txt"})


@pytest.fixture
def client(upstream: ScriptedUpstream) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0
    ) as sdk_client:
        yield sdk_client


@pytest.fixture
def aclient(upstream: ScriptedUpstream) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)


def test_chat_json(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(
        Turn(
            text="Let me read it.",
            tool_calls=[READ],
            usage=Usage(input_tokens=12, output_tokens=5, cached_tokens=4, reasoning_tokens=2),
        )
    )
    completion = client.chat.completions.create(model="gpt-test", messages=MESSAGES)
    choice = completion.choices[0]
    assert choice.message.content == "Let me read it."
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "read"
    assert json.loads(call.function.arguments) == {"path": "a.txt"}
    assert completion.model == "gpt-test"
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (12, 5, 17)
    assert usage.prompt_tokens_details.cached_tokens == 4
    assert usage.completion_tokens_details.reasoning_tokens == 2
    request = upstream.last_request
    assert request.headers["authorization"] == "Bearer sk-test"
    assert request.body["messages"] == MESSAGES


def test_chat_stream_create(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(Turn(text="Streaming text here", tool_calls=[READ, READ]))
    stream = client.chat.completions.create(
        model="m",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
    )
    text, args, ids, finish, usage = "", ["", ""], ["", ""], None, None
    for chunk in stream:
        usage = chunk.usage or usage
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                ids[call.index] += call.id or ""
                args[call.index] += call.function.arguments or ""
    assert text == "Streaming text here"
    assert [json.loads(a) for a in args] == [{"path": "a.txt"}] * 2
    assert all(i.startswith("call_") for i in ids)
    assert ids[0] != ids[1]
    assert finish == "tool_calls"
    assert usage is not None
    assert usage.completion_tokens > 0
    assert upstream.last_request.stream is True


def test_chat_stream_helper(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(Turn(text="Helper text", tool_calls=[READ]))
    with client.chat.completions.stream(
        model="m",
        messages=MESSAGES,
        stream_options={"include_usage": True},
    ) as stream:
        kinds = {event.type for event in stream}
        final = stream.get_final_completion()
    assert {"content.delta", "content.done", "tool_calls.function.arguments.done"} <= kinds
    message = final.choices[0].message
    assert message.content == "Helper text"
    assert message.tool_calls[0].function.name == "read"
    assert final.usage is not None


@pytest.mark.anyio
async def test_chat_async_json_and_stream(
    upstream: ScriptedUpstream, aclient: openai.AsyncOpenAI
) -> None:
    upstream.script("async json", "async stream")
    async with aclient:
        completion = await aclient.chat.completions.create(model="m", messages=MESSAGES)
        assert completion.choices[0].message.content == "async json"
        stream = await aclient.chat.completions.create(
            model="m",
            messages=MESSAGES,
            stream=True,
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        assert text == "async stream"


def test_responses_json(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    custom = ToolCall(name="apply_patch", arguments="*** Begin Patch", kind="custom", id="call_c")
    upstream.script(
        Turn(text="Answer", tool_calls=[READ, custom], usage=Usage(input_tokens=9, output_tokens=3))
    )
    response = client.responses.create(model="m", input="hi")
    assert response.output_text == "Answer"
    kinds = [item.type for item in response.output]
    assert kinds == ["message", "function_call", "custom_tool_call"]
    function_call, custom_call = response.output[1], response.output[2]
    assert function_call.name == "read"
    assert json.loads(function_call.arguments) == {"path": "a.txt"}
    assert custom_call.input == "*** Begin Patch"
    assert custom_call.call_id == "call_c"
    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (9, 3)
    assert response.status == "completed"


def test_responses_stream_create(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(Turn(text="streamed", tool_calls=[READ]))
    events = list(client.responses.create(model="m", input="hi", stream=True))
    assert events[0].type == "response.created"
    assert events[-1].type == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "streamed"
    final = events[-1].response
    assert final.output_text == "streamed"
    assert final.usage is not None


def test_responses_stream_helper(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(Turn(text="via helper", tool_calls=[READ]))
    with client.responses.stream(model="m", input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "via helper"
    assert final.output_text == "via helper"
    call = final.output[1]
    assert call.type == "function_call"
    assert json.loads(call.arguments) == {"path": "a.txt"}
    assert call.call_id.startswith("call_")


@pytest.mark.anyio
async def test_responses_async_stream_helper(
    upstream: ScriptedUpstream, aclient: openai.AsyncOpenAI
) -> None:
    upstream.script(Turn(tool_calls=[ToolCall(name="patch", arguments="raw", kind="custom")]))
    async with aclient, aclient.responses.stream(model="m", input="hi") as stream:
        final = await stream.get_final_response()
    assert final.output[0].type == "custom_tool_call"
    assert final.output[0].input == "raw"


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
    ],
)
def test_errors_raise_the_matching_sdk_exception(
    upstream: ScriptedUpstream, client: openai.OpenAI, status: int, error_type: type[Exception]
) -> None:
    upstream.script(Turn(error={"status": status, "message": f"boom {status}"}))
    with pytest.raises(error_type) as raised:
        client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    error = raised.value
    assert isinstance(error, openai.APIStatusError)
    assert error.status_code == status
    assert error.message.endswith(f"boom {status}")
    assert error.body["message"] == f"boom {status}"
    assert error.request_id is not None
    assert error.request_id.startswith("req_")


def test_retry_after_is_honoured_by_sdk_retries(upstream: ScriptedUpstream) -> None:
    upstream.script(
        Turn(error={"status": 429, "headers": {"retry-after": "0"}}),
        "after retry",
    )
    with openai.OpenAI(base_url=upstream.openai_base_url, api_key="k", max_retries=2) as client:
        response = client.responses.create(model="m", input="hi")
    assert response.output_text == "after retry"
    assert [r.turn_index for r in upstream.requests] == [0, 1]
    assert upstream.requests[1].headers["x-stainless-retry-count"] == "1"


def test_cut_abort_raises_connection_error(
    upstream: ScriptedUpstream, client: openai.OpenAI
) -> None:
    upstream.script(Turn(text="Hello there, world", cut_after_events=2))
    received: list[str] = []

    def consume() -> None:
        stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
        received.extend(c.choices[0].delta.content or "" for c in stream)

    with pytest.raises(openai.APIConnectionError):
        consume()
    assert received == ["", "Hello "]


def test_cut_eof_ends_chat_stream_early(upstream: ScriptedUpstream, client: openai.OpenAI) -> None:
    upstream.script(Turn(text="Hello there, world", cut_after_events=3, cut_mode="eof"))
    stream = client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert [c.choices[0].delta.content for c in stream] == ["", "Hello ", "there,"]


def test_cut_eof_leaves_responses_helper_without_final(
    upstream: ScriptedUpstream, client: openai.OpenAI
) -> None:
    upstream.script(Turn(text="Hello", cut_after_events=5, cut_mode="eof"))
    with (
        client.responses.stream(model="m", input="hi") as stream,
        pytest.raises(RuntimeError, match=r"response\.completed"),
    ):
        stream.get_final_response()


def test_models_list(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["scripted-model"]
    assert client.models.retrieve("scripted-model").owned_by == "scripted-upstream"
