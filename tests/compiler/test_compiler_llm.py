"""The LLM-backed analysers against the project's scripted upstream (no network but 127.0.0.1).

Protocol checks: what is sent (prompts, JSON mode or forced tool, the internal marker header),
how answers are parsed and validated, that malformed answers are retried with the error fed back
and reported, and that a failed analyser falls back to the rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compiler import INTERNAL_HEADER, TCP, HarnessFacts, SkillSource, compile_skill, load_skill_dir
from compiler.llm.analysers import LlmScrAnswer
from compiler.llm.client import AnthropicJsonLlm, LlmError, OpenAIJsonLlm, make_llm, split_model
from compiler.llm.structured import call_structured

testing = pytest.importorskip(
    "skvm_shim.testing", reason="the scripted upstream test double is not available"
)
ScriptedUpstream = testing.ScriptedUpstream
ToolCall = testing.ToolCall
Turn = testing.Turn

PARALLEL = HarnessFacts(harness="bare-agent", parallel_tool_calls=True)

SCR_ANSWER: dict[str, Any] = {
    "purposes": [
        {
            "id": "Fetch",
            "description": "Fetch the headlines",
            "requirements": [
                {
                    "primitive": "tool.web",
                    "min_level": "L2",
                    "evidence": {
                        "start_line": 24,
                        "end_line": 24,
                        "quote": "Follow the pagination cursor",
                    },
                },
                {
                    "primitive": "gen.code.shell",
                    "min_level": "L3",
                    "evidence": {
                        "start_line": 21,
                        "end_line": 21,
                        "quote": "jq '.articles[].title'",
                    },
                },
                {
                    "primitive": "tool.teleport",
                    "min_level": "L1",
                    "evidence": {"start_line": 1, "end_line": 1, "quote": "x"},
                },
            ],
        },
        {
            "id": "output",
            "description": "Write the digest",
            "requirements": [
                {
                    "primitive": "gen.text.structured",
                    "min_level": "L3",
                    "evidence": {
                        "start_line": 99,
                        "end_line": 99,
                        "quote": "Write `digest.json` with this structure:",
                    },
                },
            ],
            "alternatives": [
                {
                    "replaces": "gen.text.structured",
                    "note": "build it in Python and json.dump it",
                    "needs": [
                        {"primitive": "gen.code.python", "min_level": "L2"},
                        {"primitive": "tool.exec", "min_level": "L1"},
                    ],
                },
            ],
        },
    ]
}

REWRITE_ANSWER: dict[str, Any] = {
    "edits": [
        {
            "gap_id": "fetch:tool.web",
            "line": 24,
            "op": "append",
            "text": "Ask for 100 items per page and stop after the page that has no next cursor.",
            "how_demand_drops": "one request shape, explicit stop",
        },
        {
            "gap_id": "output:gen.text.structured",
            "line": 28,
            "op": "replace",
            "old": "Write `digest.json` with this structure:",
            "text": "Build the object in a short Python script and save it as "
            "`digest.json` with `json.dump`; its structure:",
        },
        {
            "gap_id": "fetch:gen.code.shell",
            "line": 10,
            "op": "append",
            "text": "Outside its evidence.",
        },
        {"gap_id": "fetch:tool.web", "line": 24, "op": "insert_after", "text": "## A new section"},
    ]
}

PLAN_ANSWER: dict[str, Any] = {
    "hasParallelism": True,
    "steps": [{"id": "w1s3", "dependsOn": ["w1s1"]}, {"id": "w1s1", "dependsOn": ["w1s5"]}],
    "parallelGroups": [
        {"type": "ilp", "stepIds": ["w1s1", "w1s2"], "reason": "two independent reads"},
        {"type": "tlp", "stepIds": ["w1s4", "w1s5"], "reason": "not independent"},
    ],
}


@pytest.fixture
def digest(fixtures_dir: Path) -> SkillSource:
    return load_skill_dir(fixtures_dir / "skills" / "web-digest")


def openai_llm(up: Any) -> OpenAIJsonLlm:
    return OpenAIJsonLlm("gpt-4.1", base_url=up.openai_base_url, api_key="test-key", max_retries=0)


def messages_of(request: Any) -> list[dict[str, Any]]:
    return list(request.body["messages"])


def test_openai_analysers_end_to_end(digest: SkillSource, tiny_tcp: TCP) -> None:
    with ScriptedUpstream(
        json.dumps(SCR_ANSWER), json.dumps(REWRITE_ANSWER), json.dumps(PLAN_ANSWER)
    ) as up:
        result = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL, llm=openai_llm(up))
        requests = up.requests
    assert [r.endpoint for r in requests] == ["chat", "chat", "chat"]
    for r in requests:
        assert r.headers[INTERNAL_HEADER.lower()] == "1"
        assert r.body["response_format"] == {"type": "json_object"}
        assert r.body["model"] == "gpt-4.1"
        assert r.body["temperature"] == 0
    scr_system = messages_of(requests[0])[0]["content"]
    assert "gen.code.python" in scr_system
    assert "follow.style" in scr_system
    assert "submit_scr" in scr_system
    assert "  21| curl -s" in messages_of(requests[0])[1]["content"]  # numbered SKILL.md
    rewrite_user = messages_of(requests[1])[1]["content"]
    assert "gap_id fetch:tool.web" in rewrite_user
    assert "gap_id output:gen.text.structured" in rewrite_user
    assert "w1s3 (line 12" in messages_of(requests[2])[1]["content"]

    prov = result.variant.provenance
    assert prov.analysers == {
        "scr": "llm:openai/gpt-4.1",
        "rewrite": "llm:openai/gpt-4.1",
        "plan": "llm:openai/gpt-4.1",
    }
    assert prov.compiler_model == "openai/gpt-4.1"
    assert result.scr.extractor == "llm:openai/gpt-4.1"
    assert result.scr.unmatched == ("fetch: tool.teleport L1",)
    structured = next(
        r
        for p in result.scr.purposes
        for r in p.requirements
        if r.primitive == "gen.text.structured"
    )
    assert structured.evidence[0].span.start_line == 28  # off line numbers repaired from the quote
    assert {t.gap_id: t.kind for t in prov.transforms} == {
        "fetch:tool.web": "compensate",
        "fetch:gen.code.shell": "compensate",
        "output:gen.text.structured": "substitute",
    }
    assert [(e.gap_id, e.op) for e in result.edits] == [
        ("fetch:tool.web", "append"),
        ("output:gen.text.structured", "replace"),
    ]
    reasons = {s.reason for s in result.rewrite.skipped}  # type: ignore[union-attr]
    assert "model edit rejected: line 10 is outside the gap's evidence" in reasons
    assert "model edit rejected: a second edit on the same line" in reasons
    text = result.variant.skill_md
    assert "stop after the page that has no next cursor" in text
    assert "Build the object in a short Python script" in text
    assert result.servable, prov.guard.violations
    dag = result.variant.dag
    assert dag is not None
    assert dag.planner == "llm:openai/gpt-4.1"
    assert [(g.kind, g.steps) for g in dag.groups] == [("ilp", ("w1s1", "w1s2"))]
    assert {s.id: s.depends_on for s in dag.steps}["w1s1"] == ()  # forward edge refused
    assert all(c.ok and c.attempts == 1 for c in result.llm_calls)
    assert [c.purpose for c in result.llm_calls] == ["scr", "rewrite", "plan"]


def test_malformed_answers_are_retried_with_the_error(digest: SkillSource) -> None:
    with ScriptedUpstream(
        "not json at all", json.dumps({"purposes": []}), json.dumps(SCR_ANSWER)
    ) as up:
        value, report = call_structured(
            openai_llm(up), purpose="scr", system="s", user="u", output=LlmScrAnswer
        )
        requests = up.requests
    assert value is not None
    assert value.purposes[0].id == "Fetch"
    assert (report.ok, report.attempts) == (True, 3)
    assert report.errors[0].startswith("attempt 1: not JSON")
    assert report.errors[1].startswith("attempt 2: schema: purposes")
    retry = messages_of(requests[1])
    assert retry[-2] == {"role": "assistant", "content": "not json at all"}
    assert "That answer was not valid (not JSON" in retry[-1]["content"]


def test_exhausted_retries_fall_back_to_the_rules(digest: SkillSource, tiny_tcp: TCP) -> None:
    with ScriptedUpstream(default="still not json") as up:
        result = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL, llm=openai_llm(up))
        n = len(up.requests)
    assert n == 9  # three attempts for each of the three analysers
    assert result.variant.provenance.analysers == {
        "scr": "rules",
        "rewrite": "rules",
        "plan": "rules",
    }
    assert [(c.purpose, c.ok, c.attempts) for c in result.llm_calls] == [
        ("scr", False, 3),
        ("rewrite", False, 3),
        ("plan", False, 3),
    ]
    assert any(e.startswith("scr: scr via openai/gpt-4.1 failed") for e in result.errors)
    rules = compile_skill(digest, tcp=tiny_tcp, harness=PARALLEL)
    assert result.variant.skill_md == rules.variant.skill_md


def test_provider_errors_are_reported_not_retried(digest: SkillSource) -> None:
    with ScriptedUpstream(Turn(error=500)) as up:
        value, report = call_structured(
            openai_llm(up), purpose="scr", system="s", user="u", output=LlmScrAnswer
        )
        assert len(up.requests) == 1
    assert value is None
    assert not report.ok
    assert "InternalServerError" in report.errors[0]


def test_anthropic_client_forces_the_tool(digest: SkillSource, tiny_tcp: TCP) -> None:
    turn = Turn(tool_calls=[ToolCall(name="submit_scr", arguments=SCR_ANSWER)])
    with ScriptedUpstream(turn) as up:
        llm = AnthropicJsonLlm(
            "claude-test-model", base_url=up.anthropic_base_url, api_key="k", max_retries=0
        )
        value, report = call_structured(
            llm, purpose="scr", system="sys", user="u", output=LlmScrAnswer
        )
        (request,) = up.requests
    assert value is not None
    assert report.ok
    assert request.endpoint == "messages"
    assert request.headers[INTERNAL_HEADER.lower()] == "1"
    assert request.body["tool_choice"] == {"type": "tool", "name": "submit_scr"}
    assert request.body["tools"][0]["input_schema"]["required"] == ["purposes"]
    assert request.body["system"] == "sys"


def test_compiler_model_setting_builds_the_client(
    digest: SkillSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedUpstream(default="{}") as up:
        monkeypatch.setenv("OPENAI_BASE_URL", up.openai_base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        result = compile_skill(digest, tcp=None, passes=[3], compiler_model="openai/gpt-4.1-mini")
        assert up.requests
        assert up.requests[0].body["model"] == "gpt-4.1-mini"
    assert result.variant.provenance.compiler_model == "openai/gpt-4.1-mini"
    with pytest.raises(LlmError, match="must be 'openai/<model>'"):
        split_model("gpt-4.1")
    bad = compile_skill(digest, tcp=None, passes=[2], compiler_model="mistral/large")
    assert bad.errors
    assert "compiler model unavailable" in bad.errors[0]
    assert isinstance(make_llm("anthropic/claude-x", api_key="k"), AnthropicJsonLlm)


def test_openai_client_adapts_to_reasoning_models() -> None:
    ErrorSpec = testing.ErrorSpec
    refuse_temperature = Turn(
        error=ErrorSpec(status=400, message="Unsupported value: 'temperature' does not support 0.")
    )
    refuse_max_tokens = Turn(
        error=ErrorSpec(
            status=400,
            message="Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.",
        )
    )
    answer = json.dumps(SCR_ANSWER)
    with ScriptedUpstream(refuse_temperature, refuse_max_tokens, answer, answer) as up:
        llm = openai_llm(up)
        first, report = call_structured(
            llm, purpose="scr", system="s", user="u", output=LlmScrAnswer
        )
        second, _ = call_structured(llm, purpose="scr", system="s", user="u", output=LlmScrAnswer)
        bodies = [r.body for r in up.requests]
    assert first is not None
    assert second is not None
    assert report.ok
    assert report.attempts == 1
    assert "temperature" in bodies[0]
    assert "temperature" not in bodies[1]
    assert "max_tokens" in bodies[1]
    assert bodies[2]["max_completion_tokens"] == 4096
    assert "temperature" not in bodies[3]
    assert "max_tokens" not in bodies[3]
