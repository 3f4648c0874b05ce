"""Real SmolLM2-135M output, replayed: the fast tier needs neither the model nor llama.cpp.

The cassettes in cassettes/test_local_model_cassettes/ were recorded once against
``skvm-shim local-model serve`` (see docs/local-model.md, "Re-recording the cassettes"). Each test
checks what the real openai SDK made of the model's answer, and that the project's Chat
Completions wire parser reads the recorded raw body into the same turn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from adapters.ir import AssistantTurn, ToolCall, Usage, WireFormat
from adapters.wire import codec_for
from tests.local_model.agent_tools import (
    API_KEY,
    BASE_URL,
    MODEL_ID,
    READ_TASK,
    REQUIRED_ARGS,
    RUN_TASK,
    TEXT_TASK,
    TOOL_NAMES,
    TOOLS,
    task_messages,
)

pytestmark = pytest.mark.sdk

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "test_local_model_cassettes"
# temperature 0 and a seed: a re-recording gives the same answers.
SAMPLING: dict[str, Any] = {"temperature": 0.0, "seed": 7, "max_tokens": 128}


@pytest.fixture
def client() -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=BASE_URL, api_key=API_KEY, max_retries=0) as sdk_client:
        yield sdk_client


def _recorded_body(cassette: Any, index: int = 0) -> bytes:
    assert cassette is not None, "the vcr marker installs a cassette"
    assert len(cassette.responses) > index, "the cassette holds the exchange"
    body = cassette.responses[index]["body"]["string"]
    return body if isinstance(body, bytes) else body.encode("utf-8")


def _parse(body: bytes, *, stream: bool) -> AssistantTurn:
    parser = codec_for(WireFormat.CHAT_COMPLETIONS).response_parser(stream=stream)
    # Split mid-way: the parser must not depend on the body arriving in one piece.
    middle = len(body) // 2
    parser.feed(body[:middle])
    parser.feed(body[middle:])
    return parser.finish()


def _assert_call_is_sound(name: str, arguments: str) -> dict[str, Any]:
    assert name in TOOL_NAMES
    args = json.loads(arguments)
    assert isinstance(args, dict)
    assert REQUIRED_ARGS[name] <= set(args), f"{name} called without its required arguments"
    return args


@pytest.mark.vcr
def test_tool_call_json(client: openai.OpenAI, vcr: Any) -> None:
    # tool_choice omitted, as harnesses send it: OpenAI semantics are "auto".
    completion = client.chat.completions.create(
        model=MODEL_ID, messages=task_messages(READ_TASK), tools=TOOLS, **SAMPLING
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    calls = choice.message.tool_calls
    assert calls is not None
    assert len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    args = _assert_call_is_sound(call.function.name, call.function.arguments)
    # What this model really answered (recorded): the right tool, the file the task names.
    assert call.function.name == "read_file"
    assert args["path"] == "README.md"
    assert completion.model == MODEL_ID
    assert completion.id.startswith("chatcmpl-")
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 50  # the tool list is in the prompt
    assert usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens

    turn = _parse(_recorded_body(vcr), stream=False)
    assert turn == AssistantTurn(
        text="",
        tool_calls=(ToolCall(call.id, call.function.name, call.function.arguments),),
        finish_reason="tool_calls",
        usage=Usage(input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens),
        id=completion.id,
        model=MODEL_ID,
    )


@pytest.mark.vcr
def test_tool_call_stream(client: openai.OpenAI, vcr: Any) -> None:
    stream = client.chat.completions.create(
        model=MODEL_ID, messages=task_messages(RUN_TASK), tools=TOOLS, stream=True, **SAMPLING
    )
    chunks = list(stream)
    assert len(chunks) >= 4  # role, call head, argument pieces, finish
    ids = {c.id for c in chunks}
    assert len(ids) == 1
    heads = [d for c in chunks for d in (c.choices[0].delta.tool_calls or []) if d.id]
    # OpenAI's shape: the call's id and name come once, then only argument pieces.
    assert len(heads) == 1
    head = heads[0]
    assert head.index == 0
    assert head.function is not None
    name = head.function.name
    assert name is not None
    pieces = [
        d.function.arguments
        for c in chunks
        for d in (c.choices[0].delta.tool_calls or [])
        if d.function is not None and d.function.arguments
    ]
    assert len(pieces) > 1, "the arguments were streamed token by token"
    arguments = "".join(pieces)
    args = _assert_call_is_sound(name, arguments)
    assert name == "run_command"
    assert args["command"] == "ls -la"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    assert chunks[0].choices[0].delta.role == "assistant"

    turn = _parse(_recorded_body(vcr), stream=True)
    assert turn == AssistantTurn(
        text="",
        tool_calls=(ToolCall(head.id or "", name, arguments),),
        finish_reason="tool_calls",
        usage=None,  # llama-cpp-python's server drops stream_options: no usage chunk
        id=chunks[0].id,
        model=MODEL_ID,
    )


@pytest.mark.vcr
def test_tool_result_turn(client: openai.OpenAI, vcr: Any) -> None:
    """The second turn of an agent loop: the tool result reaches the model's prompt."""
    first = client.chat.completions.create(
        model=MODEL_ID, messages=task_messages(READ_TASK), tools=TOOLS, **SAMPLING
    )
    call = (first.choices[0].message.tool_calls or [])[0]
    result = "# skvm-shim\n\nCompiles agent skills for each model and harness."
    history = [
        *task_messages(READ_TASK),
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": result},
    ]
    second = client.chat.completions.create(
        model=MODEL_ID, messages=history, tools=TOOLS, **SAMPLING
    )
    assert first.usage is not None
    assert second.usage is not None
    # The call and its result were rendered into the prompt (the stock handler drops results).
    assert second.usage.prompt_tokens > first.usage.prompt_tokens + 20
    choice = second.choices[0]
    if choice.message.tool_calls:
        assert choice.finish_reason == "tool_calls"
        for c in choice.message.tool_calls:
            _assert_call_is_sound(c.function.name, c.function.arguments)
    else:
        assert choice.finish_reason in ("stop", "length")
        assert choice.message.content
    turns = [_parse(_recorded_body(vcr, i), stream=False) for i in range(2)]
    assert [t.id for t in turns] == [first.id, second.id]
    assert turns[1].tool_calls == tuple(
        ToolCall(c.id, c.function.name, c.function.arguments)
        for c in (choice.message.tool_calls or [])
    )


@pytest.mark.vcr
def test_plain_text_json(client: openai.OpenAI, vcr: Any) -> None:
    completion = client.chat.completions.create(
        model=MODEL_ID, messages=[{"role": "user", "content": TEXT_TASK}], **SAMPLING
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.tool_calls is None
    text = choice.message.content
    assert text is not None
    assert "Paris" in text  # what the model really said, recorded
    usage = completion.usage
    assert usage is not None
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens > 0

    turn = _parse(_recorded_body(vcr), stream=False)
    assert turn.text == text
    assert turn.tool_calls == ()
    assert turn.finish_reason == "stop"
    assert turn.usage == Usage(
        input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens
    )
    assert (turn.id, turn.model) == (completion.id, completion.model)


@pytest.mark.vcr
def test_plain_text_stream(client: openai.OpenAI, vcr: Any) -> None:
    stream = client.chat.completions.create(
        model=MODEL_ID,
        messages=[{"role": "user", "content": TEXT_TASK}],
        stream=True,
        **SAMPLING,
    )
    chunks = list(stream)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 1, "the text was streamed token by token"
    text = "".join(pieces)
    assert "Paris" in text
    assert chunks[-1].choices[0].finish_reason == "stop"

    turn = _parse(_recorded_body(vcr), stream=True)
    assert turn.text == text
    assert turn.tool_calls == ()
    assert turn.finish_reason == "stop"
    assert turn.id == chunks[0].id


def test_cassettes_hold_no_secret() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 5, f"cassettes missing in {CASSETTES}"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert API_KEY not in text, path.name
        assert "authorization" not in text.lower(), path.name
        assert "127.0.0.1:8790" in text, path.name  # recorded from the local model server
