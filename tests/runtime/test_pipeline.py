"""The pipeline on its own: sessions, variant choice, compile requests, tool spans, rewrites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from adapters.ir import WireFormat
from skvm_shim.pipeline import CallInfo, Pipeline
from skvm_shim.records import COMPILE_REQUESTS, VARIANT_SETS, CompileRequest, VariantSet
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store, join_key
from skvm_shim.telemetry.spans import make_tracer
from skvm_shim.variants import publish_variant
from tests.runtime.skillgen import CSV_STATS

SKILL = Skill.parse(CSV_STATS)
VARIANT = CSV_STATS.replace("# CSV statistics\n", "# CSV statistics\n\nCOMPILED-VARIANT\n")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store")
    yield s
    s.close()


class Env:
    def __init__(self, store: Store, harness: str | None = None) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.requested: list[CompileRequest] = []
        self.store = store
        self.pipeline = Pipeline(
            registry=SkillRegistry([SKILL]),
            store=store,
            tracer=make_tracer(provider, "test"),
            harness=harness,
            on_compile_request=self.requested.append,
        )

    def spans(self, prefix: str = "chat ") -> list[Any]:
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith(prefix)]

    def call(self, body: dict[str, Any], fmt: WireFormat = WireFormat.CHAT_COMPLETIONS) -> Any:
        call = self.pipeline.begin(CallInfo(fmt=fmt, body=body))
        observer = call.observer(status=200, stream=False)
        observer.feed(b'{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,')
        observer.feed(b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],')
        observer.feed(b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}')
        observer.finish()
        return call


def chat(*messages: dict[str, Any], model: str = "gpt-test") -> dict[str, Any]:
    return {"model": model, "messages": list(messages)}


SYSTEM = {"role": "system", "content": "Agent prompt.\n\n" + SKILL.body}
USER = {"role": "user", "content": "profile data.csv"}


def test_variant_rewrite_touches_only_the_skill_text(store: Store) -> None:
    env = Env(store)
    publish_variant(store, skill=SKILL, text=VARIANT, model="gpt-test", harness="generic")
    body = chat(SYSTEM, USER)
    call = env.call(body)
    assert call.body is not body
    assert body["messages"][0]["content"] == SYSTEM["content"]  # the caller's dict is untouched
    assert call.body["messages"][0]["content"].startswith("Agent prompt.\n\n# CSV statistics")
    assert "COMPILED-VARIANT" in call.body["messages"][0]["content"]
    assert call.body["messages"][1] is body["messages"][1]
    assert call.bytes_saved == -len(b"\nCOMPILED-VARIANT\n")
    (span,) = env.spans()
    assert span.attributes["skvm.rewritten"] is True
    assert span.attributes["gen_ai.usage.input_tokens"] == 3


def test_model_spellings_share_a_variant(store: Store) -> None:
    env = Env(store)
    publish_variant(
        store, skill=SKILL, text=VARIANT, model="openrouter/qwen/Qwen3-8B", harness="generic"
    )
    call = env.call(chat(SYSTEM, USER, model="qwen3-8b"))
    assert "COMPILED-VARIANT" in call.body["messages"][0]["content"]


def test_exact_harness_variant_wins_over_generic(store: Store) -> None:
    env = Env(store, harness="pi")
    publish_variant(store, skill=SKILL, text=VARIANT, model="gpt-test", harness="generic")
    pi_text = VARIANT.replace("COMPILED-VARIANT", "PI-VARIANT")
    publish_variant(store, skill=SKILL, text=pi_text, model="gpt-test", harness="pi")
    call = env.call(chat(SYSTEM, USER))
    assert "PI-VARIANT" in call.body["messages"][0]["content"]


def test_missing_variant_requests_a_compile_once(store: Store) -> None:
    env = Env(store)
    first = env.call(chat(SYSTEM, USER))
    env.call(
        chat(
            SYSTEM,
            USER,
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "more"},
        )
    )
    assert first.body["messages"][0]["content"] == SYSTEM["content"]
    assert [(r.skill_hash, r.model, r.harness) for r in env.requested] == [
        (SKILL.hash, "gpt-test", "generic")
    ]
    store.flush()
    stored = store.get(COMPILE_REQUESTS, join_key(SKILL.hash, "gpt-test", "generic"))
    assert stored is not None
    assert stored.skill_name == "csv-stats"


def test_a_session_keeps_its_variant_when_a_new_one_is_published(store: Store) -> None:
    env = Env(store)
    publish_variant(store, skill=SKILL, text=VARIANT, model="gpt-test", harness="generic")
    env.call(chat(SYSTEM, USER))
    publish_variant(
        store,
        skill=SKILL,
        text=VARIANT.replace("COMPILED", "NEWER"),
        model="gpt-test",
        harness="generic",
    )
    later = env.call(
        chat(
            SYSTEM,
            USER,
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "next"},
        )
    )
    assert "COMPILED-VARIANT" in later.body["messages"][0]["content"]
    fresh = env.call(chat(SYSTEM, {"role": "user", "content": "another task entirely"}))
    assert "NEWER-VARIANT" in fresh.body["messages"][0]["content"]


def test_holdout_sessions_get_the_original(store: Store) -> None:
    env = Env(store)
    publish_variant(store, skill=SKILL, text=VARIANT, model="gpt-test", harness="generic")
    key = join_key(SKILL.hash, "gpt-test", "generic")
    current = store.get(VARIANT_SETS, key)
    assert current is not None
    store.put(VARIANT_SETS, key, VariantSet(current=current.current, holdout_share=1.0))
    call = env.call(chat(SYSTEM, USER))
    assert call.body["messages"][0]["content"] == SYSTEM["content"]
    assert call.variant_ids == ("original",)


def test_one_session_is_one_trace_with_tool_spans(store: Store) -> None:
    env = Env(store)
    tool_call = {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    env.call(chat(SYSTEM, USER))
    env.call(
        chat(
            SYSTEM,
            USER,
            {"role": "assistant", "content": None, "tool_calls": [tool_call]},
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": "Traceback (most recent call last):\n  boom",
            },
        )
    )
    ok_call = {**tool_call, "id": "c2"}
    env.call(
        chat(
            SYSTEM,
            USER,
            {"role": "assistant", "content": None, "tool_calls": [tool_call]},
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": "Traceback (most recent call last):\n  boom",
            },
            {"role": "assistant", "content": None, "tool_calls": [ok_call]},
            {"role": "tool", "tool_call_id": "c2", "content": "42 rows"},
        )
    )
    assert not env.spans("invoke_agent")  # open while the session goes on
    env.pipeline.close()
    (root,) = env.spans("invoke_agent")
    llm = env.spans()
    tools = env.spans("execute_tool")
    assert len(llm) == 3
    # The root covers the session: from its first call's start to its last call's end.
    assert root.start_time == min(s.start_time for s in (*llm, *tools))
    assert root.end_time == max(s.end_time for s in (*llm, *tools))
    assert [t.attributes["skvm.tool.outcome"] for t in tools] == ["failure", "success"]
    assert tools[0].status.status_code is StatusCode.ERROR
    assert tools[1].status.status_code is StatusCode.UNSET
    trace_ids = {s.context.trace_id for s in (root, *llm, *tools)}
    assert len(trace_ids) == 1
    conversation = llm[0].attributes["gen_ai.conversation.id"]
    assert trace_ids == {int(conversation, 16)}
    assert all(
        s.parent is not None and s.parent.span_id == root.context.span_id for s in (*llm, *tools)
    )


def test_same_opening_run_again_is_a_new_session(store: Store) -> None:
    env = Env(store)
    env.call(
        chat(SYSTEM, USER, {"role": "assistant", "content": "a"}, {"role": "user", "content": "b"})
    )
    env.call(chat(SYSTEM, USER))  # the same task started over: fewer messages than seen
    first, second = (s.attributes["gen_ai.conversation.id"] for s in env.spans())
    assert first != second
    assert first[:24] == second[:24]


def test_anthropic_cache_control_and_tool_results_stay_in_place(store: Store) -> None:
    env = Env(store)
    publish_variant(store, skill=SKILL, text=VARIANT, model="claude-test", harness="generic")
    body: dict[str, Any] = {
        "model": "claude-test",
        "max_tokens": 100,
        "system": [
            {"type": "text", "text": "Billing header"},
            {"type": "text", "text": "Prompt", "cache_control": {"type": "ephemeral"}},
        ],
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "Skill",
                        "input": {"skill": "csv-stats"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "t1",
                        "content": "Launching skill: csv-stats",
                    },
                    {
                        "type": "text",
                        "text": "Base directory for this skill: /x\n\n" + SKILL.body,
                        "cache_control": {"type": "ephemeral"},
                    },
                ],
            },
        ],
    }
    call = env.pipeline.begin(CallInfo(fmt=WireFormat.ANTHROPIC_MESSAGES, body=body))
    out = call.body
    assert out["system"] == body["system"]
    blocks = out["messages"][2]["content"]
    assert blocks[0] == body["messages"][2]["content"][0]
    assert blocks[1]["cache_control"] == {"type": "ephemeral"}
    assert blocks[1]["text"].startswith(
        "Base directory for this skill: /x\n\n# CSV statistics\n\nCOMPILED"
    )
    assert list(blocks[1]) == ["type", "text", "cache_control"]


def test_claude_code_numbered_read_is_rewritten_with_its_numbering(store: Store) -> None:
    env = Env(store)
    publish_variant(store, skill=SKILL, text=VARIANT, model="gpt-test", harness="generic")
    lines = (CSV_STATS).split("\n")
    numbered = "\n".join(f"{i + 1}\t{line}" for i, line in enumerate(lines))
    read = {"id": "r1", "type": "function", "function": {"name": "Read", "arguments": "{}"}}
    call = env.call(
        chat(
            USER,
            {"role": "assistant", "content": None, "tool_calls": [read]},
            {"role": "tool", "tool_call_id": "r1", "content": numbered},
        )
    )
    out = call.body["messages"][2]["content"]
    expected_lines = VARIANT.split("\n")
    assert out == "\n".join(f"{i + 1}\t{line}" for i, line in enumerate(expected_lines))


def test_a_read_tool_returning_error_text_is_not_a_failed_tool(store: Store) -> None:
    env = Env(store)
    read = {"id": "r1", "type": "function", "function": {"name": "read", "arguments": "{}"}}
    bash = {"id": "b1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    file_text = "# Troubleshooting\n\nError: the log says this when the disk is full.\n"
    env.call(chat(USER))
    env.call(
        chat(
            USER,
            {"role": "assistant", "content": None, "tool_calls": [read, bash]},
            {"role": "tool", "tool_call_id": "r1", "content": file_text},
            {"role": "tool", "tool_call_id": "b1", "content": file_text},
        )
    )
    outcomes = {
        s.attributes["gen_ai.tool.name"]: s.attributes["skvm.tool.outcome"]
        for s in env.spans("execute_tool")
    }
    assert outcomes == {"read": "success", "bash": "failure"}


def test_a_failed_read_is_a_failed_tool_in_chat_completions(store: Store) -> None:
    """pi's read of a missing file: no error flag on the wire, the text says it."""
    env = Env(store, harness="pi")
    read = {"id": "r1", "type": "function", "function": {"name": "read", "arguments": "{}"}}
    bash = {"id": "b1", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    env.call(chat(USER))
    env.call(
        chat(
            USER,
            {"role": "assistant", "content": None, "tool_calls": [read, bash]},
            {
                "role": "tool",
                "tool_call_id": "r1",
                "content": "ENOENT: no such file or directory, access '/w/data_7.csv'",
            },
            # pi adds nothing to the output of a command that exited 0
            {"role": "tool", "tool_call_id": "b1", "content": "Error: only text\n"},
        )
    )
    spans = {s.attributes["gen_ai.tool.name"]: s for s in env.spans("execute_tool")}
    assert spans["read"].attributes["skvm.tool.outcome"] == "failure"
    assert spans["read"].attributes["skvm.tool.outcome_reason"] == "harness error form"
    assert spans["read"].status.status_code is StatusCode.ERROR
    assert spans["bash"].attributes["skvm.tool.outcome"] == "success"
