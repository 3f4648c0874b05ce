"""The real pi CLI through ``skvm-shim proxy``: pi executes the replayed tool calls itself.

pi (0.73.1, Chat Completions) lists the skill in its system prompt; the scripted model reads the
SKILL.md with pi's ``read`` tool, runs two commands with its ``bash`` tool and answers. After the
first session and three exact predictions the template is promoted; in the next run pi gets every
step from the proxy without the upstream being asked (its log proves it), runs the commands on
the new file itself and prints the replayed answer, exiting normally.
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.wire import format_for_path
from skvm_shim.jit import JitReplayer
from skvm_shim.jit.replayer import ATTR_REPLAYED
from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.harness import clis
from tests.harness.conftest import harness_clis  # noqa: F401 - the fixture, used by name
from tests.harness.npm_install import HARNESS_TEST_TIMEOUT_S, Installation
from tests.jit.conftest import templates
from tests.jit.scenario import SKILL_DIR, task, write_file

pytestmark = [pytest.mark.harness, pytest.mark.timeout(HARNESS_TEST_TIMEOUT_S)]

MODEL = "pi-jit-model"
NAMES = ("q1 sales.csv", "q2 sales.csv", "north region.csv", "south région.csv")
REPLAYED = "it's q5 $(touch PWNED).csv"


def _turns(skill_md: Path, name: str, lines: int) -> list[Turn]:
    quoted = '"' + name + '"'

    def call(tool: str, **arguments: str) -> Turn:
        return Turn(tool_calls=(ToolCall(name=tool, arguments=arguments),), stream_deltas=1)

    return [
        call("read", path=str(skill_md)),
        call("bash", command=f"head -n 2 {quoted}"),
        call("bash", command=f"wc -l < {quoted}"),
        Turn(text=f"The file {name} has {lines} lines."),
    ]


@pytest.fixture
def proxy_spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def _llm_calls(upstream: ScriptedUpstream) -> int:
    return sum(format_for_path(r.path) is not None for r in upstream.requests)


def _settle(exporter: InMemorySpanExporter, count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sum(s.name.startswith("chat ") for s in exporter.get_finished_spans()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"the proxy did not finish {count} calls")


def test_pi_runs_replayed_tool_calls_itself(
    harness_clis: Installation,  # noqa: F811 - the imported fixture
    upstream: ScriptedUpstream,
    tmp_path: Path,
    proxy_spans: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("SKVM_HOME", "SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_JIT", "SKVM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
    ws = clis.Workspace.create(tmp_path)
    skill_dir = clis.install_skill(SKILL_DIR, clis.pi_skills_root(ws))
    skill_md = skill_dir / "SKILL.md"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(proxy_spans))
    calls = 0
    with ExitStack() as stack:
        proxy = stack.enter_context(
            ProxyServer(
                upstream_openai=upstream.openai_base_url,
                upstream_anthropic=upstream.base_url,
                home=ws.skvm_home,
                tracer_provider=provider,
            )
        )
        dead_port = stack.enter_context(clis.refused_port())
        env = clis.base_env(ws, dead_port, harness_clis.toolchain.node)

        def run_pi(name: str) -> clis.Finished:
            nonlocal calls
            before = _llm_calls(upstream)
            finished = clis.run(
                clis.pi(
                    harness_clis,
                    ws,
                    env,
                    base_url=proxy.base_url,
                    api="openai-completions",
                    prompt=task(name),
                    model=MODEL,
                )
            )
            assert finished.returncode == 0, finished.describe()
            calls += 4
            _settle(proxy_spans, calls)
            run_pi.upstream_calls = _llm_calls(upstream) - before  # type: ignore[attr-defined]
            return finished

        for name in NAMES:
            write_file(ws.project, name, 12)
            upstream.script(*_turns(skill_md, name, 12))
            finished = run_pi(name)
            assert run_pi.upstream_calls == 4  # type: ignore[attr-defined]
            assert f"The file {name} has 12 lines." in finished.stdout
            assert not upstream.pending
        assert proxy.runtime.store is not None
        [record] = templates(proxy.runtime.store)
        assert record.harness == "pi"
        assert record.state == "promoted", record.events

        write_file(ws.project, REPLAYED, 3)
        finished = run_pi(REPLAYED)
        assert run_pi.upstream_calls == 0, "pi's replayed steps must not reach the upstream"  # type: ignore[attr-defined]
        assert f"The file {REPLAYED} has 3 lines." in finished.stdout, finished.describe()
        assert not (ws.project / "PWNED").exists()
        replayed = [
            s
            for s in proxy_spans.get_finished_spans()
            if s.name.startswith("chat ") and (s.attributes or {}).get(ATTR_REPLAYED)
        ]
        assert len(replayed) == 4
        replayer = proxy.runtime.replayer
        assert isinstance(replayer, JitReplayer)
        assert replayer.flush()
        [record] = templates(proxy.runtime.store)
        # pi ran the replayed read and both commands: their results came back and succeeded.
        assert (record.replays, record.replay_failures) == (4, 0)
    shutil.rmtree(ws.home, ignore_errors=True)
