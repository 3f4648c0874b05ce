"""patch() with the real SDK clients: every endpoint and call style, against real HTTP.

What the caller gets back must be exactly what the unpatched client returns for the same upstream
bytes; what the upstream receives must carry the stored variant in place of the skill.
"""

from __future__ import annotations

from typing import Any

import pytest

import skvm_shim
from skvm_shim.shim import Shim
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.calls import (
    STYLES,
    Style,
    answer_text,
    canonical,
    make_client,
    request_kwargs,
    sdk_http_client,
    strings,
)
from tests.sdk.conftest import API_KEY, MODEL, SKILL, SKILL_DIR, VARIANT_MARK, Spans, require

pytestmark = pytest.mark.sdk

SYSTEM = "You are a careful agent with one skill loaded:\n\n" + SKILL.body


def _upstream_bytes(upstream: ScriptedUpstream, style: Style, text: str) -> tuple[bytes, str]:
    """One scripted answer, as the exact bytes the upstream sends (fetched without any SDK)."""
    import httpx2

    upstream.script(text)
    path = {
        "chat": "/v1/chat/completions",
        "responses": "/v1/responses",
        "messages": "/v1/messages",
    }
    body = request_kwargs(style, system="s", user="u", model=MODEL)
    body["stream"] = style.stream
    r = httpx2.post(upstream.base_url + path[style.endpoint], json=body, timeout=10)
    return r.content, r.headers["content-type"]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_patched_result_equals_unpatched_for_the_same_bytes(
    style: Style, upstream: ScriptedUpstream, tmp_path: Any, spans: Spans
) -> None:
    require(style.sdk)
    content, content_type = _upstream_bytes(upstream, style, "Hello from the upstream: ünïcode ✓")

    def handler(request: Any) -> Any:
        from tests.sdk.calls import http_module

        return http_module(style.sdk).Response(
            200, content=content, headers={"content-type": content_type}
        )

    kwargs = request_kwargs(style, system=SYSTEM, user="hi", model=MODEL)

    def run() -> tuple[str, Any]:
        client = make_client(
            style,
            base_url="http://upstream.test/v1",
            api_key=API_KEY,
            http_client=sdk_http_client(style, handler),
        )
        return style.run(client, kwargs)

    unpatched = run()
    skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "home", tracer_provider=spans.provider)
    try:
        patched = run()
    finally:
        skvm_shim.unpatch()
    assert patched[0] == unpatched[0]
    assert canonical(patched[1]) == canonical(unpatched[1])
    span = spans.last_llm()  # the patched call really went through the shim
    assert span.attributes is not None
    assert span.attributes["skvm.skills.detected"] == (f"csv-stats@{SKILL.hash[:12]}",)


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_upstream_receives_the_variant_and_caller_gets_the_answer(
    style: Style, upstream: ScriptedUpstream, shim: Shim, spans: Spans
) -> None:
    require(style.sdk)
    upstream.script("Scripted answer 42")
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    result = style.run(client, request_kwargs(style, system=SYSTEM, user="hi", model=MODEL))
    sent = strings(upstream.last_request.body)
    assert VARIANT_MARK in sent
    assert SKILL.body not in sent
    assert answer_text(style, result) == "Scripted answer 42"
    span = spans.last_llm()
    assert span.attributes is not None
    assert span.attributes["skvm.rewritten"] is True
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert span.attributes["gen_ai.usage.output_tokens"] > 0
    if style.endpoint == "messages":
        system = upstream.last_request.body["system"]
        assert system[1]["cache_control"] == {"type": "ephemeral"}
        assert "cache_control" not in system[0]
        assert VARIANT_MARK in system[1]["text"]


def _tool_result_kwargs(style: Style) -> dict[str, Any]:
    """A conversation where the skill file arrived as the result of a read tool."""
    if style.endpoint == "chat":
        return {
            "model": MODEL,
            "messages": [
                {"role": "user", "content": "profile data.csv"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "read", "arguments": '{"path": "SKILL.md"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": SKILL.text},
            ],
        }
    if style.endpoint == "responses":
        return {
            "model": MODEL,
            "input": [
                {"role": "user", "content": "profile data.csv"},
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "exec_command",
                    "arguments": '{"cmd": "cat SKILL.md"}',
                },
                {"type": "function_call_output", "call_id": "call_1", "output": SKILL.text},
            ],
        }
    return {
        "model": MODEL,
        "max_tokens": 256,
        "messages": [
            {"role": "user", "content": "profile data.csv"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "Skill", "input": {"skill": "x"}}
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "Launching skill"},
                    {"type": "text", "text": "Base directory for this skill: /s\n\n" + SKILL.body},
                ],
            },
        ],
    }


@pytest.mark.parametrize(
    "style",
    [s for s in STYLES if s.name in ("create", "stream", "async_create")],
    ids=lambda s: s.id,
)
def test_skill_in_a_tool_result_is_replaced(
    style: Style, upstream: ScriptedUpstream, shim: Shim
) -> None:
    require(style.sdk)
    upstream.script("done")
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    style.run(client, _tool_result_kwargs(style))
    body = upstream.last_request.body
    sent = strings(body)
    assert VARIANT_MARK in sent
    assert SKILL.body not in sent
    if style.endpoint == "messages":
        content = body["messages"][2]["content"]
        assert content[0] == {
            "type": "tool_result",
            "tool_use_id": "toolu_1",
            "content": "Launching skill",
        }
        assert content[1]["text"].startswith("Base directory for this skill: /s\n\n")


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_without_a_variant_the_request_is_forwarded_unchanged(
    style: Style, upstream: ScriptedUpstream, tmp_path: Any, spans: Spans
) -> None:
    require(style.sdk)
    skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "home", tracer_provider=spans.provider)
    try:
        upstream.script("ok")
        client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
        kwargs = request_kwargs(style, system=SYSTEM, user="hi", model="other-model")
        style.run(client, kwargs)
    finally:
        skvm_shim.unpatch()
    sent = strings(upstream.last_request.body)
    assert SKILL.body in sent
    assert VARIANT_MARK not in sent
    attributes = spans.last_llm().attributes
    assert attributes is not None
    assert attributes["skvm.rewritten"] is False
    assert attributes["skvm.skills.detected"] == (f"csv-stats@{SKILL.hash[:12]}",)
