"""Loopback by default; any other address only with --allow-remote and an access token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from skvm_shim.proxy import BindRefused, ProxyServer
from skvm_shim.proxy.auth import check_bind, is_loopback
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.conftest import API_KEY, MODEL

TOKEN = "proxy-token-5d1f0c9e7a"
CHAT: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_nothing(host: str) -> None:
    assert is_loopback(host)
    check_bind(host, allow_remote=False, token=None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.7", "example.org"])
def test_other_addresses_need_allow_remote_and_a_token(host: str) -> None:
    with pytest.raises(BindRefused, match="--allow-remote"):
        check_bind(host, allow_remote=False, token=TOKEN)
    with pytest.raises(BindRefused, match="SKVM_PROXY_TOKEN"):
        check_bind(host, allow_remote=True, token=None)
    with pytest.raises(BindRefused, match="at least 16"):
        check_bind(host, allow_remote=True, token="short")
    check_bind(host, allow_remote=True, token=TOKEN)


def test_proxy_server_refuses_before_binding(tmp_path: Path) -> None:
    with pytest.raises(BindRefused):
        ProxyServer(
            upstream_openai="http://127.0.0.1:9/v1",
            upstream_anthropic="http://127.0.0.1:9",
            home=tmp_path,
            host="0.0.0.0",
        )


@pytest.fixture
def guarded(upstream: ScriptedUpstream, tmp_path: Path) -> Iterator[ProxyServer]:
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "guarded",
        token=TOKEN,
    ) as server:
        yield server


def test_clients_must_present_the_token(guarded: ProxyServer, upstream: ScriptedUpstream) -> None:
    import anthropic
    import openai

    url = guarded.openai_base_url + "/chat/completions"
    for headers in ({}, {"x-skvm-proxy-token": "wrong-token-0000000"}):
        r = httpx2.post(url, json=CHAT, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"
    bare = openai.OpenAI(base_url=guarded.openai_base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bare.chat.completions.create(**CHAT)
    bare_a = anthropic.Anthropic(base_url=guarded.base_url, api_key=API_KEY, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bare_a.models.list()
    assert upstream.requests == []
    client = openai.OpenAI(
        base_url=guarded.openai_base_url,
        api_key=API_KEY,
        max_retries=0,
        default_headers={"X-Skvm-Proxy-Token": TOKEN},
    )
    upstream.script("let in")
    answer = client.chat.completions.create(**CHAT)
    assert answer.choices[0].message.content == "let in"
    sent = upstream.last_request.headers
    assert "x-skvm-proxy-token" not in sent  # the proxy's token never goes upstream
    assert sent["authorization"] == f"Bearer {API_KEY}"  # the API key does, untouched
    assert httpx2.get(guarded.base_url + "/healthz").status_code == 200
