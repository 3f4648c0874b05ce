"""Fixtures for the proxy tests: a proxy in front of the session's scripted upstream."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.sdk.conftest import MODEL, SKILL, SKILL_DIR, VARIANT_TEXT, Spans


@pytest.fixture
def spans() -> Spans:
    return Spans()


@pytest.fixture
def proxy(upstream: ScriptedUpstream, tmp_path: Path, spans: Spans) -> Iterator[ProxyServer]:
    """A proxy with the example skill known and a variant of it published for `generic`."""
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "proxy-home",
        skills=[SKILL_DIR],
        tracer_provider=spans.provider,
    ) as server:
        assert server.runtime.store is not None
        publish_variant(
            server.runtime.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic"
        )
        yield server


def llm_span(spans: Spans, count: int = 1, timeout: float = 5.0) -> ReadableSpan:
    """The newest LLM span once ``count`` have ended.

    The proxy ends a call's span on its own thread as the last byte goes out, so a client can
    hold the whole answer a moment before the span is exported.
    """
    deadline = time.monotonic() + timeout
    while len(spans.llm()) < count and time.monotonic() < deadline:
        time.sleep(0.005)
    return spans.last_llm()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


CountingUpstream = ScriptedUpstream
"""The scripted upstream (it counts the TCP connections it holds open: ``open_connections``)."""


@pytest.fixture(scope="session")
def counting_upstream() -> Iterator[CountingUpstream]:
    server = CountingUpstream()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lone_proxy(
    counting_upstream: CountingUpstream, tmp_path: Path, spans: Spans
) -> Iterator[ProxyServer]:
    """A proxy of its own in front of the counting upstream (no other client shares it)."""
    counting_upstream.reset()
    with ProxyServer(
        upstream_openai=counting_upstream.openai_base_url,
        upstream_anthropic=counting_upstream.base_url,
        home=tmp_path / "lone-home",
        tracer_provider=spans.provider,
    ) as server:
        yield server
    counting_upstream.reset()
