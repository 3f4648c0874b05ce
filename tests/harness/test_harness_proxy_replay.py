"""The recorded harness runs, replayed through the proxy's ASGI app in process (no node).

Each cassette's requests are sent, as the CLI sent them (headers, query, raw bytes), to the
proxy app; its upstream is a mock transport that answers with the recorded responses and keeps
what it received. So the proxy's own handling of the real request shapes (routing of
``/v1/messages?beta=true``, identification from real headers, body re-encoding after a rewrite,
auth headers passing through) stays covered where node is missing.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.wire import format_for_path
from skvm_shim.config import Settings
from skvm_shim.proxy import create_app
from skvm_shim.runtime import Runtime
from skvm_shim.skills.model import Skill
from skvm_shim.telemetry import semconv
from skvm_shim.variants import publish_variant
from tests.harness.cassette_files import PROXY_PLACEHOLDER, all_cassettes, load_cassette
from tests.harness.replay_support import assert_rewritten_in_place, skill_sites
from tests.harness.skill_variant import variant_for

UPSTREAM = "http://upstream.invalid"
AUTH = {
    "anthropic": ("x-api-key", "sk-ant-replay-dummy"),
    "openai": ("authorization", "Bearer sk-replay-dummy"),
}

CASSETTES = all_cassettes()
IDS = [f"{p.parent.name}/{p.stem}" for p in CASSETTES]


@dataclass(frozen=True)
class Received:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


async def _replay(path: Path, home: Path) -> None:
    cassette = load_cassette(path)
    meta = cassette.meta
    skill = Skill.parse(meta["skill_md"])
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    skills = [skill] if meta["register_skill"] else []
    runtime = Runtime(Settings(home=home), skills=skills, tracer_provider=provider)
    assert runtime.store is not None
    publish_variant(
        runtime.store,
        skill=skill,
        text=variant_for(skill),
        model=meta["model"],
        harness=meta["harness"],
    )
    answers = list(cassette.interactions)
    received: list[Received] = []

    def upstream(request: httpx2.Request) -> httpx2.Response:
        received.append(
            Received(request.method, str(request.url), dict(request.headers), request.read())
        )
        answer = answers[len(received) - 1]
        return httpx2.Response(
            answer.status,
            headers={"content-type": answer.response_headers.get("content-type", "")},
            # A stream, not content=: the proxy relays it with aiter_raw, as from a server.
            stream=httpx2.ByteStream(answer.response_body.encode("utf-8")),
        )

    app = create_app(
        runtime,
        upstream_openai=f"{UPSTREAM}/v1",
        upstream_anthropic=UPSTREAM,
        transport=httpx2.MockTransport(upstream),
    )
    try:
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=PROXY_PLACEHOLDER) as client:
            for index, item in enumerate(cassette.interactions):
                family = "anthropic" if "anthropic-version" in item.headers else "openai"
                auth_name, auth_value = AUTH[family]
                headers = {k: v for k, v in item.headers.items() if k != "host"}
                headers[auth_name] = auth_value
                sent = item.body_text.encode("utf-8")
                response = await client.request(
                    item.method, item.uri, headers=headers, content=sent
                )
                assert response.status_code == item.status
                assert response.text == item.response_body, "the client got other bytes"

                got = received[index]
                assert got.url == UPSTREAM + item.path + (f"?{item.query}" if item.query else "")
                assert got.headers.get(auth_name) == auth_value, "auth did not pass through"
                assert got.headers.get("user-agent") == item.headers.get("user-agent")
                if format_for_path(item.path) is None or item.method != "POST":
                    continue
                original = item.body
                if not skill_sites(original, skill):
                    assert got.body == sent, "an unchanged request was not forwarded byte-exact"
                    continue
                assert assert_rewritten_in_place(original, json.loads(got.body), skill)
        assert len(received) == len(cassette.interactions)
    finally:
        await app.aclose()
        runtime.close()
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("chat ")]
    assert spans, "the proxy recorded no LLM span"
    assert {(s.attributes or {}).get(semconv.HARNESS) for s in spans} == {meta["harness"]}
    assert any((s.attributes or {}).get(semconv.REWRITTEN) for s in spans)


@pytest.mark.parametrize("path", CASSETTES, ids=IDS)
def test_proxy_app_replays_the_recorded_run(path: Path, tmp_path: Path) -> None:
    asyncio.run(_replay(path, tmp_path / "skvm-home"))
