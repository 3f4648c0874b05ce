"""The session root span covers the session: open while it goes on, ended at its last call."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.ir import WireFormat
from skvm_shim.pipeline import Call, CallInfo, Pipeline
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store
from skvm_shim.telemetry.session_roots import SessionRoots
from skvm_shim.telemetry.spans import make_tracer

ROOT = Path(__file__).resolve().parents[2]
HOUR_NS = 3600 * 10**9
SYSTEM = {"role": "system", "content": "You are an agent."}
TASK = {"role": "user", "content": "Count the lines of data.csv"}
REPLY = (
    b'{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}'
)


def step(n: int) -> list[dict[str, Any]]:
    call = {"id": f"c{n}", "type": "function", "function": {"name": "bash", "arguments": "{}"}}
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"c{n}", "content": f"{n} rows"},
    ]


def chat(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"model": "m", "messages": [SYSTEM, TASK, *messages]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "store")
    yield s
    s.close()


class Env:
    def __init__(self, store: Store | None) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = make_tracer(provider, "test")
        self.pipeline = Pipeline(registry=SkillRegistry([]), store=store, tracer=self.tracer)

    def begin(self, body: dict[str, Any]) -> Call:
        return self.pipeline.begin(CallInfo(fmt=WireFormat.CHAT_COMPLETIONS, body=body))

    def call(self, body: dict[str, Any]) -> Call:
        call = self.begin(body)
        observer = call.observer(status=200, stream=False)
        observer.feed(REPLY)
        observer.finish()
        return call

    def spans(self, prefix: str) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if s.name.startswith(prefix)]


def _within(parent: ReadableSpan, child: ReadableSpan) -> bool:
    assert parent.start_time is not None
    assert parent.end_time is not None
    assert child.start_time is not None
    assert child.end_time is not None
    return parent.start_time <= child.start_time and child.end_time <= parent.end_time


def test_an_idle_session_ends_its_root_and_a_later_call_opens_a_linked_segment(
    store: Store,
) -> None:
    env = Env(store)
    env.call(chat())
    env.call(chat(*step(1)))
    assert not env.spans("invoke_agent")
    assert env.pipeline.roots.sweep() == 0  # not idle yet
    assert env.pipeline.roots.sweep(time.time_ns() + HOUR_NS) == 1
    (first,) = env.spans("invoke_agent")
    first_calls = env.spans("chat ")
    assert first.end_time == max(s.end_time for s in first_calls)
    assert all(_within(first, s) for s in first_calls)

    resumed_call = env.call(chat(*step(1), *step(2)))  # the session goes on after the pause
    env.pipeline.close()
    again, second = env.spans("invoke_agent")
    assert again.context.span_id == first.context.span_id
    assert resumed_call.session is not None
    assert second.context.trace_id == first.context.trace_id == int(resumed_call.session.id, 16)
    assert second.context.span_id != first.context.span_id
    assert second.attributes is not None
    assert second.attributes["skvm.session.resumed"] is True
    assert [link.context.span_id for link in second.links] == [first.context.span_id]
    assert second.start_time == first.end_time  # from the end of the call before the pause
    later = [
        s
        for s in env.spans("")
        if s.start_time >= second.start_time and not s.name.startswith("invoke_agent")
    ]
    assert {s.name for s in later} == {"chat m", "execute_tool bash"}
    for span in later:
        assert span.parent is not None
        assert span.parent.span_id == second.context.span_id
        assert _within(second, span)


def test_a_call_in_flight_keeps_the_root_open_until_it_ends() -> None:
    env = Env(None)
    call = env.begin(chat())
    roots = env.pipeline.roots
    assert roots.sweep(time.time_ns() + HOUR_NS // 12) == 0  # idle, but a call is in flight
    assert call.session is not None
    assert roots.is_open(call.session.id)
    observer = call.observer(status=200, stream=False)
    observer.feed(REPLY)
    observer.finish()
    assert roots.sweep(time.time_ns() + HOUR_NS // 12) == 1
    (root,) = env.spans("invoke_agent")
    (llm,) = env.spans("chat ")
    assert root.start_time == llm.start_time
    assert root.end_time == llm.end_time


def test_close_with_a_call_in_flight_ends_the_root_after_that_call_began() -> None:
    env = Env(None)
    call = env.begin(chat())
    env.pipeline.close()
    (root,) = env.spans("invoke_agent")
    assert root.end_time is not None
    assert root.end_time >= call.start_ns


def test_the_oldest_open_root_is_ended_when_too_many_are_open() -> None:
    env = Env(None)
    env.pipeline.roots = SessionRoots(env.tracer, max_open=2, sweep=False)
    ids = []
    for n in range(3):
        call = env.call({"model": "m", "messages": [SYSTEM, {"role": "user", "content": str(n)}]})
        assert call.session is not None
        ids.append(call.session.id)
    (ended,) = env.spans("invoke_agent")
    assert ended.context.trace_id == int(ids[0], 16)
    assert [env.pipeline.roots.is_open(i) for i in ids] == [False, True, True]


def test_the_background_sweep_ends_an_idle_session() -> None:
    env = Env(None)
    env.pipeline.roots = SessionRoots(env.tracer, idle_s=0.2)
    env.call(chat())
    deadline = time.monotonic() + 30
    while not env.spans("invoke_agent") and time.monotonic() < deadline:
        time.sleep(0.05)
    (root,) = env.spans("invoke_agent")
    (llm,) = env.spans("chat ")
    assert root.end_time == llm.end_time


CHILD = """
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
    from adapters.ir import WireFormat
    from skvm_shim.pipeline import CallInfo, Pipeline
    from skvm_shim.skills.registry import SkillRegistry
    from skvm_shim.telemetry.spans import make_tracer

    class Printer(SpanExporter):
        def export(self, spans):
            for s in spans:
                print(s.name, s.start_time, s.end_time, flush=True)
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Printer()))
    pipeline = Pipeline(registry=SkillRegistry([]), store=None, tracer=make_tracer(provider, "t"))
    call = pipeline.begin(CallInfo(fmt=WireFormat.CHAT_COMPLETIONS, body={"model": "m",
        "messages": [{"role": "user", "content": "hi"}]}))
    observer = call.observer(status=200, stream=False)
    observer.feed(REPLY)
    observer.finish()
    # exits without closing anything
"""


def test_the_root_is_ended_when_the_process_exits() -> None:
    code = textwrap.dedent(CHILD).replace("REPLY", repr(REPLY))
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    spans = {}
    for line in out.stdout.splitlines():
        name, start, end = line.rsplit(" ", 2)
        spans[name] = (int(start), int(end))
    assert set(spans) == {"chat m", "invoke_agent generic"}, out.stdout + out.stderr
    assert spans["invoke_agent generic"] == spans["chat m"]
