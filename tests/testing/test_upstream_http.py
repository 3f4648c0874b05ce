"""The scripted upstream over raw HTTP: routes, framing, control endpoints, timing and faults."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from skvm_shim.testing import ScriptedUpstream, StreamCut, ToolCall, Turn, Usage, create_app
from skvm_shim.testing.script import NO_TURN_TEXT

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"


@pytest.fixture
def http(upstream: ScriptedUpstream) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=upstream.base_url, timeout=10) as client:
        yield client


def sse_events(raw: bytes) -> list[tuple[str | None, str]]:
    """(event name, data) pairs of an SSE body; a test-side parser independent of the app."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data.append(line.removeprefix("data: "))
        events.append((name, "\n".join(data)))
    return events


def sse_json(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(data) for _, data in sse_events(raw) if data != "[DONE]"]


def test_paths_with_any_prefix_and_query_reach_the_endpoints(
    upstream: ScriptedUpstream, http: httpx2.Client
) -> None:
    cases = [
        ("/v1/chat/completions", "chat"),
        ("/chat/completions", "chat"),
        ("/anything/v1/chat/completions", "chat"),
        ("/openai/v1/responses", "responses"),
        ("/v1/messages?beta=true", "messages"),
        ("/anthropic/v1/messages", "messages"),
    ]
    for index, (path, _endpoint) in enumerate(cases):
        upstream.script(f"answer {index}")
        response = http.post(path, json={"model": "m", "max_tokens": 5})
        assert response.status_code == 200, path
        assert f"answer {index}" in response.text
        assert response.headers["x-scripted-turn"] == str(index)
    log = upstream.requests
    assert [r.endpoint for r in log] == [endpoint for _, endpoint in cases]
    assert [r.turn_index for r in log] == list(range(len(cases)))
    assert log[4].path == "/v1/messages"
    assert log[4].query == "beta=true"


def test_request_log_keeps_headers_and_bodies_as_received(
    upstream: ScriptedUpstream, http: httpx2.Client
) -> None:
    http.post(
        MESSAGES,
        json={"model": "claude", "messages": [], "stream": False},
        headers=[
            ("X-Api-Key", "sk-ant-test"),
            ("anthropic-version", "2023-06-01"),
            ("anthropic-beta", "a"),
            ("anthropic-beta", "b"),
        ],
    )
    http.post(CHAT, content=b"not json", headers={"Authorization": "Bearer sk-test"})
    first, second = upstream.requests
    assert first.headers["x-api-key"] == "sk-ant-test"
    assert first.headers["anthropic-version"] == "2023-06-01"
    assert first.headers["anthropic-beta"] == "a, b"
    assert first.body == {"model": "claude", "messages": [], "stream": False}
    assert first.method == "POST"
    assert first.turn is not None
    assert first.turn.text == NO_TURN_TEXT
    assert first.turn_index is None
    assert second.headers["authorization"] == "Bearer sk-test"
    assert second.body == "not json"
    assert second.turn is None
    assert first.time <= second.time


def test_non_json_body_is_rejected_without_consuming_a_turn(
    upstream: ScriptedUpstream, http: httpx2.Client
) -> None:
    upstream.script("kept")
    response = http.post(MESSAGES, content=b"[1, 2")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert [t.text for t in upstream.pending] == ["kept"]


def test_chat_completion_json(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(
        Turn(
            text="Reading.",
            tool_calls=[
                ToolCall(name="read", arguments={"path": "é.txt"}, id="call_1"),
                ToolCall(name="apply_patch", arguments="*** raw", kind="custom"),
            ],
        )
    )
    body = http.post(CHAT, json={"model": "gpt-x", "messages": []}).json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "gpt-x"
    choice = body["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] == "Reading."
    first, second = message["tool_calls"]
    assert first == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "read", "arguments": '{"path":"é.txt"}'},
    }
    assert second["type"] == "custom"
    assert second["custom"] == {"name": "apply_patch", "input": "*** raw"}
    assert second["id"].startswith("call_")
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_stream_framing(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    call = ToolCall(name="read", arguments={"path": "a.txt"})
    upstream.script(Turn(text="Hello there, world", tool_calls=[call], stream_deltas=4))
    response = http.post(
        CHAT,
        json={"model": "m", "stream": True, "stream_options": {"include_usage": True}},
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    events = sse_events(response.content)
    assert all(name is None for name, _ in events)
    assert events[-1][1] == "[DONE]"
    chunks = sse_json(response.content)
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    text = [d["content"] for d in deltas[1:] if d.get("content")]
    assert len(text) == 4
    assert "".join(text) == "Hello there, world"
    tool_deltas = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    opening = tool_deltas[0]
    assert opening["index"] == 0
    assert opening["type"] == "function"
    assert opening["function"]["name"] == "read"
    assert opening["id"].startswith("call_")
    assert all("id" not in d for d in tool_deltas[1:])
    args = "".join(d["function"]["arguments"] for d in tool_deltas)
    assert json.loads(args) == {"path": "a.txt"}
    finishing = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finishing] == ["tool_calls"]
    # include_usage: every chunk has "usage": null except the last, which has no choices.
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_chat_stream_without_include_usage_has_no_usage(
    upstream: ScriptedUpstream, http: httpx2.Client
) -> None:
    upstream.script("plain")
    chunks = sse_json(http.post(CHAT, json={"model": "m", "stream": True}).content)
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_responses_json(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(
        Turn(
            text="Done.",
            tool_calls=[
                ToolCall(name="shell", arguments={"cmd": "ls"}, id="call_7"),
                ToolCall(name="patch", arguments="raw input", kind="custom"),
            ],
            usage=Usage(input_tokens=100, output_tokens=7, cached_tokens=40, reasoning_tokens=3),
        )
    )
    body = http.post(
        RESPONSES, json={"model": "m", "input": "hi", "instructions": "be brief"}
    ).json()
    assert body["object"] == "response"
    assert body["status"] == "completed"
    assert body["instructions"] == "be brief"
    message, call, custom = body["output"]
    assert message["type"] == "message"
    assert message["content"][0] == {
        "type": "output_text",
        "text": "Done.",
        "annotations": [],
        "logprobs": [],
    }
    assert call["type"] == "function_call"
    assert call["call_id"] == "call_7"
    assert call["arguments"] == '{"cmd":"ls"}'
    assert custom["type"] == "custom_tool_call"
    assert custom["input"] == "raw input"
    assert body["usage"] == {
        "input_tokens": 100,
        "input_tokens_details": {"cached_tokens": 40, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 3},
        "total_tokens": 107,
    }


def test_responses_stream_framing(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(
        Turn(text="Hi you", tool_calls=[ToolCall(name="shell", arguments={"cmd": "ls"})])
    )
    raw = http.post(RESPONSES, json={"model": "m", "input": "x", "stream": True}).content
    events = sse_events(raw)
    payloads = [json.loads(data) for _, data in events]
    assert [name for name, _ in events] == [p["type"] for p in payloads]
    assert [p["sequence_number"] for p in payloads] == list(range(len(payloads)))
    assert [p["type"] for p in payloads] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, completed = payloads[0]["response"], payloads[-1]["response"]
    assert created["id"] == completed["id"]
    assert created["status"] == "in_progress"
    assert created["output"] == []
    done_items = [p["item"] for p in payloads if p["type"] == "response.output_item.done"]
    added_items = [p["item"] for p in payloads if p["type"] == "response.output_item.added"]
    assert [i["id"] for i in added_items] == [i["id"] for i in done_items]
    assert completed["output"] == done_items
    assert completed["status"] == "completed"
    text = "".join(p["delta"] for p in payloads if p["type"] == "response.output_text.delta")
    assert text == "Hi you"
    args = [p for p in payloads if p["type"].startswith("response.function_call_arguments")]
    assert "".join(p["delta"] for p in args[:-1]) == args[-1]["arguments"] == '{"cmd":"ls"}'
    assert {p["item_id"] for p in args} == {done_items[1]["id"]}


def test_responses_incomplete_finish(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(Turn(text="cut", finish_reason="length"))
    payloads = sse_json(http.post(RESPONSES, json={"model": "m", "stream": True}).content)
    last = payloads[-1]
    assert last["type"] == "response.incomplete"
    assert last["response"]["status"] == "incomplete"
    assert last["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_messages_json(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(
        Turn(
            text="Sure.",
            tool_calls=[
                ToolCall(name="Skill", arguments={"skill": "csv-stats"}, id="toolu_1"),
                ToolCall(name="Bash", arguments="not json"),
            ],
            usage=Usage(input_tokens=50, output_tokens=9, cached_tokens=20),
            model="claude-override",
        )
    )
    body = http.post(MESSAGES, json={"model": "claude", "max_tokens": 5}).json()
    assert body["type"] == "message"
    assert body["model"] == "claude-override"
    assert body["stop_reason"] == "tool_use"
    assert body["content"][0] == {"type": "text", "text": "Sure."}
    assert body["content"][1] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "Skill",
        "input": {"skill": "csv-stats"},
    }
    assert body["content"][2]["input"] == "not json"
    assert body["usage"]["input_tokens"] == 30
    assert body["usage"]["cache_read_input_tokens"] == 20
    assert body["usage"]["output_tokens"] == 9


def test_messages_stream_framing(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(
        Turn(text="Sure.", tool_calls=[ToolCall(name="Skill", arguments={"skill": "csv-stats"})])
    )
    events = sse_events(http.post(MESSAGES, json={"model": "c", "stream": True}).content)
    payloads = [json.loads(data) for _, data in events]
    assert [name for name, _ in events] == [p["type"] for p in payloads]
    kinds = [p["type"] for p in payloads]
    assert kinds[:3] == ["message_start", "content_block_start", "ping"]
    assert kinds[-2:] == ["message_delta", "message_stop"]
    assert kinds.count("content_block_start") == kinds.count("content_block_stop") == 2
    start = payloads[0]["message"]
    assert start["content"] == []
    assert start["stop_reason"] is None
    tool_start = [p for p in payloads if p["type"] == "content_block_start"][1]
    assert tool_start["index"] == 1
    assert tool_start["content_block"]["input"] == {}
    assert tool_start["content_block"]["id"].startswith("toolu_")
    partial = [
        p["delta"]["partial_json"]
        for p in payloads
        if p["type"] == "content_block_delta" and p["index"] == 1
    ]
    assert partial[0] == ""
    assert json.loads("".join(partial)) == {"skill": "csv-stats"}
    text = [
        p["delta"]["text"]
        for p in payloads
        if p["type"] == "content_block_delta" and p["index"] == 0
    ]
    assert "".join(text) == "Sure."
    assert payloads[-2]["delta"]["stop_reason"] == "tool_use"
    assert payloads[-2]["usage"]["output_tokens"] > 0


@pytest.mark.parametrize(
    ("path", "field"),
    [(CHAT, "finish_reason"), (MESSAGES, "stop_reason")],
)
def test_finish_reason_and_model_overrides(
    upstream: ScriptedUpstream, http: httpx2.Client, path: str, field: str
) -> None:
    upstream.script(Turn(text="x", finish_reason="length", model="other-model"))
    body = http.post(path, json={"model": "asked"}).json()
    assert body["model"] == "other-model"
    reason = body["choices"][0][field] if path == CHAT else body[field]
    assert reason == "length"


@pytest.mark.parametrize(
    ("path", "headers", "status", "expected"),
    [
        (CHAT, {}, 429, {"type": "requests", "code": "rate_limit_exceeded"}),
        (RESPONSES, {}, 500, {"type": "server_error"}),
        (MESSAGES, {}, 529, {"type": "overloaded_error"}),
        (MESSAGES, {}, 404, {"type": "not_found_error"}),
    ],
)
def test_error_turns_use_each_api_error_shape(
    upstream: ScriptedUpstream,
    http: httpx2.Client,
    path: str,
    headers: dict[str, str],
    status: int,
    expected: dict[str, str],
) -> None:
    upstream.script(Turn(error={"status": status, "headers": {"retry-after": "7"}}))
    response = http.post(path, json={"model": "m", "stream": True}, headers=headers)
    assert response.status_code == status
    assert response.headers["retry-after"] == "7"
    body = response.json()
    if path == MESSAGES:
        assert body["type"] == "error"
        assert body["request_id"].startswith("req_")
        assert response.headers["request-id"] == body["request_id"]
    else:
        assert response.headers["x-request-id"].startswith("req_")
    assert expected.items() <= body["error"].items()
    assert body["error"]["message"]


def test_error_with_custom_body(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(Turn(error={"status": 400, "body": {"weird": True}}))
    response = http.post(CHAT, json={"model": "m"})
    assert response.status_code == 400
    assert response.json() == {"weird": True}


def test_models_count_tokens_and_health(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    listing = http.get("/v1/models").json()
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["scripted-model"]
    assert listing["has_more"] is False
    assert http.get("/v1/models/scripted-model").json()["id"] == "scripted-model"
    assert http.get("/v1/models/nope").status_code == 404
    small = http.post("/v1/messages/count_tokens", json={"messages": ["x"]}).json()
    large = http.post("/v1/messages/count_tokens", json={"messages": ["x" * 400]}).json()
    assert set(small) == {"input_tokens"}
    assert large["input_tokens"] > small["input_tokens"] > 0
    assert http.get("/healthz").json() == {"status": "ok"}
    assert [r.endpoint for r in upstream.requests] == ["models"] * 3 + ["count_tokens"] * 2


def test_unknown_path_and_wrong_method(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script("untouched")
    missing = http.post("/v1/embeddings", json={})
    assert missing.status_code == 404
    assert "error" in missing.json()
    anthropic_missing = http.get("/v1/files", headers={"anthropic-version": "2023-06-01"})
    assert anthropic_missing.json()["type"] == "error"
    assert http.get(CHAT).status_code == 405
    assert [t.text for t in upstream.pending] == ["untouched"]


def test_control_endpoints(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    queued = http.post(
        "/_script",
        json=[{"text": "one", "endpoint": "chat"}, {"text": "two", "endpoint": "messages"}],
    )
    assert queued.json() == {"queued": 2}
    assert http.post("/_script", json={"turns": [], "default": "fallback"}).json() == {"queued": 2}
    assert [t["text"] for t in http.get("/_script").json()["pending"]] == ["one", "two"]
    assert http.post("/_script", json=[{"txt": "typo"}]).status_code == 400
    assert "two" in http.post(MESSAGES, json={"model": "c"}).text
    assert "one" in http.post(CHAT, json={"model": "m"}).text
    fallback = http.post(CHAT, json={"model": "m"})
    assert "fallback" in fallback.text
    assert fallback.headers["x-scripted-turn"] == "default"
    log = http.get("/_requests").json()
    assert [entry["turn_index"] for entry in log] == [1, 0, None]
    assert log[0]["turn"]["endpoint"] == "messages"
    assert "host" in log[0]["headers"]
    assert http.post("/_reset").json() == {"ok": True}
    assert http.get("/_requests").json() == []
    assert NO_TURN_TEXT in http.post(CHAT, json={"model": "m"}).text


def test_delay_before_headers(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(Turn(text="slow", delay_ms=150))
    started = time.perf_counter()
    with http.stream("POST", CHAT, json={"model": "m", "stream": True}) as response:
        headers_at = time.perf_counter() - started
        response.read()
    assert headers_at >= 0.15


def test_chunk_delay_between_events(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(Turn(text="abcdef", stream_deltas=3, chunk_delay_ms=40))
    arrivals = []
    started = time.perf_counter()
    with http.stream("POST", CHAT, json={"model": "m", "stream": True}) as response:
        for _ in response.iter_bytes():
            arrivals.append(time.perf_counter() - started)
    # 6 events (role, 3 deltas, finish, [DONE]) -> 5 gaps of 40 ms.
    assert arrivals[-1] >= 5 * 0.04
    assert len(arrivals) >= 2  # the body arrives in several pieces, not in one write


@pytest.mark.parametrize("path", [CHAT, RESPONSES, MESSAGES])
def test_cut_abort_drops_the_connection(
    upstream: ScriptedUpstream, http: httpx2.Client, path: str
) -> None:
    upstream.script(Turn(text="Hello there, world", cut_after_events=3))
    received: list[bytes] = []

    def read() -> None:
        with http.stream("POST", path, json={"model": "m", "stream": True}) as response:
            received.extend(response.iter_bytes())

    with pytest.raises(httpx2.RemoteProtocolError):
        read()
    assert len(sse_events(b"".join(received))) == 3


def test_scripted_cut_logs_no_server_error(
    upstream: ScriptedUpstream, http: httpx2.Client, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.script(Turn(text="Hello", cut_after_events=1))
    with caplog.at_level(logging.WARNING), pytest.raises(httpx2.RemoteProtocolError):
        http.post(CHAT, json={"model": "m", "stream": True})
    time.sleep(0.05)  # the server logs after the client saw the drop
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]


@pytest.mark.parametrize("path", [CHAT, RESPONSES, MESSAGES])
def test_cut_eof_ends_without_terminator(
    upstream: ScriptedUpstream, http: httpx2.Client, path: str
) -> None:
    upstream.script(Turn(text="Hello there, world", cut_after_events=4, cut_mode="eof"))
    events = sse_events(http.post(path, json={"model": "m", "stream": True}).content)
    assert len(events) == 4
    names = [name or data for name, data in events]
    assert not {"[DONE]", "response.completed", "message_stop"} & set(names)


def test_cut_non_streaming_body(upstream: ScriptedUpstream, http: httpx2.Client) -> None:
    upstream.script(Turn(text="Hello", cut_after_events=0))
    with pytest.raises(httpx2.RemoteProtocolError):
        http.post(CHAT, json={"model": "m"})
    upstream.script(Turn(text="Hello", cut_after_events=0, cut_mode="eof"))
    truncated = http.post(CHAT, json={"model": "m"})
    with pytest.raises(ValueError, match=r"."):
        json.loads(truncated.content)


@pytest.mark.anyio
async def test_in_process_with_asgi_transport() -> None:
    app = create_app("in process", Turn(text="cut", cut_after_events=1))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://upstream") as client:
        first = await client.post(MESSAGES, json={"model": "c", "stream": True})
        text = [
            p["delta"]["text"]
            for p in sse_json(first.content)
            if p["type"] == "content_block_delta"
        ]
        assert "".join(text) == "in process"
        with pytest.raises(StreamCut):
            await client.post(MESSAGES, json={"model": "c", "stream": True})
    assert [r.turn_index for r in app.state.requests()] == [0, 1]
