"""200 requests of every kind, good and bad, leave no task or connection behind."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.script import ErrorSpec, Turn
from tests.proxy.conftest import CountingUpstream, free_port
from tests.sdk.conftest import MODEL, Spans

CONCURRENCY = 8
REQUESTS = 200
KINDS = ("ok", "sse", "429", "500", "cut-sse", "cut-json", "leave", "bad-json", "refused")


def _turns() -> list[Turn]:
    def on(kind: str, **fields: object) -> Turn:
        return Turn.model_validate({"match": f"KIND={kind};", "repeat": True, **fields})

    return [
        on("ok", text="fine"),
        on("sse", text="streamed " * 5),
        on("429", error=ErrorSpec(status=429, headers={"retry-after": "1"})),
        on("500", error=ErrorSpec(status=500)),
        on("cut-sse", text="cut " * 20, cut_after_events=2),
        on("cut-json", text="cut " * 20, cut_after_events=1),
        on("leave", text="slow " * 40, stream_deltas=40, chunk_delay_ms=50),
    ]


@pytest.fixture
def dead_proxy(tmp_path: Path) -> Iterator[ProxyServer]:
    dead = f"http://127.0.0.1:{free_port()}"
    with ProxyServer(
        upstream_openai=dead + "/v1", upstream_anthropic=dead, home=tmp_path / "dead"
    ) as server:
        yield server


async def _one(
    client: httpx2.AsyncClient, live: ProxyServer, dead: ProxyServer, i: int
) -> tuple[str, str]:
    kind = KINDS[i % len(KINDS)]
    anthropic = i % 2 == 1
    stream = kind in ("sse", "cut-sse", "leave")
    user = {"role": "user", "content": f"KIND={kind}; request {i}"}
    body: dict[str, object] = {"model": MODEL, "messages": [user], "stream": stream}
    headers = {"x-api-key": "sk-leak"} if anthropic else {"authorization": "Bearer sk-leak"}
    if anthropic:
        body["max_tokens"] = 32
        headers["anthropic-version"] = "2023-06-01"
    server = dead if kind == "refused" else live
    url = server.base_url + ("/v1/messages" if anthropic else "/v1/chat/completions")
    content = b'{"model": ' if kind == "bad-json" else json.dumps(body).encode()
    headers["content-type"] = "application/json"
    try:
        async with client.stream("POST", url, content=content, headers=headers) as response:
            if kind == "leave":
                async for _ in response.aiter_raw():
                    break  # the client goes away mid-stream
                return kind, "left"
            await response.aread()
            return kind, str(response.status_code)
    except httpx2.RemoteProtocolError:
        return kind, "cut"


async def _run(live: ProxyServer, dead: ProxyServer) -> Counter[tuple[str, str]]:
    limits = httpx2.Limits(max_connections=CONCURRENCY)
    async with httpx2.AsyncClient(timeout=20, limits=limits) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def guarded(i: int) -> tuple[str, str]:
            async with gate:
                return await _one(client, live, dead, i)

        results = await asyncio.gather(*(guarded(i) for i in range(REQUESTS)))
    return Counter(results)


def _settle(predicate: object, timeout: float = 3.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_no_task_or_connection_leaks_after_200_requests(
    counting_upstream: CountingUpstream,
    lone_proxy: ProxyServer,
    dead_proxy: ProxyServer,
    spans: Spans,
) -> None:
    counting_upstream.script(*_turns())
    live_tasks, dead_tasks = lone_proxy.task_count(), dead_proxy.task_count()
    outcomes = asyncio.run(_run(lone_proxy, dead_proxy))
    expected = {
        "ok": {"200"},
        "sse": {"200"},
        "429": {"429"},
        "500": {"500"},
        "cut-sse": {"cut"},
        "cut-json": {"cut"},
        "leave": {"left"},
        "bad-json": {"400"},
        "refused": {"502"},
    }
    for (kind, outcome), count in outcomes.items():
        assert outcome in expected[kind], (kind, outcome, count)
    assert sum(outcomes.values()) == REQUESTS
    # Every client connection is gone, every task ended, upstream connections only pooled ones.
    _settle(lambda: lone_proxy.open_connections == 0 and dead_proxy.open_connections == 0)
    assert lone_proxy.open_connections == 0
    assert dead_proxy.open_connections == 0
    _settle(lambda: lone_proxy.task_count() == live_tasks)
    assert lone_proxy.task_count() == live_tasks
    assert dead_proxy.task_count() == dead_tasks
    _settle(lambda: counting_upstream.open_connections <= CONCURRENCY)
    assert counting_upstream.open_connections <= CONCURRENCY
    # Every call that reached the pipeline ended its span.
    pipeline_calls = REQUESTS - sum(c for (k, _), c in outcomes.items() if k == "bad-json")
    pipeline_calls -= sum(c for (k, _), c in outcomes.items() if k == "refused")
    _settle(lambda: len(spans.llm()) >= pipeline_calls)
    assert len(spans.llm()) == pipeline_calls
    lone_proxy.stop()
    _settle(lambda: counting_upstream.open_connections == 0)
    assert counting_upstream.open_connections == 0
