"""End to end in proxy mode: the same scenario, the SDK clients pointed at ``ProxyServer``.

The proxy builds its runtime from the environment (``SKVM_JIT`` unset means on), so this also
checks that solidification is wired by default; the replayed steps are HTTP responses of the
proxy itself, and the scripted upstream's request log shows they never reached it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from skvm_shim.proxy import ProxyServer
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.jit.agent import Endpoint
from tests.jit.conftest import JitSpans, templates
from tests.jit.scenario import LEARN_NAMES, SKILL_DIR, Runner, model_turns, wait_for_spans
from tests.jit.test_jit_e2e_patch import CASES, run_scenario


def proxy_client(endpoint: Endpoint, proxy: ProxyServer) -> Any:
    if endpoint == "messages":
        import anthropic

        return anthropic.Anthropic(base_url=proxy.base_url, api_key="sk-test", max_retries=0)
    import openai

    return openai.OpenAI(base_url=proxy.openai_base_url, api_key="sk-test", max_retries=0)


@pytest.mark.parametrize(
    ("endpoint", "stream"), CASES, ids=[f"{e}-{'stream' if s else 'json'}" for e, s in CASES]
)
def test_proxy_mode_learns_promotes_replays_and_demotes(
    endpoint: Endpoint,
    stream: bool,
    upstream: ScriptedUpstream,
    tmp_path: Path,
    work_dir: Path,
    jit_spans: JitSpans,
) -> None:
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "proxy-home",
        skills=[SKILL_DIR],
        tracer_provider=jit_spans.provider,
    ) as proxy:
        store = proxy.runtime.store
        assert store is not None
        runner = Runner(
            make_client=lambda: proxy_client(endpoint, proxy),
            upstream=upstream,
            endpoint=endpoint,
            stream=stream,
            cwd=work_dir,
            settle=lambda calls: wait_for_spans(jit_spans.llm, calls) and None,
        )
        run_scenario(runner, store, jit_spans, work_dir)


def test_proxy_in_shadow_mode_promotes_but_never_replays(
    upstream: ScriptedUpstream,
    tmp_path: Path,
    work_dir: Path,
    jit_spans: JitSpans,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SKVM_JIT", "shadow")
    with ProxyServer(
        upstream_openai=upstream.openai_base_url,
        upstream_anthropic=upstream.base_url,
        home=tmp_path / "proxy-home",
        skills=[SKILL_DIR],
        tracer_provider=jit_spans.provider,
    ) as proxy:
        assert proxy.runtime.store is not None
        runner = Runner(
            make_client=lambda: proxy_client("chat", proxy),
            upstream=upstream,
            endpoint="chat",
            stream=False,
            cwd=work_dir,
            settle=lambda calls: wait_for_spans(jit_spans.llm, calls) and None,
        )
        for name in (*LEARN_NAMES, "after promotion.csv"):
            outcome = runner.session(name, script=model_turns(name, 12))
            assert outcome.requests == 3
        [record] = templates(proxy.runtime.store)
        assert record.state == "promoted"
        assert record.replays == 0
