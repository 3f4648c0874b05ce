"""The real anthropic SDK (2.x, httpx2) parses what the scripted upstream sends.

What a cut stream does to this SDK (checked below): ``cut_mode="abort"`` -> while iterating a
stream, releases up to 2.16 let the raw ``httpx2.RemoteProtocolError`` escape, and 2.17 wraps it
in ``anthropic.APIConnectionError`` (its ``iter_response_bytes``); a non-streaming call raises
``anthropic.APIConnectionError`` in both;
``cut_mode="eof"`` -> the stream just ends, and ``messages.stream().get_final_message()`` returns
the partial message with ``stop_reason=None`` and no error.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import anthropic
import httpx2
import pytest

from skvm_shim.testing import ScriptedUpstream, ToolCall, Turn, Usage

pytestmark = pytest.mark.sdk

MESSAGES = [{"role": "user", "content": "hi"}]
SKILL = ToolCall(name="Skill", arguments={"skill": "csv-stats"}, id="toolu_fixed")


@pytest.fixture
def client(upstream: ScriptedUpstream) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=upstream.base_url, api_key="sk-ant-test", max_retries=0
    ) as sdk_client:
        yield sdk_client


@pytest.fixture
def aclient(upstream: ScriptedUpstream) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        base_url=upstream.base_url, api_key="sk-ant-test", max_retries=0
    )


def test_create_json(upstream: ScriptedUpstream, client: anthropic.Anthropic) -> None:
    upstream.script(
        Turn(
            text="Using the skill.",
            tool_calls=[SKILL],
            usage=Usage(input_tokens=30, output_tokens=6, cached_tokens=10),
        )
    )
    message = client.messages.create(model="claude-test", max_tokens=50, messages=MESSAGES)
    text, tool = message.content
    assert text.type == "text"
    assert text.text == "Using the skill."
    assert tool.type == "tool_use"
    assert (tool.id, tool.name, tool.input) == ("toolu_fixed", "Skill", {"skill": "csv-stats"})
    assert message.stop_reason == "tool_use"
    assert message.model == "claude-test"
    assert message.usage.input_tokens == 20
    assert message.usage.cache_read_input_tokens == 10
    assert message.usage.output_tokens == 6
    request = upstream.last_request
    # anthropic 2.x sends the API key as a bearer token (1.x and Claude Code send x-api-key).
    assert request.headers["authorization"] == "Bearer sk-ant-test"
    assert "anthropic-version" in request.headers
    assert request.path == "/v1/messages"


def test_create_stream(upstream: ScriptedUpstream, client: anthropic.Anthropic) -> None:
    upstream.script(Turn(text="Streamed words", tool_calls=[SKILL]))
    events = list(client.messages.create(model="c", max_tokens=5, messages=MESSAGES, stream=True))
    assert events[0].type == "message_start"
    assert events[-1].type == "message_stop"
    text = "".join(
        e.delta.text
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "text_delta"
    )
    assert text == "Streamed words"
    partial = "".join(
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    )
    assert partial == '{"skill":"csv-stats"}'
    delta = next(e for e in events if e.type == "message_delta")
    assert delta.delta.stop_reason == "tool_use"


def test_stream_helper_final_message(
    upstream: ScriptedUpstream, client: anthropic.Anthropic
) -> None:
    upstream.script(Turn(text="Helper", tool_calls=[SKILL], finish_reason="max_tokens"))
    with client.messages.stream(model="c", max_tokens=5, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Helper"
    assert final.content[0].text == "Helper"
    assert final.content[1].input == {"skill": "csv-stats"}
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens > 0


@pytest.mark.anyio
async def test_async_create_and_stream_helper(
    upstream: ScriptedUpstream, aclient: anthropic.AsyncAnthropic
) -> None:
    upstream.script("async json", Turn(text="async stream", tool_calls=[SKILL]))
    async with aclient:
        message = await aclient.messages.create(model="c", max_tokens=5, messages=MESSAGES)
        assert message.content[0].text == "async json"
        async with aclient.messages.stream(model="c", max_tokens=5, messages=MESSAGES) as stream:
            final = await stream.get_final_message()
    assert final.content[0].text == "async stream"
    assert final.content[1].name == "Skill"
    assert final.stop_reason == "tool_use"


def test_beta_messages_send_the_beta_header(
    upstream: ScriptedUpstream, client: anthropic.Anthropic
) -> None:
    upstream.script("beta answer")
    message = client.beta.messages.create(
        model="c",
        max_tokens=5,
        messages=MESSAGES,
        betas=["interleaved-thinking-2025-05-14"],
    )
    assert message.content[0].text == "beta answer"
    request = upstream.last_request
    # anthropic 2.x sends no ?beta=true (Claude Code does; see the HTTP tests for that path).
    assert request.endpoint == "messages"
    assert request.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"


def test_count_tokens_and_models(upstream: ScriptedUpstream, client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model="c", messages=MESSAGES)
    assert counted.input_tokens > 0
    assert [model.id for model in client.models.list()] == ["scripted-model"]
    assert client.models.retrieve("scripted-model").display_name == "scripted-model"
    assert [r.endpoint for r in upstream.requests] == ["count_tokens", "models", "models"]


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, anthropic.BadRequestError),
        (401, anthropic.AuthenticationError),
        (404, anthropic.NotFoundError),
        (429, anthropic.RateLimitError),
        (529, anthropic.OverloadedError),
    ],
)
def test_errors_raise_the_matching_sdk_exception(
    upstream: ScriptedUpstream,
    client: anthropic.Anthropic,
    status: int,
    error_type: type[Exception],
) -> None:
    upstream.script(Turn(error={"status": status, "message": f"boom {status}"}))
    with pytest.raises(error_type) as raised:
        client.messages.create(model="c", max_tokens=5, messages=MESSAGES)
    error = raised.value
    assert isinstance(error, anthropic.APIStatusError)
    assert error.status_code == status
    assert error.body["error"]["message"] == f"boom {status}"
    assert error.request_id is not None


def _wraps_stream_read_errors() -> bool:
    """Whether this anthropic wraps a failed stream read in APIConnectionError (2.17 and later)."""
    return hasattr(importlib.import_module("anthropic._streaming"), "iter_response_bytes")


def test_cut_abort_mid_stream_raises_transport_error(
    upstream: ScriptedUpstream, client: anthropic.Anthropic
) -> None:
    upstream.script(Turn(text="Hello there", cut_after_events=4))
    seen: list[str] = []

    def consume() -> None:
        with client.messages.stream(model="c", max_tokens=5, messages=MESSAGES) as stream:
            seen.extend(stream.text_stream)

    if _wraps_stream_read_errors():
        with pytest.raises(anthropic.APIConnectionError) as err:
            consume()
        # The cut itself is still what the HTTP module saw: the peer closed mid-body.
        assert isinstance(err.value.__cause__, httpx2.RemoteProtocolError)
    else:
        with pytest.raises(httpx2.RemoteProtocolError):
            consume()
    assert seen == ["Hell"]


def test_cut_abort_non_streaming_raises_connection_error(
    upstream: ScriptedUpstream, client: anthropic.Anthropic
) -> None:
    upstream.script(Turn(text="Hello", cut_after_events=0))
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model="c", max_tokens=5, messages=MESSAGES)


def test_cut_eof_gives_partial_final_message(
    upstream: ScriptedUpstream, client: anthropic.Anthropic
) -> None:
    upstream.script(Turn(text="Hello there", cut_after_events=5, cut_mode="eof"))
    with client.messages.stream(model="c", max_tokens=5, messages=MESSAGES) as stream:
        final = stream.get_final_message()
    # message_start, content_block_start, ping, then two of the three text deltas.
    assert final.content[0].text == "Hello th"
    assert final.stop_reason is None
