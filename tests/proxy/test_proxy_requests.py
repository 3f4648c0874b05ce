"""What the proxy accepts, what it forwards, and what it refuses (in the API's own error shape)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from adapters.ir import AssistantTurn, ToolCall
from skvm_shim.config import Settings
from skvm_shim.pipeline import ReplayQuery
from skvm_shim.proxy import ProxyServer
from skvm_shim.runtime import Runtime
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.proxy.conftest import llm_span
from tests.sdk.calls import strings
from tests.sdk.conftest import API_KEY, MODEL, SKILL, SKILL_DIR, VARIANT_MARK, Spans

CHAT: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
MESSAGES: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}
ANTHROPIC_HEADERS = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}


def _body(exc: Any) -> dict[str, Any]:
    body = exc.body
    assert isinstance(body, dict)
    return body


def _openai_error(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    error: dict[str, Any] = body["error"]
    return error


def _anthropic_error(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert body["type"] == "error"
    assert set(body["error"]) == {"type", "message"}
    error: dict[str, Any] = body["error"]
    return error


# -- bad input ----------------------------------------------------------------------------------


def test_malformed_json_is_a_400_in_each_shape(
    proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    r = httpx2.post(
        proxy.openai_base_url + "/chat/completions",
        content=b'{"model": "m", "messages": [',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400
    assert "not valid JSON" in _openai_error(r)["message"]
    assert r.headers["x-skvm-proxy-error"] == "1"
    r = httpx2.post(
        proxy.base_url + "/v1/messages",
        content=b"[1, 2]",
        headers={"content-type": "application/json", **ANTHROPIC_HEADERS},
    )
    assert r.status_code == 400
    assert _anthropic_error(r) == {
        "type": "invalid_request_error",
        "message": "request body must be a JSON object, not list",
    }
    assert upstream.requests == []


def test_a_non_json_content_type_is_a_415(proxy: ProxyServer, upstream: ScriptedUpstream) -> None:
    import openai

    client = openai.OpenAI(base_url=proxy.openai_base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(**CHAT, extra_headers={"content-type": "text/plain"})
    assert caught.value.status_code == 415
    assert "application/json" in caught.value.message
    assert upstream.requests == []


@pytest.fixture
def small_proxy(upstream: ScriptedUpstream, tmp_path: Path) -> Iterator[ProxyServer]:
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "small-home",
        max_body=64 * 1024,
    ) as server:
        yield server


def test_a_body_over_the_limit_is_a_413(
    small_proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    import anthropic
    import openai

    big = "x" * 70_000
    oai = openai.OpenAI(base_url=small_proxy.openai_base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.APIStatusError) as caught:
        oai.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": big}])
    assert caught.value.status_code == 413
    assert "exceeds the skvm-shim proxy limit of 65536 bytes" in caught.value.message
    ant = anthropic.Anthropic(base_url=small_proxy.base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as caught_a:
        ant.messages.create(model=MODEL, max_tokens=4, messages=[{"role": "user", "content": big}])
    assert caught_a.value.status_code == 413
    assert _body(caught_a.value)["error"]["type"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no content-length: the limit is enforced while reading
        yield b'{"model": "m", "messages": [{"role": "user", "content": "'
        for _ in range(20):
            yield b"y" * 8192
        yield b'"}]}'

    r = httpx2.post(
        small_proxy.openai_base_url + "/chat/completions",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413
    assert "more than 65536" in _openai_error(r)["message"]
    assert upstream.requests == []
    upstream.script("still fine")
    assert oai.chat.completions.create(**CHAT).choices[0].message.content == "still fine"


def test_unknown_harness_and_unknown_paths_are_404s_that_say_what_works(
    proxy: ProxyServer,
) -> None:
    r = httpx2.post(proxy.base_url + "/h/vim/v1/chat/completions", json=CHAT)
    assert r.status_code == 404
    message = _openai_error(r)["message"]
    assert "'vim'" in message
    for harness in ("claude-code", "codex", "pi", "opencode", "generic"):
        assert harness in message
    r = httpx2.post(proxy.base_url + "/chat/completions", json=CHAT)
    assert r.status_code == 404
    assert "/v1" in _openai_error(r)["message"]
    r = httpx2.get(proxy.base_url + "/nope", headers=ANTHROPIC_HEADERS)
    assert r.status_code == 404
    assert _anthropic_error(r)["type"] == "not_found_error"


def test_healthz(proxy: ProxyServer) -> None:
    r = httpx2.get(proxy.base_url + "/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


# -- pass-through -------------------------------------------------------------------------------


def test_models_and_count_tokens_pass_through_to_the_right_upstream(
    proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    import anthropic
    import openai

    oai = openai.OpenAI(base_url=proxy.openai_base_url, api_key=API_KEY, max_retries=0)
    assert [m.id for m in oai.models.list()] == ["scripted-model"]
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("no-such-model")
    assert upstream.last_request.path == "/v1/models/no-such-model"
    ant = anthropic.Anthropic(base_url=proxy.base_url, api_key="sk-ant-x", max_retries=0)
    assert [m.id for m in ant.models.list()] == ["scripted-model"]
    assert upstream.last_request.headers["anthropic-version"]
    count = ant.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    assert count.input_tokens > 0
    assert upstream.last_request.path == "/v1/messages/count_tokens"


def test_routing_rule_for_other_paths() -> None:
    from skvm_shim.proxy.routes import NoRoute, Route, resolve

    def route(method: str, path: str, headers: list[tuple[bytes, bytes]] = []) -> Route:  # noqa: B006
        result = resolve(method, path, path.encode(), headers)
        assert isinstance(result, Route)
        return result

    anthropic_headers = [(b"anthropic-version", b"2023-06-01")]
    assert route("GET", "/v1/models").family == "openai"
    assert route("GET", "/v1/models", anthropic_headers).family == "anthropic"
    assert route("GET", "/v1/models", [(b"x-api-key", b"k")]).family == "anthropic"
    assert route("POST", "/v1/messages/count_tokens").family == "anthropic"
    assert route("POST", "/v1/messages/count_tokens").fmt is None
    assert route("POST", "/v1/responses/resp_1/cancel", anthropic_headers).family == "openai"
    assert route("POST", "/v1/threads/t/messages").fmt is None  # not an Anthropic call
    assert route("POST", "/v1/threads/t/messages").family == "openai"
    assert route("POST", "/h/codex/v1/responses").harness == "codex"
    assert route("POST", "/h/codex/v1/responses").tail == b"/responses"
    assert route("GET", "/v1/chat/completions").fmt is None
    assert route("POST", "/v1/files/a%2Fb").tail == b"/files/a%2Fb"
    assert isinstance(resolve("GET", "/h/pi", b"/h/pi", []), NoRoute)
    assert isinstance(resolve("GET", "/v2/models", b"/v2/models", []), NoRoute)


def test_headers_cross_as_they_should(proxy: ProxyServer, upstream: ScriptedUpstream) -> None:
    upstream.script("ok")
    r = httpx2.post(
        proxy.base_url + "/v1/messages?beta=true",
        json=MESSAGES,
        headers={
            **ANTHROPIC_HEADERS,
            "anthropic-beta": "interleaved-thinking-2025-05-14",
            "authorization": "Bearer sk-ant-bearer",
            "x-custom": "kept",
            "connection": "keep-alive, x-hop",
            "x-hop": "dropped",
            "keep-alive": "timeout=5",
            "te": "trailers",
            "proxy-authorization": "Basic dropped",
            "accept-encoding": "gzip, deflate, br, zstd",
        },
    )
    assert r.status_code == 200
    sent = upstream.last_request.headers
    assert upstream.last_request.query == "beta=true"
    assert sent["x-api-key"] == "sk-ant-test"
    assert sent["authorization"] == "Bearer sk-ant-bearer"
    assert sent["anthropic-version"] == "2023-06-01"
    assert sent["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert sent["x-custom"] == "kept"
    for name in ("x-hop", "keep-alive", "te", "proxy-authorization", "x-skvm-proxy-token"):
        assert name not in sent
    assert sent["accept-encoding"] == "gzip, deflate"  # what the observer can decode
    assert "user-agent" in sent  # httpx2's own, since this client sent one
    assert r.headers["request-id"].startswith("req_")
    assert "x-skvm-proxy-error" not in r.headers


def test_no_accept_encoding_means_identity_upstream(
    proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    upstream.script("ok")
    with httpx2.Client() as client:
        request = client.build_request(
            "POST", proxy.openai_base_url + "/chat/completions", json=CHAT
        )
        del request.headers["accept-encoding"]
        del request.headers["user-agent"]
        assert client.send(request).status_code == 200
    sent = upstream.last_request.headers
    assert sent["accept-encoding"] == "identity"
    assert "user-agent" not in sent  # the proxy adds no user-agent of its own


def test_event_streams_are_not_buffered_by_proxies_in_front(
    proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    upstream.script("streamed")
    with httpx2.stream(
        "POST", proxy.openai_base_url + "/chat/completions", json=CHAT | {"stream": True}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-accel-buffering"] == "no"
        body = b"".join(r.iter_raw())
    assert b"data: [DONE]" in body


def test_a_rewritten_body_goes_out_with_its_own_length(
    proxy: ProxyServer, upstream: ScriptedUpstream
) -> None:
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Skill:\n\n" + SKILL.body},
            {"role": "user", "content": "hi"},
        ],
    }
    raw = json.dumps(body).encode()
    upstream.script("ok")
    r = httpx2.post(
        proxy.openai_base_url + "/chat/completions",
        content=raw,
        headers={"content-type": "application/json", "content-length": str(len(raw))},
    )
    assert r.status_code == 200
    assert VARIANT_MARK in strings(upstream.last_request.body)
    assert upstream.last_request.headers["content-length"] != str(len(raw))


def test_internal_calls_bypass_the_pipeline(
    proxy: ProxyServer, upstream: ScriptedUpstream, spans: Spans
) -> None:
    from compiler.marker import INTERNAL_HEADERS

    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Skill:\n\n" + SKILL.body},
            {"role": "user", "content": "hi"},
        ],
    }
    upstream.script("compiled")
    r = httpx2.post(
        proxy.openai_base_url + "/chat/completions", json=body, headers=INTERNAL_HEADERS
    )
    assert r.status_code == 200
    assert upstream.last_request.body == body  # untouched: no variant swapped in
    assert "x-skvm-internal" not in upstream.last_request.headers
    assert spans.llm() == []


# -- synthetic answers (replay) -----------------------------------------------------------------


class _Replayer:
    def __init__(self) -> None:
        self.queries: list[ReplayQuery] = []

    def decide(self, query: ReplayQuery) -> AssistantTurn | None:
        self.queries.append(query)
        return AssistantTurn(
            text="Replayed.",
            tool_calls=(ToolCall(id="call_r1", name="bash", arguments='{"command":"ls"}'),),
            finish_reason="tool_calls",
        )

    def observe(self, query: ReplayQuery, turn: AssistantTurn) -> None:
        pass


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_synthetic_turn_is_answered_without_calling_the_upstream(
    stream: bool, upstream: ScriptedUpstream, tmp_path: Path, spans: Spans
) -> None:
    import openai

    replayer = _Replayer()
    runtime = Runtime(
        Settings(home=tmp_path / "replay-home"),
        skills=[SKILL_DIR],
        tracer_provider=spans.provider,
        replayer=replayer,
    )
    try:
        with ProxyServer(
            upstream_openai=upstream.openai_base_url,
            upstream_anthropic=upstream.base_url,
            runtime=runtime,
        ) as server:
            client = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0)
            if stream:
                events = list(client.chat.completions.create(**CHAT, stream=True))
                calls = [c for e in events for ch in e.choices for c in ch.delta.tool_calls or []]
                assert calls[0].function.name == "bash"
            else:
                answer = client.chat.completions.create(**CHAT)
                call = answer.choices[0].message.tool_calls[0]
                assert (call.function.name, call.function.arguments) == ("bash", '{"command":"ls"}')
                assert answer.choices[0].message.content == "Replayed."
    finally:
        runtime.close()
    assert upstream.requests == []
    assert len(replayer.queries) == 1
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["skvm.synthetic"] is True


def test_a_large_body_is_scanned_off_the_event_loop_and_still_rewritten(
    proxy: ProxyServer, upstream: ScriptedUpstream, spans: Spans
) -> None:
    from skvm_shim.proxy.app import OFFLOAD_BYTES

    history = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i} " + "z" * 2000}
        for i in range(OFFLOAD_BYTES // 2000 + 10)
    ]
    body = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Skill:\n\n" + SKILL.body},
            *history,
            {"role": "user", "content": "go on"},
        ],
    }
    assert len(json.dumps(body)) > OFFLOAD_BYTES
    upstream.script("long conversation")
    r = httpx2.post(proxy.openai_base_url + "/chat/completions", json=body, timeout=20)
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "long conversation"
    sent = upstream.last_request.body
    assert VARIANT_MARK in strings(sent)
    assert sent["messages"][1:] == body["messages"][1:]
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["skvm.rewritten"] is True
