"""Sessions that share an opening: one conversation is one session (one trace), no more, no less."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.ir import Request, WireFormat
from adapters.wire import codec_for
from skvm_shim import sessions as sessions_module
from skvm_shim.pipeline import CallInfo, Pipeline
from skvm_shim.records import SESSIONS
from skvm_shim.sessions import SessionTracker
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store
from skvm_shim.telemetry.spans import make_tracer

SYSTEM = {"role": "system", "content": "You are an agent. " + "Long prompt. " * 3000}
TASK = {"role": "user", "content": "Count the lines of data.csv"}


def turn(call_id: str, command: str) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": "bash", "arguments": f'{{"command": "{command}"}}'},
            }
        ],
    }


def result(call_id: str, text: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "m", "messages": [SYSTEM, TASK, *messages]}


def parse(body: dict[str, Any]) -> Request:
    return codec_for(WireFormat.CHAT_COMPLETIONS).parse_request(body)


# Two runs of the same task: same opening, then each its own calls (model-generated ids).
A = [turn("call_a1", "wc -l data.csv"), result("call_a1", "12 data.csv")]
A += [turn("call_a2", "head -n 2 data.csv"), result("call_a2", "x,y\n1,2")]
B = [turn("call_b1", "wc -l data.csv"), result("call_b1", "12 data.csv")]
B += [turn("call_b2", "cat data.csv"), result("call_b2", "x,y\n1,2\n3,4")]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store")
    yield s
    s.close()


class Tracker:
    """The tracker as the pipeline drives it: resolve, then remember what the request carried."""

    def __init__(self, store: Store | None) -> None:
        self.tracker = SessionTracker(store)

    def call(self, body: dict[str, Any]) -> tuple[str, bool]:
        request = parse(body)
        record, is_new = self.tracker.resolve(request, "generic")
        self.tracker.seen(record, request)
        return record.id, is_new


def test_interleaved_conversations_sharing_an_opening_part_once_they_diverge() -> None:
    t = Tracker(None)
    a0, new_a = t.call(chat())
    b0, new_b = t.call(chat())  # the same first request: nothing tells them apart yet
    assert (new_a, new_b, a0) == (True, False, b0)
    a1, _ = t.call(chat(*A[:2]))
    b1, new = t.call(chat(*B[:2]))  # B's first call differs from A's: B is another conversation
    assert a1 == a0
    assert new
    assert b1 != a1
    assert b1[:24] == a1[:24]  # the same opening, the next generation
    for _ in range(2):  # interleaved, each keeps its own id (a retry sends the same again)
        assert t.call(chat(*A)) == (a1, False)
        assert t.call(chat(*B)) == (b1, False)
        assert t.call(chat(*B[:3])) != (b1, False)  # fewer messages than B had: a rerun


def test_same_length_different_last_message_is_another_conversation() -> None:
    t = Tracker(None)
    first, _ = t.call(chat(*A[:2]))
    other, new = t.call(chat(A[0], result("call_a1", "13 data.csv")))
    assert new
    assert other != first
    assert t.call(chat(*A[:2])) == (first, False)


def test_a_genuine_continuation_keeps_its_id_over_a_long_conversation() -> None:
    t = Tracker(None)
    messages: list[dict[str, Any]] = []
    ids = {t.call(chat())[0]}
    for n in range(60):
        messages += [turn(f"call_{n}", f"echo {n}"), result(f"call_{n}", str(n))]
        ids.add(t.call(chat(*messages))[0])
        ids.add(t.call(chat(*messages))[0])  # the harness retried the call
    assert len(ids) == 1


def test_a_diverged_conversation_keeps_the_variants_its_shared_start_was_served() -> None:
    t = Tracker(None)
    request = parse(chat())
    record, _ = t.tracker.resolve(request, "generic")
    record.pinned["skill-hash"] = "variant-1"
    t.tracker.seen(record, request)
    t.call(chat(*A[:2]))
    diverged_request = parse(chat(*B[:2]))
    diverged, _ = t.tracker.resolve(diverged_request, "generic")
    t.tracker.seen(diverged, diverged_request)
    assert diverged.id != record.id
    assert diverged.pinned == {"skill-hash": "variant-1"}
    rerun, is_new = t.tracker.resolve(parse(chat()), "generic")  # fewer messages: starts fresh
    assert is_new
    assert rerun.pinned == {}


def test_generations_are_never_reused_beyond_the_remembered_branches(store: Store) -> None:
    t = Tracker(store)
    ids = []
    for n in range(sessions_module._MAX_BRANCHES + 5):
        ids.append(t.call(chat(turn(f"c{n}", "ls"), result(f"c{n}", str(n))))[0])
    assert len(set(ids)) == len(ids)
    store.flush()
    again = Tracker(store)  # a new tracker on the same store: the counter was persisted
    later, new = again.call(chat(turn("c_new", "ls"), result("c_new", "x")))
    assert new
    assert later not in ids


def test_work_per_call_does_not_grow_with_the_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per call: one digest of the anchor message and one of the last message, at any length."""
    digested: list[int] = []
    real = sessions_module.message_digest

    def counting(message: Any) -> str:
        digested.append(1)
        return real(message)

    monkeypatch.setattr(sessions_module, "message_digest", counting)
    t = Tracker(None)
    messages: list[dict[str, Any]] = []
    t.call(chat())
    per_call = []
    for n in range(200):
        messages += [turn(f"call_{n}", f"echo {n}"), result(f"call_{n}", str(n))]
        digested.clear()
        t.call(chat(*messages))
        per_call.append(len(digested))
    assert set(per_call) == {2}


# -- through the pipeline: spans and traces, and a restart ----------------------------------


class Env:
    def __init__(self, store: Store) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.pipeline = Pipeline(
            registry=SkillRegistry([]), store=store, tracer=make_tracer(provider, "test")
        )

    def call(self, body: dict[str, Any]) -> str:
        call = self.pipeline.begin(CallInfo(fmt=WireFormat.CHAT_COMPLETIONS, body=body))
        observer = call.observer(status=200, stream=False)
        observer.feed(b'{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,')
        observer.feed(b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}')
        observer.finish()
        assert call.session is not None
        return call.session.id

    def traces(self, name: str) -> dict[str, set[str]]:
        """Trace id (hex) -> the call ids of the ``execute_tool`` spans in it."""
        out: dict[str, set[str]] = {}
        for span in self.exporter.get_finished_spans():
            if span.name.startswith(name):
                assert span.context is not None
                call_id = str((span.attributes or {}).get("gen_ai.tool.call.id", ""))
                out.setdefault(f"{span.context.trace_id:032x}", set()).add(call_id)
        return out


def test_interleaved_conversations_get_their_own_traces(store: Store) -> None:
    env = Env(store)
    first_a = env.call(chat())
    env.call(chat(*A[:2]))
    b = env.call(chat(*B[:2]))
    a = env.call(chat(*A))
    b_again = env.call(chat(*B))
    assert a == first_a
    assert b == b_again != a
    tools = env.traces("execute_tool")
    assert tools == {a: {"call_a1", "call_a2"}, b: {"call_b1", "call_b2"}}
    assert not env.traces("invoke_agent")  # the roots stay open while their sessions go on
    env.pipeline.close()
    roots = env.traces("invoke_agent")
    assert set(roots) == {a, b}


def test_a_restart_keeps_recognising_a_continuation(tmp_path: Path) -> None:
    path = tmp_path / "store"
    first = Store.open(path)
    env = Env(first)
    a = env.call(chat(*A[:2]))
    b = env.call(chat(*B[:2]))
    env.pipeline.close()  # what the exit of the first process does
    first_roots = {
        f"{s.context.trace_id:032x}": s.context.span_id
        for s in env.exporter.get_finished_spans()
        if s.name.startswith("invoke_agent")
    }
    assert set(first_roots) == {a, b}
    first.close()

    second = Store.open(path)
    try:
        assert second.get(SESSIONS, sessions_module.session_key(parse(chat()))) is not None
        restarted = Env(second)
        assert restarted.call(chat(*A)) == a
        assert restarted.call(chat(*B)) == b
        other = restarted.call(chat(A[0], result("call_a1", "changed")))
        assert other not in (a, b)
        restarted.pipeline.close()
        # The same traces go on, each under a new root segment linked to the first one.
        resumed = [
            s
            for s in restarted.exporter.get_finished_spans()
            if s.name.startswith("invoke_agent") and s.attributes.get("skvm.session.resumed")
        ]
        assert {f"{s.context.trace_id:032x}" for s in resumed} == {a, b}
        for span in resumed:
            trace_id = f"{span.context.trace_id:032x}"
            assert [link.context.span_id for link in span.links] == [first_roots[trace_id]]
    finally:
        second.close()
