"""Agent sessions through the shim, exported by OTLP/HTTP to a real Jaeger, read back by its API.

A real harness loop (examples/agent_loop.py on the openai SDK) runs against the scripted upstream:
in patch mode with the standard ``OTEL_*`` variables, and through the proxy with the endpoint
``--otlp-endpoint``/``--jaeger`` pass. Jaeger's query API (v3) must then show one trace per
session: the ``invoke_agent`` root covering the whole session, the LLM calls and the tool
executions as its children, with the GenAI and ``skvm.*`` attributes and failed tools in error.
"""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import skvm_shim
from skvm_shim.config import Settings
from skvm_shim.proxy.server import ProxyServer
from skvm_shim.runtime import Runtime
from skvm_shim.skills.model import Skill
from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.jaeger.server import Jaeger, Span

openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")

pytestmark = pytest.mark.jaeger

ROOT = Path(__file__).resolve().parents[2]
SKILLS = ROOT / "examples" / "skills"
SKILL = Skill.parse((SKILLS / "csv-stats" / "SKILL.md").read_text(encoding="utf-8"))
VARIANT_MARK = "SKVM-VARIANT-MARK: compiled for the scripted model."
VARIANT_TEXT = SKILL.text.replace("# CSV statistics\n", f"# CSV statistics\n\n{VARIANT_MARK}\n")
MODEL = "scripted-model"
DATA = "city,temp\nOslo,4.5\nLima,19.0\n"
TOOL_SLEEP_S = 0.3


def _agent_loop() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "agent_loop_for_jaeger", ROOT / "examples" / "agent_loop.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


agent_loop = _agent_loop()


def _tool(name: str, **arguments: Any) -> Turn:
    return Turn(tool_calls=(ToolCall(name=name, arguments=arguments),), delay_ms=20)


# A session with a failing tool, a slow tool (the root must outlast it), then an answer.
PROFILE_TASK = "Profile data.csv"
PROFILE = [
    _tool("read_file", path="data.csv"),
    _tool("read_file", path="missing.csv"),
    _tool("run_command", command=f"sleep {TOOL_SLEEP_S}; wc -l data.csv"),
    Turn(text="data.csv has 2 rows: Oslo 4.5, Lima 19.0."),
]
COUNT_TASK = "Count the rows of data.csv"
COUNT = [_tool("run_command", command="wc -l data.csv"), Turn(text="2 rows.")]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.csv").write_text(DATA, encoding="utf-8")
    return work


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> str:
    """A service name of this test's own, so its traces are found apart from any other test's."""
    name = f"skvm-jaeger-{uuid.uuid4().hex[:8]}"
    for key in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OTEL_SERVICE_NAME", name)
    return name


@pytest.fixture
def since() -> datetime:
    return datetime.now(UTC)


def _run(client: Any, task: str, workdir: Path) -> str:
    answer: str = agent_loop.run_agent(
        client,
        model=MODEL,
        task=task,
        skills_dir=SKILLS,
        workdir=workdir,
        load=["csv-stats"],
        echo=lambda _line: None,
    )
    return answer


def _tree(spans: list[Span]) -> tuple[Span, list[Span], list[Span]]:
    """(root, LLM-call spans, tool spans) of one trace, checking the links between them."""
    roots = [s for s in spans if not s.parent_span_id]
    assert [r.name for r in roots] == ["invoke_agent generic"], [
        (s.name, s.parent_span_id) for s in spans
    ]
    (root,) = roots
    chats = sorted((s for s in spans if s.name.startswith("chat ")), key=lambda s: s.start_ns)
    tools = sorted(
        (s for s in spans if s.name.startswith("execute_tool ")), key=lambda s: s.start_ns
    )
    assert len(chats) + len(tools) + 1 == len(spans), sorted(s.name for s in spans)
    for child in (*chats, *tools):
        assert child.trace_id == root.trace_id
        assert child.parent_span_id == root.span_id, child.name
    return root, chats, tools


def _covers(root: Span, spans: list[Span]) -> None:
    """The root span covers the session: it starts first and ends last."""
    children = [s for s in spans if s.span_id != root.span_id]
    assert root.start_ns <= min(s.start_ns for s in children)
    assert root.end_ns >= max(s.end_ns for s in children)


def test_patched_sessions_are_traces_in_jaeger(
    jaeger: Jaeger,
    upstream: ScriptedUpstream,
    workdir: Path,
    tmp_path: Path,
    service: str,
    since: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", jaeger.otlp_endpoint)
    upstream.script(*PROFILE, *COUNT)
    shim = skvm_shim.patch(skills=[SKILLS], home=tmp_path / "skvm-home")
    try:
        assert shim.owns_provider  # the shim's own provider, exporting by OTLP/HTTP
        assert shim.store is not None
        variant = publish_variant(
            shim.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic"
        )
        client = openai.OpenAI(
            base_url=upstream.openai_base_url, api_key="sk-jaeger-test", max_retries=0
        )
        assert _run(client, PROFILE_TASK, workdir).startswith("data.csv has 2 rows")
        assert _run(client, COUNT_TASK, workdir) == "2 rows."
    finally:
        skvm_shim.unpatch()  # ends the open session roots, then flushes the exporter
    assert all(VARIANT_MARK in r.body["messages"][0]["content"] for r in upstream.requests)

    traces = jaeger.wait_for(service, since=since, traces=2, spans=8 + 4)
    assert len(traces) == 2  # one trace per agent session, nothing else
    by_task: dict[int, tuple[Span, list[Span], list[Span]]] = {}
    for trace_id, spans in traces.items():
        assert {s.span_id for s in jaeger.trace(trace_id)} == {s.span_id for s in spans}
        root, chats, tools = _tree(spans)
        _covers(root, spans)
        assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
        assert root.attributes["gen_ai.conversation.id"] == trace_id
        for chat in chats:
            attributes = chat.attributes
            assert chat.name == f"chat {MODEL}"
            assert attributes["gen_ai.operation.name"] == "chat"
            assert attributes["gen_ai.request.model"] == MODEL
            assert attributes["gen_ai.provider.name"] == "openai"
            assert attributes["gen_ai.conversation.id"] == trace_id  # trace id = session id
            assert attributes["gen_ai.usage.input_tokens"] > 0
            assert attributes["gen_ai.usage.output_tokens"] > 0
            assert attributes["skvm.mode"] == "patch"
            assert attributes["skvm.skills.detected"] == [f"csv-stats@{SKILL.hash[:12]}"]
            assert attributes["skvm.variant.ids"] == [variant.id]
            assert attributes["skvm.rewritten"] is True
        by_task[len(chats)] = (root, chats, tools)
    assert sorted(by_task) == [2, 4]

    root, chats, tools = by_task[4]
    assert [t.name for t in tools] == [
        "execute_tool read_file",
        "execute_tool read_file",
        "execute_tool run_command",
    ]
    ok, missing, slow = tools
    assert missing.status == "error"
    assert missing.attributes["error.type"] == "tool_error"
    assert missing.attributes["skvm.tool.outcome"] == "failure"
    assert ok.status != "error"
    assert ok.attributes["skvm.tool.outcome"] == "success"
    assert slow.status != "error"
    assert slow.end_ns - slow.start_ns >= TOOL_SLEEP_S * 1e9
    # Each tool ran between the LLM call that asked for it and the next one.
    for before, tool, after in zip(chats[:-1], tools, chats[1:], strict=True):
        assert before.end_ns <= tool.start_ns <= tool.end_ns <= after.start_ns
    assert root.end_ns - root.start_ns >= TOOL_SLEEP_S * 1e9  # not a zero-length root
    assert chats[-1].attributes["gen_ai.response.finish_reasons"] == ["stop"]


def test_a_session_through_the_proxy_is_one_trace_in_jaeger(
    jaeger: Jaeger,
    upstream: ScriptedUpstream,
    workdir: Path,
    service: str,
    since: datetime,
    tmp_path: Path,
) -> None:
    # The runtime as `skvm-shim proxy --otlp-endpoint URL` (or `--jaeger`) builds it.
    settings = Settings.from_env().model_copy(update={"home": tmp_path / "skvm-home"})
    runtime = Runtime(settings, skills=[SKILLS], otlp_endpoint=jaeger.otlp_endpoint)
    try:
        assert runtime.owns_provider
        upstream.script(*PROFILE)
        with ProxyServer(
            upstream_openai=upstream.openai_base_url,
            upstream_anthropic=upstream.base_url,
            runtime=runtime,
        ) as proxy:
            client = openai.OpenAI(
                base_url=proxy.openai_base_url, api_key="sk-jaeger-test", max_retries=0
            )
            assert _run(client, PROFILE_TASK, workdir).startswith("data.csv has 2 rows")
    finally:
        runtime.close()  # as when the proxy stops: the root ends, the exporter flushes

    traces = jaeger.wait_for(service, since=since, traces=1, spans=8)
    ((trace_id, spans),) = traces.items()
    root, chats, tools = _tree(spans)
    _covers(root, spans)
    assert len(chats) == 4
    assert [t.status for t in tools] == ["unset", "error", "unset"]
    assert {c.attributes["skvm.mode"] for c in chats} == {"proxy"}
    assert {c.attributes["gen_ai.conversation.id"] for c in chats} == {trace_id}
    assert root.attributes["gen_ai.conversation.id"] == trace_id
