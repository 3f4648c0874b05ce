"""A turn the shim answers itself goes through the SDK's own response parsing.

Solidification (a later capability) answers some requests without calling the model; here a fixed
synthetic turn stands in for it. The caller must get exactly the type an upstream answer gives,
the SDKs' helpers must accept it, and the upstream must not be called.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import skvm_shim
from adapters.ir import AssistantTurn, ToolCall, Usage
from skvm_shim.pipeline import ReplayQuery
from skvm_shim.testing.script import ToolCall as ScriptedCall
from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.calls import STYLES, Style, make_client, request_kwargs
from tests.sdk.conftest import API_KEY, MODEL, SKILL_DIR, Spans, require

pytestmark = pytest.mark.sdk

ARGS = {"command": "python3 scripts/profile_csv.py 'data 1.csv' --out stats.json"}


class FixedReplayer:
    def __init__(self) -> None:
        self.queries: list[ReplayQuery] = []
        self.observed: list[AssistantTurn] = []

    def decide(self, query: ReplayQuery) -> AssistantTurn | None:
        self.queries.append(query)
        return AssistantTurn(
            text="Running the profiler.",
            tool_calls=(
                ToolCall(
                    id="call_synthetic_1",
                    name="run_command",
                    arguments=json.dumps(ARGS, separators=(",", ":")),
                ),
            ),
            finish_reason="tool_calls",
            usage=Usage(input_tokens=0, output_tokens=0),
        )

    def observe(self, query: ReplayQuery, turn: AssistantTurn) -> None:
        self.observed.append(turn)


def _tool_calls(style: Style, content: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(content, tuple):
        content = content[1]
    if isinstance(content, list):  # drained stream: look at the events that carry whole calls
        found = []
        for event in content:
            if style.endpoint == "chat":
                for choice in event.get("choices", []):
                    for call in (choice.get("delta") or {}).get("tool_calls") or []:
                        fn = call.get("function") or {}
                        if fn.get("name"):
                            found.append((fn["name"], fn.get("arguments") or ""))
            elif style.endpoint == "responses":
                if event.get("type") == "response.output_item.done":
                    item = event["item"]
                    if item["type"] == "function_call":
                        found.append((item["name"], item["arguments"]))
            elif event.get("type") == "content_block_start":
                block = event["content_block"]
                if block["type"] == "tool_use":
                    found.append((block["name"], ""))
        if style.endpoint == "chat":  # arguments arrive in deltas after the name
            args = "".join(
                (c.get("function") or {}).get("arguments") or ""
                for e in content
                for ch in e.get("choices", [])
                for c in (ch.get("delta") or {}).get("tool_calls") or []
            )
            found = [(n, args) for n, _ in found]
        if style.endpoint == "messages":
            args = "".join(
                e["delta"].get("partial_json", "")
                for e in content
                if e.get("type") == "content_block_delta"
            )
            found = [(n, args) for n, _ in found]
        return [(n, json.loads(a)) for n, a in found]
    if style.endpoint == "chat":
        calls = content["choices"][0]["message"]["tool_calls"]
        return [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in calls]
    if style.endpoint == "responses":
        return [
            (i["name"], json.loads(i["arguments"]))
            for i in content["output"]
            if i["type"] == "function_call"
        ]
    return [(b["name"], b["input"]) for b in content["content"] if b["type"] == "tool_use"]


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_synthetic_turn_has_the_upstream_type_and_skips_the_upstream(
    style: Style, upstream: ScriptedUpstream, tmp_path: Any, spans: Spans
) -> None:
    require(style.sdk)
    kwargs = request_kwargs(style, system="You are an agent.", user="profile data.csv", model=MODEL)
    if style.endpoint == "chat" and style.name in ("helper", "async_helper"):
        # openai 2.x's helper only auto-parses strict tools; 3.x accepts both.
        kwargs["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": "run_command",
                    "strict": True,
                    "parameters": {
                        "type": "object",
                        "properties": {"command": {"type": "string"}},
                        "required": ["command"],
                        "additionalProperties": False,
                    },
                },
            }
        ]
    # What a real upstream answer of the same shape looks like to this caller.
    upstream.script(
        Turn(
            text="Running the profiler.",
            tool_calls=(ScriptedCall(name="run_command", arguments=ARGS),),
        )
    )
    baseline = style.run(
        make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY), kwargs
    )
    upstream.reset()

    replayer = FixedReplayer()
    skvm_shim.patch(
        skills=[SKILL_DIR],
        home=tmp_path / "home",
        tracer_provider=spans.provider,
        replayer=replayer,
    )
    try:
        client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
        synthetic = style.run(client, kwargs)
    finally:
        skvm_shim.unpatch()

    assert upstream.requests == [], "a synthetic turn must not reach the upstream"
    assert synthetic[0] == baseline[0]
    assert _tool_calls(style, synthetic[1]) == [("run_command", ARGS)]
    assert _tool_calls(style, baseline[1]) == [("run_command", ARGS)]
    span = spans.last_llm()
    assert span.attributes is not None
    assert span.attributes["skvm.synthetic"] is True
    assert replayer.observed == [], "the shim's own answers are not model output to learn from"
