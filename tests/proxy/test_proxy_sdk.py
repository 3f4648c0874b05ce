"""The real openai and anthropic SDKs through the proxy: every call style, skills rewritten.

What a client gets through the proxy must be what it gets from the upstream directly; what the
upstream receives must carry the stored variant in place of the skill, byte for byte what
``patch()`` sends for the same call.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import skvm_shim
from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.proxy.conftest import llm_span
from tests.sdk.calls import STYLES, Style, answer_text, make_client, request_kwargs, strings
from tests.sdk.conftest import (
    API_KEY,
    MODEL,
    SKILL,
    SKILL_DIR,
    VARIANT_MARK,
    VARIANT_TEXT,
    Spans,
    require,
)

pytestmark = pytest.mark.sdk

SYSTEM = "You are a careful agent with one skill loaded:\n\n" + SKILL.body
BASIC = [s for s in STYLES if s.name in ("create", "stream", "async_create", "async_stream")]


def _type_name(result: tuple[str, Any]) -> str:
    return result[0]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_every_call_style_gets_the_same_answer_as_direct(
    style: Style, upstream: ScriptedUpstream, proxy: ProxyServer
) -> None:
    require(style.sdk)
    kwargs = request_kwargs(style, system="no skill here", user="hi", model=MODEL)
    upstream.script("Direct answer: ünïcode ✓")
    direct = style.run(
        make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY), kwargs
    )
    upstream.script("Direct answer: ünïcode ✓")
    proxied = style.run(make_client(style, base_url=proxy.openai_base_url, api_key=API_KEY), kwargs)
    assert _type_name(proxied) == _type_name(direct)
    assert answer_text(style, proxied) == answer_text(style, direct) == "Direct answer: ünïcode ✓"
    first, second = upstream.requests[-2:]
    assert second.body == first.body  # an untouched request arrives as the client sent it
    assert second.path == first.path
    assert second.query == first.query


@pytest.mark.parametrize("style", BASIC, ids=lambda s: s.id)
def test_upstream_receives_the_variant_and_the_span_says_so(
    style: Style, upstream: ScriptedUpstream, proxy: ProxyServer, spans: Spans
) -> None:
    require(style.sdk)
    upstream.script("Scripted answer 42")
    client = make_client(style, base_url=proxy.openai_base_url, api_key=API_KEY)
    result = style.run(client, request_kwargs(style, system=SYSTEM, user="hi", model=MODEL))
    assert answer_text(style, result) == "Scripted answer 42"
    sent = strings(upstream.last_request.body)
    assert VARIANT_MARK in sent
    assert SKILL.body not in sent
    span = llm_span(spans)
    assert span.attributes is not None
    assert span.attributes["skvm.mode"] == "proxy"
    assert span.attributes["skvm.rewritten"] is True
    assert span.attributes["skvm.harness"] == "generic"
    tokens = span.attributes["gen_ai.usage.output_tokens"]
    assert isinstance(tokens, int)
    assert tokens > 0
    assert span.attributes["server.address"] == "127.0.0.1"
    assert span.attributes["server.port"] == upstream.port
    authorization = upstream.last_request.headers["authorization"]
    assert authorization == f"Bearer {API_KEY}"  # the client's key, forwarded untouched
    exported = json.dumps([dict(s.attributes or {}) for s in spans.all()], default=str)
    assert API_KEY not in exported


@pytest.mark.parametrize("style", BASIC[::2], ids=lambda s: s.id)
def test_the_proxy_sends_exactly_what_patch_mode_sends(
    style: Style, upstream: ScriptedUpstream, proxy: ProxyServer, tmp_path: Path, spans: Spans
) -> None:
    require(style.sdk)
    kwargs = request_kwargs(style, system=SYSTEM, user="hi", model=MODEL)
    upstream.script("through the proxy")
    style.run(make_client(style, base_url=proxy.openai_base_url, api_key=API_KEY), kwargs)
    via_proxy = upstream.last_request.body
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "patch-home")
    try:
        assert shim.store is not None
        publish_variant(shim.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic")
        upstream.script("patched")
        style.run(make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY), kwargs)
    finally:
        skvm_shim.unpatch()
    via_patch = upstream.last_request.body
    assert VARIANT_MARK in strings(via_proxy)
    assert via_proxy == via_patch


def test_harness_prefix_selects_that_harness_variant(
    upstream: ScriptedUpstream, proxy: ProxyServer, spans: Spans
) -> None:
    import openai

    assert proxy.runtime.store is not None
    pi_mark = "SKVM-VARIANT-FOR-PI"
    pi_text = SKILL.text.replace("# CSV statistics\n", f"# CSV statistics\n\n{pi_mark}\n")
    publish_variant(proxy.runtime.store, skill=SKILL, text=pi_text, model=MODEL, harness="pi")
    client = openai.OpenAI(
        base_url=proxy.harness_base_url("pi") + "/v1", api_key=API_KEY, max_retries=0
    )
    upstream.script("ok")
    client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}],
    )
    sent = strings(upstream.last_request.body)
    assert pi_mark in sent
    assert VARIANT_MARK not in sent
    assert upstream.last_request.path == "/v1/chat/completions"
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["skvm.harness"] == "pi"


@pytest.mark.parametrize("name", ["claude-code-01", "codex-01", "pi-01", "opencode-03"])
def test_harness_is_recognised_from_the_request_shape(
    name: str, upstream: ScriptedUpstream, proxy: ProxyServer, spans: Spans
) -> None:
    """Captured harness requests (headers and body, path and query) sent through the proxy."""
    import httpx2

    fixture = Path(__file__).parents[1] / "fixtures" / "harness_requests" / f"{name}.json"
    captured = json.loads(fixture.read_text())
    headers = {
        k: v
        for k, v in captured["headers"].items()
        if k.lower() not in ("host", "content-length", "authorization", "x-api-key")
    }
    headers["authorization"] = f"Bearer {API_KEY}"
    query = urlencode(captured["query"], doseq=True)
    upstream.script("recognised")
    response = httpx2.post(
        proxy.base_url + captured["path"] + (f"?{query}" if query else ""),
        json=captured["body"],
        headers=headers,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert upstream.last_request.path == captured["path"]
    assert upstream.last_request.query == query
    assert upstream.last_request.body == captured["body"]
    assert upstream.last_request.headers["authorization"] == f"Bearer {API_KEY}"
    attributes = llm_span(spans).attributes
    assert attributes is not None
    assert attributes["skvm.harness"] == captured["harness"]
