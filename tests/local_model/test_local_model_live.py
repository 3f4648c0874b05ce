"""The real model, live: ``serve()`` starts llama.cpp's server and an agent exchange runs on it.

Skipped (with the reason) where the ``local`` extra is not installed; the fast tier replays the
same kind of traffic from cassettes instead.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skvm_shim.local_model import (
    BUNDLED_MODEL_ID,
    LocalModelError,
    LocalModelServer,
    LocalModelUnavailable,
    bundled_gguf,
    check_runtime,
    serve,
)
from tests.local_model.agent_tools import (
    API_KEY,
    READ_TASK,
    REQUIRED_ARGS,
    RUN_TASK,
    TOOL_NAMES,
    TOOLS,
    task_messages,
)

pytestmark = pytest.mark.slow

openai = pytest.importorskip("openai", reason="the live tier talks to the model via the openai SDK")


def _require_local_extra() -> None:
    try:
        check_runtime()
        bundled_gguf()
    except LocalModelUnavailable as exc:
        pytest.skip(f"local model not installed: {exc}")


@pytest.fixture(scope="module")
def local_server() -> Iterator[LocalModelServer]:
    _require_local_extra()
    with serve(port=0) as handle:
        yield handle
    assert handle.process.returncode is not None, "the server process was stopped"


@pytest.fixture
def client(local_server: LocalModelServer) -> Iterator[Any]:
    with openai.OpenAI(base_url=local_server.base_url, api_key=API_KEY, max_retries=0) as c:
        yield c


def _sound_call(name: str, arguments: str) -> None:
    assert name in TOOL_NAMES
    args = json.loads(arguments)
    assert REQUIRED_ARGS[name] <= set(args)


def test_serves_the_model_id(client: Any, local_server: LocalModelServer) -> None:
    assert local_server.model_id == BUNDLED_MODEL_ID
    assert local_server.base_url.startswith("http://127.0.0.1:")
    assert [m.id for m in client.models.list()] == [BUNDLED_MODEL_ID]


def test_tool_calling_exchange(client: Any) -> None:
    first = client.chat.completions.create(
        model=BUNDLED_MODEL_ID, messages=task_messages(READ_TASK), tools=TOOLS, temperature=0.0
    )
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    _sound_call(call.function.name, call.function.arguments)
    assert call.function.name == "read_file"  # greedy decoding picks it every time (measured)

    history = [
        *task_messages(READ_TASK),
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "# demo\n\nA demo project. " * 5},
    ]
    stream = client.chat.completions.create(
        model=BUNDLED_MODEL_ID,
        messages=history,
        tools=TOOLS,
        temperature=0.0,
        max_tokens=96,
        stream=True,
    )
    chunks = list(stream)
    finish = chunks[-1].choices[0].finish_reason
    deltas = [c.choices[0].delta for c in chunks]
    calls = [d for delta in deltas for d in (delta.tool_calls or [])]
    if calls:
        assert finish in ("tool_calls", "length")
        name = next(d.function.name for d in calls if d.id)
        arguments = "".join(d.function.arguments or "" for d in calls)
        if finish == "tool_calls":
            _sound_call(name, arguments)
    else:
        assert finish in ("stop", "length")
        assert "".join(d.content or "" for d in deltas)


def test_streamed_tool_call_without_tool_choice(client: Any) -> None:
    # Stock llama-cpp-python answers this (auto + stream) with an empty 200.
    stream = client.chat.completions.create(
        model=BUNDLED_MODEL_ID,
        messages=task_messages(RUN_TASK),
        tools=TOOLS,
        temperature=0.0,
        stream=True,
    )
    chunks = list(stream)
    calls = [d for c in chunks for d in (c.choices[0].delta.tool_calls or [])]
    heads = [d for d in calls if d.id]
    assert len(heads) == 1
    assert heads[0].function.name == "run_command"
    arguments = "".join(d.function.arguments or "" for d in calls)
    assert json.loads(arguments) == {"command": "ls -la"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_forced_and_required_tool_choice(client: Any) -> None:
    forced = client.chat.completions.create(
        model=BUNDLED_MODEL_ID,
        messages=task_messages(READ_TASK),
        tools=TOOLS,
        temperature=0.0,
        tool_choice={"type": "function", "function": {"name": "run_command"}},
    )
    call = forced.choices[0].message.tool_calls[0]
    assert call.function.name == "run_command"
    _sound_call(call.function.name, call.function.arguments)
    required = client.chat.completions.create(
        model=BUNDLED_MODEL_ID,
        messages=task_messages("Hello!"),
        tools=TOOLS,
        temperature=0.0,
        tool_choice="required",
    )
    assert required.choices[0].finish_reason == "tool_calls"
    call = required.choices[0].message.tool_calls[0]
    _sound_call(call.function.name, call.function.arguments)


def test_port_in_use_is_refused(local_server: LocalModelServer) -> None:
    port = int(local_server.base_url.rsplit(":", 1)[1].split("/", 1)[0])
    with pytest.raises(LocalModelError, match=r"cannot serve on 127\.0\.0\.1"):
        serve(port=port)


def test_a_server_that_dies_shows_its_output(tmp_path: Path) -> None:
    _require_local_extra()
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\x00" * 64)  # right magic, no model
    with pytest.raises(LocalModelError) as info:
        serve(port=0, model=broken, startup_timeout=60)
    message = str(info.value)
    assert "exited with code" in message
    assert "broken.gguf" in message  # llama.cpp's own error, from the server's output


def test_stop_frees_the_port() -> None:
    _require_local_extra()
    handle = serve(port=0)
    port = int(handle.base_url.rsplit(":", 1)[1].split("/", 1)[0])
    handle.stop()
    assert not handle.running
    handle.stop()  # idempotent
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_assistant_tool_call_with_null_content_is_accepted(client: Any) -> None:
    # What pi and the OpenAI SDKs send back; llama-cpp-python's own request model rejects it.
    messages: list[dict[str, Any]] = [
        *task_messages(READ_TASK),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "README.md"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "# Project\nHello."},
    ]
    response = client.chat.completions.create(
        model=BUNDLED_MODEL_ID, messages=messages, tools=TOOLS, max_tokens=64
    )
    assert response.choices[0].finish_reason in ("stop", "tool_calls", "length")
