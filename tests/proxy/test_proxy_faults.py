"""Upstream failures through the proxy: relayed as the upstream sent them, or as clear errors.

Errors the upstream sends (status, body, retry-after, request id) reach the client as they would
directly, so the SDKs raise the same exception types; failures to reach the upstream become a
502/503/504 in the API's own error shape; a stream the upstream breaks off is broken off for the
client too; a client that goes away cancels the upstream request at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.script import ErrorSpec, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.proxy.conftest import CountingUpstream, free_port, llm_span
from tests.sdk.calls import STYLES, Style, make_client, request_kwargs
from tests.sdk.conftest import API_KEY, MODEL, SKILL, Spans, require

pytestmark = pytest.mark.sdk

SYSTEM = "Skill:\n\n" + SKILL.body
BASIC = [s for s in STYLES if s.name in ("create", "stream", "async_stream")]
CHAT: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
MESSAGES: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "hi"}],
}


def _body(exc: Any) -> dict[str, Any]:
    body = exc.body
    assert isinstance(body, dict)
    return body


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any, Any]:
    try:
        fn()
    except Exception as exc:  # the point is to compare exceptions
        body = getattr(exc, "body", None)
        if isinstance(body, dict):  # the scripted upstream gives every answer a fresh request id
            body = {k: v for k, v in body.items() if k != "request_id"}
        return type(exc).__qualname__, getattr(exc, "status_code", None), body
    return "no exception", None, None


def _headers_of(fn: Callable[[], Any]) -> dict[str, str]:
    try:
        fn()
    except Exception as exc:
        response = getattr(exc, "response", None)
        if response is not None:
            return {k.lower(): v for k, v in response.headers.items()}
    return {}


def _call(style: Style, base_url: str, *, timeout: float = 10) -> Callable[[], Any]:
    client = make_client(style, base_url=base_url, api_key=API_KEY).with_options(timeout=timeout)
    kwargs = request_kwargs(style, system=SYSTEM, user="hi", model=MODEL)
    return lambda: style.run(client, kwargs)


ERROR_TURNS = [
    pytest.param(Turn(error=ErrorSpec(status=400, message="bad field")), id="400"),
    pytest.param(Turn(error=ErrorSpec(status=401)), id="401"),
    pytest.param(Turn(error=ErrorSpec(status=404, message="model 'nope' not found")), id="404"),
    pytest.param(
        Turn(error=ErrorSpec(status=429, headers={"retry-after": "7", "x-ratelimit-a": "0"})),
        id="429",
    ),
    pytest.param(Turn(error=ErrorSpec(status=500)), id="500"),
    pytest.param(Turn(error=ErrorSpec(status=503, headers={"retry-after": "1"})), id="503"),
    pytest.param(Turn(error=ErrorSpec(status=529)), id="529"),
    pytest.param(Turn(text="cut " * 40, cut_after_events=3), id="cut-stream"),
    pytest.param(Turn(text="eof " * 40, cut_after_events=3, cut_mode="eof"), id="eof-stream"),
]


@pytest.mark.parametrize("turn", ERROR_TURNS)
@pytest.mark.parametrize("style", BASIC, ids=lambda s: s.id)
def test_upstream_failures_reach_the_client_as_they_would_directly(
    style: Style, turn: Turn, upstream: ScriptedUpstream, proxy: ProxyServer, spans: Spans
) -> None:
    require(style.sdk)
    upstream.script(turn)
    direct = _outcome(_call(style, upstream.openai_base_url))
    upstream.script(turn)
    proxied = _outcome(_call(style, proxy.openai_base_url))
    assert proxied == direct
    if turn.error is not None:
        assert proxied[1] == turn.error.status
        upstream.script(turn)
        headers = _headers_of(_call(style, proxy.openai_base_url))
        for name, value in turn.error.headers.items():
            assert headers[name] == value
        assert headers["x-request-id" if style.sdk == "openai" else "request-id"]
        assert "x-skvm-proxy-error" not in headers
        attributes = llm_span(spans, 2).attributes
        assert attributes is not None
        assert attributes["error.type"]
    # the proxy is still healthy afterwards
    upstream.script("after")
    assert _outcome(_call(style, proxy.openai_base_url))[0] == "no exception"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_cut_stream_breaks_the_client_connection_and_marks_the_span(
    stream: bool, upstream: ScriptedUpstream, proxy: ProxyServer, spans: Spans
) -> None:
    upstream.script(Turn(text="cut " * 40, cut_after_events=3))
    url = proxy.openai_base_url + "/chat/completions"
    received = bytearray()

    def read_all() -> None:
        with (
            httpx2.Client(timeout=10) as client,
            client.stream("POST", url, json=CHAT | {"stream": stream}) as r,
        ):
            assert r.status_code == 200
            for chunk in r.iter_raw():
                received.extend(chunk)

    with pytest.raises(httpx2.RemoteProtocolError):
        read_all()
    assert received  # what the upstream sent before the cut was relayed
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["error.type"]


@pytest.fixture
def dead_proxy(tmp_path: Path, spans: Spans) -> Iterator[ProxyServer]:
    """A proxy whose upstreams refuse connections."""
    dead = f"http://127.0.0.1:{free_port()}"
    with ProxyServer(
        upstream_openai=dead + "/v1",
        upstream_anthropic=dead,
        home=tmp_path / "dead-home",
        tracer_provider=spans.provider,
    ) as server:
        yield server


def test_a_refused_connection_is_a_502_in_each_api_shape(
    dead_proxy: ProxyServer, spans: Spans
) -> None:
    import anthropic
    import openai

    oai = openai.OpenAI(base_url=dead_proxy.openai_base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.InternalServerError) as caught:
        oai.chat.completions.create(**CHAT)
    assert caught.value.status_code == 502
    assert "could not reach the upstream" in caught.value.message
    assert _body(caught.value)["type"] == "server_error"
    ant = anthropic.Anthropic(base_url=dead_proxy.base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(anthropic.InternalServerError) as caught_a:
        ant.messages.create(**MESSAGES)
    assert caught_a.value.status_code == 502
    assert _body(caught_a.value)["error"]["type"] == "api_error"
    assert caught_a.value.response.headers["x-skvm-proxy-error"] == "1"
    attributes = llm_span(spans, 2).attributes
    assert attributes is not None
    assert attributes["error.type"] == "ConnectError"
    assert attributes["http.response.status_code"] == 502


def test_an_upstream_that_does_not_answer_in_time_is_a_504(
    upstream: ScriptedUpstream, tmp_path: Path
) -> None:
    import anthropic
    import openai

    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "slow-home",
        upstream_timeout=0.3,
    ) as server:
        upstream.script(Turn(text="late", delay_ms=1500), Turn(text="late", delay_ms=1500))
        oai = openai.OpenAI(base_url=server.openai_base_url, api_key=API_KEY, max_retries=0)
        started = time.monotonic()
        with pytest.raises(openai.InternalServerError) as caught:
            oai.chat.completions.create(**CHAT)
        assert time.monotonic() - started < 1.4
        assert caught.value.status_code == 504
        ant = anthropic.Anthropic(base_url=server.base_url, api_key=API_KEY, max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as caught_a:
            ant.messages.create(**MESSAGES)
        assert caught_a.value.status_code == 504
        assert _body(caught_a.value)["error"]["type"] == "timeout_error"


def _wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_a_client_leaving_mid_stream_cancels_the_upstream_request_at_once(
    counting_upstream: CountingUpstream, lone_proxy: ProxyServer, spans: Spans
) -> None:
    upstream = counting_upstream
    baseline = lone_proxy.task_count()
    # 60 events 100 ms apart: the whole answer would take 6 s.
    upstream.script(Turn(text="word " * 60, stream_deltas=60, chunk_delay_ms=100))
    with httpx2.Client(timeout=10) as client:
        with client.stream(
            "POST", lone_proxy.openai_base_url + "/chat/completions", json=CHAT | {"stream": True}
        ) as r:
            next(r.iter_raw())
            assert upstream.open_connections == 1
        left = time.monotonic()
    assert _wait_for(lambda: upstream.open_connections == 0, 1.0)
    assert time.monotonic() - left < 1.0
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["skvm.stream.incomplete"] is True
    assert _wait_for(lambda: lone_proxy.task_count() == baseline, 1.0)


def test_a_client_leaving_before_the_first_byte_cancels_the_upstream_request(
    counting_upstream: CountingUpstream, lone_proxy: ProxyServer, spans: Spans
) -> None:
    upstream = counting_upstream
    upstream.script(Turn(text="too late", delay_ms=4000))
    with httpx2.Client(timeout=0.3) as client, pytest.raises(httpx2.ReadTimeout):
        client.post(lone_proxy.openai_base_url + "/chat/completions", json=CHAT)
    left = time.monotonic()
    assert _wait_for(lambda: upstream.open_connections == 0, 1.0)
    assert time.monotonic() - left < 1.0
    assert llm_span(spans).end_time is not None


def test_a_disconnect_during_a_scripted_error_keeps_the_proxy_serving(
    upstream: ScriptedUpstream, proxy: ProxyServer
) -> None:
    upstream.script(Turn(error=ErrorSpec(status=500), delay_ms=500))
    with httpx2.Client(timeout=0.1) as client, pytest.raises(httpx2.ReadTimeout):
        client.post(proxy.openai_base_url + "/chat/completions", json=CHAT)
    upstream.script("fine")
    response = httpx2.post(proxy.openai_base_url + "/chat/completions", json=CHAT, timeout=10)
    assert response.status_code == 200
