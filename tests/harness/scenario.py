"""One harness run through ``skvm-shim proxy`` against the scripted upstream.

The proxy starts with a store holding a variant of the project skill for the (model, harness)
under test; the CLI runs against the proxy; the scripted upstream answers with the turns given
(the model asking for the skill, then a final answer). With ``SKVM_RECORD=1`` a recording relay
sits between the CLI and the proxy and the run is written to its cassette.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.wire import format_for_path
from skvm_shim.proxy import ProxyServer
from skvm_shim.skills.model import Skill
from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import RecordedRequest, ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.harness.cassette_files import (
    NPM_PREFIX_PLACEHOLDER,
    PROXY_PLACEHOLDER,
    RUN_ROOT_PLACEHOLDER,
    cassette_path,
    write_cassette,
)
from tests.harness.clis import (
    DUMMY_KEY,
    Finished,
    Invocation,
    Workspace,
    base_env,
    install_skill,
    refused_port,
    run,
)
from tests.harness.npm_install import Installation
from tests.harness.recorder import RecordingRelay
from tests.harness.skill_variant import ANSWER, SKILL_SOURCE, variant_for

RECORD_ENV = "SKVM_RECORD"
SPAN_WAIT_S = 5.0

Build = Callable[[str, dict[str, str]], Invocation]
"""Builds a CLI invocation from the base URL to use and the isolated base environment."""


def recording() -> bool:
    return os.environ.get(RECORD_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Scenario:
    harness: str
    """The harness id the proxy must recognise, and the variant is stored under."""
    cli_package: str
    name: str
    """The cassette name (cassettes/harness_<harness>/<name>.yaml)."""
    model: str
    prompt: str
    turns: Callable[[Path], tuple[Turn, ...]]
    """The script, given the installed skill folder (a model names its SKILL.md by path).

    Tool-call turns stream their arguments in one delta (``stream_deltas=1``): a path split
    across deltas could not be normalised in a recorded cassette.
    """
    skills_root: Callable[[Workspace], Path]
    register_skill: bool = False
    """Register the skill with the proxy up front; otherwise it must learn it from traffic."""
    notes: str = ""


@dataclass
class Outcome:
    finished: Finished
    upstream: list[RecordedRequest]
    spans: list[ReadableSpan]
    skill: Skill
    skill_dir: Path
    variant_id: str
    cassette: Path | None = None

    @property
    def llm_requests(self) -> list[RecordedRequest]:
        return [r for r in self.upstream if format_for_path(r.path) is not None]

    @property
    def llm_spans(self) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name.startswith("chat ")]


def _start_proxy(
    stack: ExitStack, upstream: ScriptedUpstream, ws: Workspace, exporter: InMemorySpanExporter
) -> ProxyServer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return stack.enter_context(
        ProxyServer(
            upstream_openai=upstream.openai_base_url,
            upstream_anthropic=upstream.base_url,
            home=ws.skvm_home,
            tracer_provider=provider,
        )
    )


def _wait_for_spans(exporter: InMemorySpanExporter, count: int) -> list[ReadableSpan]:
    """Spans end when the proxy finishes a response, which can trail the CLI's exit a little."""
    deadline = time.monotonic() + SPAN_WAIT_S
    while True:
        spans = list(exporter.get_finished_spans())
        if sum(s.name.startswith("chat ") for s in spans) >= count:
            return spans
        if time.monotonic() > deadline:
            return spans
        time.sleep(0.05)


def run_scenario(
    scenario: Scenario,
    *,
    installation: Installation,
    upstream: ScriptedUpstream,
    tmp_path: Path,
    build: Build,
) -> Outcome:
    ws = Workspace.create(tmp_path)
    skill_dir = install_skill(SKILL_SOURCE, scenario.skills_root(ws))
    skill_md = (skill_dir / "SKILL.md").read_text(encoding="utf-8")
    skill = Skill.parse(skill_md)
    turns = scenario.turns(skill_dir)
    upstream.script(*turns)
    exporter = InMemorySpanExporter()
    with ExitStack() as stack:
        proxy = _start_proxy(stack, upstream, ws, exporter)
        if scenario.register_skill:
            proxy.runtime.add_skills([skill_dir])
        store = proxy.runtime.store
        assert store is not None, "the proxy opened no store"
        record = publish_variant(
            store,
            skill=skill,
            text=variant_for(skill),
            model=scenario.model,
            harness=scenario.harness,
            reason="harness e2e test",
        )
        base_url: str = proxy.base_url
        relay = None
        if recording():
            relay = stack.enter_context(RecordingRelay(base_url))
            base_url = relay.base_url
        dead_port = stack.enter_context(refused_port())
        env = base_env(ws, dead_port, installation.toolchain.node)
        finished = run(build(base_url, env))
        requests = upstream.requests
        llm_calls = sum(format_for_path(r.path) is not None for r in requests)
        spans = _wait_for_spans(exporter, llm_calls)
        outcome = Outcome(finished, requests, spans, skill, skill_dir, record.id)
        if relay is not None:
            outcome.cassette = _write(
                scenario, installation, ws, relay, skill_dir, skill_md, turns, finished
            )
    return outcome


def _write(
    scenario: Scenario,
    installation: Installation,
    ws: Workspace,
    relay: RecordingRelay,
    skill_dir: Path,
    skill_md: str,
    turns: tuple[Turn, ...],
    finished: Finished,
) -> Path:
    path = cassette_path(scenario.harness, scenario.name)
    meta = {
        "harness": scenario.harness,
        "scenario": scenario.name,
        "cli": scenario.cli_package,
        "cli_version": installation.versions[scenario.cli_package],
        "node": installation.toolchain.node_version,
        "recorded": datetime.date.today().isoformat(),
        "model": scenario.model,
        "prompt": scenario.prompt,
        "answer": ANSWER,
        "exit_code": finished.returncode,
        "register_skill": scenario.register_skill,
        "skill_dir": str(skill_dir),
        "turns": [t.model_dump(mode="json", exclude_defaults=True) for t in turns],
        "notes": scenario.notes,
        "skill_md": skill_md,
    }
    replacements = {
        str(ws.root): RUN_ROOT_PLACEHOLDER,
        # Claude Code names its per-project folder after the path with every other char a dash.
        _dashed(str(ws.root)): _dashed(RUN_ROOT_PLACEHOLDER),
        str(installation.prefix): NPM_PREFIX_PLACEHOLDER,
        # The Host header names the relay's random port.
        urlsplit(relay.base_url).netloc: urlsplit(PROXY_PLACEHOLDER).netloc,
    }
    write_cassette(
        path,
        relay.exchanges,
        meta=_scrub_meta(meta, replacements),
        replacements=replacements,
        secrets=[DUMMY_KEY],
        forbidden=[str(ws.root), ws.root.name, _dashed(ws.root.name), str(installation.prefix)],
    )
    return path


def _dashed(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "-", path)


def _scrub_meta(meta: dict[str, Any], replacements: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(meta)
    for old, new in replacements.items():
        text = text.replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])
    scrubbed: dict[str, Any] = json.loads(text)
    return scrubbed


def strings_in(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string value in a JSON document, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings_in(item, (*path, index))


def get_path(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value
