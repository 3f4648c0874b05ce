"""End to end: a patched client's first call compiles in the background; a new session gets it.

The real openai SDK client talks to the scripted upstream over HTTP; the shim runs in patch mode
(and once in proxy mode) with the worker it starts itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import skvm_shim
from compiler import TCP, Dependency, PresenceCache, run_guard
from skvm_shim.compilation.worker import EVENT_UNDER
from skvm_shim.config import Settings
from skvm_shim.env_note import EnvNotes
from skvm_shim.parallel_calls import ATTRIBUTE
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.records import COMPILE_REQUESTS, EVENTS, VARIANT_SETS, VARIANTS
from skvm_shim.runtime import Runtime
from skvm_shim.shim import Shim
from skvm_shim.skills.model import split_variant
from skvm_shim.skills.registry import load_skill_file
from skvm_shim.store import Store, join_key, key_prefix
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.wiring.helpers import REGION_DIGEST, WEAK_LEVELS, profile_dict

openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")

SKILL = load_skill_file(REGION_DIGEST)
SYSTEM = "You are a careful agent with one skill loaded:\n\n" + SKILL.body
MODEL = "acme/small-9b"  # the profile was measured as openrouter/acme/small-9b
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        },
    }
]


def _present(dep: Dependency) -> bool:
    return dep.name != "pdftotext"


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def shim(home: Path, spans: InMemorySpanExporter) -> Iterator[Shim]:
    with Store.open(home / "store") as store:
        weak = TCP.model_validate(profile_dict(WEAK_LEVELS, model="openrouter/" + MODEL))
        ProfileStore(store).import_tcp(weak, source="test")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    handle = skvm_shim.patch(
        skills=[REGION_DIGEST], home=home, harness="bare-agent", tracer_provider=provider
    )
    handle.pipeline.env_notes = EnvNotes(PresenceCache(_present))
    try:
        yield handle
    finally:
        skvm_shim.unpatch()


def _chat(client: Any, upstream: ScriptedUpstream, messages: list[dict[str, Any]]) -> Any:
    upstream.script("ok")
    client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    return upstream.last_request.body


def _system(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    assert isinstance(content, str)
    return content


def test_first_call_compiles_and_a_new_session_gets_the_variant(
    shim: Shim, upstream: ScriptedUpstream, spans: InMemorySpanExporter
) -> None:
    assert shim.store is not None
    assert shim.compile_worker is not None
    client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)
    first = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "week 1"}]

    sent = _chat(client, upstream, first)
    assert _system(sent) == SYSTEM  # nothing compiled yet: the original goes out
    assert "parallel_tool_calls" not in sent
    assert shim.store.get(COMPILE_REQUESTS, join_key(SKILL.hash, "small-9b", "bare-agent"))
    assert shim.compile_worker.drain(30)

    vs = shim.store.get(VARIANT_SETS, join_key(SKILL.hash, "small-9b", "bare-agent"))
    assert vs is not None
    assert vs.current is not None
    record = shim.store.get(VARIANTS, vs.current)
    assert record is not None
    assert record.provenance["profile_match"] == "exact"
    assert record.provenance["origin"] == "worker"
    assert run_guard(SKILL.text, record.text).passed
    events = [e.data for _, e in shim.store.scan(EVENTS, key_prefix(EVENT_UNDER))]
    assert [e["outcome"] for e in events] == ["published"]
    assert events[0]["variant_id"] == record.id

    # The same session keeps what it started with (its history stays byte-stable).
    later = [*first, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
    assert _system(_chat(client, upstream, later)) == SYSTEM

    # A new session gets the compiled variant, its environment note, and parallel tool calls.
    fresh = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "week 2"}]
    sent = _chat(client, upstream, fresh)
    script = Path(record.provenance["env_setup"])
    assert script.is_file()
    note = (
        "Environment on this machine: present: python3, pandas; missing: pdftotext "
        f"(run `bash {script}` to install them)."
    )
    body = split_variant(record.text)[1]
    assert (
        _system(sent) == "You are a careful agent with one skill loaded:\n\n" + body + "\n\n" + note
    )
    assert body != SKILL.body
    assert any(e.text.strip() in body for e in _edits(record.provenance))
    assert sent["parallel_tool_calls"] is True
    last = [s for s in spans.get_finished_spans() if s.name.startswith("chat ")][-1]
    assert last.attributes is not None
    assert last.attributes[ATTRIBUTE] == "requested"
    assert last.attributes["skvm.rewritten"] is True
    assert "Environment on this machine" not in record.text  # the note is never stored


def _edits(provenance: dict[str, Any]) -> list[Any]:
    from compiler.edits import Edit

    edits = [Edit.model_validate(e) for e in provenance["edits"]]
    assert edits
    return edits


def test_compile_off_leaves_requests_unserved(
    home: Path, upstream: ScriptedUpstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKVM_COMPILE", "off")
    handle = skvm_shim.patch(skills=[REGION_DIGEST], home=home)
    try:
        assert handle.compile_worker is None
        assert handle.store is not None
        client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="k", max_retries=0)
        first = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}]
        _chat(client, upstream, first)
        key = join_key(SKILL.hash, "small-9b", "generic")
        assert handle.store.get(COMPILE_REQUESTS, key) is not None
        assert handle.store.get(VARIANT_SETS, key) is None
    finally:
        skvm_shim.unpatch()


def test_bad_compile_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="SKVM_COMPILE"):
        Settings.from_env({"SKVM_COMPILE": "maybe"})
    assert not Settings.from_env({"SKVM_COMPILE": "off"}).compile
    assert Settings.from_env({}).compile


def test_proxy_mode_runtime_compiles_too(home: Path, upstream: ScriptedUpstream) -> None:
    """The proxy builds a Runtime: the same worker serves its compile requests."""
    from skvm_shim.proxy import ProxyServer

    with Store.open(home / "store") as store:
        weak = TCP.model_validate(profile_dict(WEAK_LEVELS, model="openrouter/" + MODEL))
        ProfileStore(store).import_tcp(weak, source="test")
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=home,
        skills=[REGION_DIGEST],
    ) as server:
        worker = server.runtime.compile_worker
        assert worker is not None
        assert worker.alive
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="k", max_retries=0)
        first = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "p1"}]
        _chat(client, upstream, first)
        assert worker.drain(30)
        store = server.runtime.store
        assert store is not None
        # The proxy names no harness: `generic`, compiled with the bare-agent profile of the model.
        vs = store.get(VARIANT_SETS, join_key(SKILL.hash, "small-9b", "generic"))
        assert vs is not None
        record = store.get(VARIANTS, vs.current or "")
        assert record is not None
        assert record.provenance["passes"] == [1, 2, 3]
        assert record.provenance["profile_match"] == "same-model-bare-agent"
        assert record.env_deps
        fresh = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "p2"}]
        assert "Environment on this machine" in _system(_chat(client, upstream, fresh))
    assert not worker.alive  # stopped with the runtime


def test_runtime_close_stops_the_worker(home: Path) -> None:
    runtime = Runtime(Settings(home=home), skills=[REGION_DIGEST])
    worker = runtime.compile_worker
    assert worker is not None
    running = worker.alive
    runtime.close()
    assert (running, worker.alive) == (True, False)
