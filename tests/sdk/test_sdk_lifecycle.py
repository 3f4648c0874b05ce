"""patch() and unpatch(): idempotent, reversible, deferred, gated, blind to internal calls."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import wrapt

import skvm_shim
from compiler.marker import INTERNAL_HEADERS
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.calls import STYLES, make_client, request_kwargs, strings
from tests.sdk.conftest import API_KEY, MODEL, SKILL, SKILL_DIR, VARIANT_MARK, Spans, require

pytestmark = pytest.mark.sdk

SYSTEM = "Skill:\n\n" + SKILL.body


def _originals(sdk: str) -> dict[str, object]:
    base = __import__(f"{sdk}._base_client", fromlist=["x"])
    return {
        f"{cls}.{m}": vars(getattr(base, cls))[m]
        for cls in ("SyncAPIClient", "AsyncAPIClient")
        for m in ("request", "_process_response")
    }


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_patch_twice_wraps_once_and_unpatch_restores_the_originals(
    sdk: str, tmp_path: Path
) -> None:
    require(sdk)
    before = _originals(sdk)
    first = skvm_shim.patch(home=tmp_path / "h")
    second = skvm_shim.patch(home=tmp_path / "h")
    try:
        assert first is second
        assert skvm_shim.current() is first
        after = _originals(sdk)
        for name, original in before.items():
            chain = list(wrapt.wrapper_chain(after[name]))
            assert chain[-1] is original, name
            assert len(chain) == 2, f"{name} wrapped {len(chain) - 1} times"
    finally:
        skvm_shim.unpatch()
    assert _originals(sdk) == before
    assert skvm_shim.current() is None


def test_a_wrapper_that_outlives_unpatch_passes_through(
    upstream: ScriptedUpstream, tmp_path: Path, spans: Spans
) -> None:
    require("openai")
    import openai

    from skvm_shim.variants import publish_variant

    shim = skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "h", tracer_provider=spans.provider)
    assert shim.store is not None
    publish_variant(
        shim.store,
        skill=SKILL,
        text=SKILL.text + "\n" + VARIANT_MARK,
        model=MODEL,
        harness="generic",
    )
    captured = openai._base_client.SyncAPIClient.request  # a reference taken while patched
    skvm_shim.unpatch()
    (style,) = [s for s in STYLES if s.id == "openai-chat-create"]
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    upstream.script("plain")
    options = openai._models.FinalRequestOptions.construct(
        method="post",
        url="/chat/completions",
        json_data=request_kwargs(style, system=SYSTEM, user="hi", model=MODEL),
    )
    captured(client, openai.types.chat.ChatCompletion, options)
    assert VARIANT_MARK not in strings(upstream.last_request.body)
    assert spans.llm() == []


def test_requests_marked_internal_are_never_intercepted(
    upstream: ScriptedUpstream, shim: object, spans: Spans
) -> None:
    require("openai")
    (style,) = [s for s in STYLES if s.id == "openai-chat-create"]
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    upstream.script("compiler answer")
    kwargs = request_kwargs(style, system=SYSTEM, user="hi", model=MODEL)
    client.chat.completions.create(**kwargs, extra_headers=INTERNAL_HEADERS)
    assert SKILL.body in strings(upstream.last_request.body)
    assert spans.llm() == []
    upstream.script("harness answer")
    client.chat.completions.create(**kwargs)
    assert VARIANT_MARK in strings(upstream.last_request.body)
    assert len(spans.llm()) == 1


def _run_child(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "SKVM_HOME": str(tmp_path / "h"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_sdk_imported_after_patch_is_wrapped_on_import(sdk: str, tmp_path: Path) -> None:
    require(sdk)
    code = f"""
        import sys
        import skvm_shim
        shim = skvm_shim.patch()
        assert "{sdk}" not in sys.modules, "imported too early"
        assert shim.wrapped == [], shim.wrapped
        import {sdk}
        print(len([w for w in shim.wrapped if w.startswith("{sdk}.")]))
        skvm_shim.unpatch()
        print(len(shim.wrapped))
    """
    out = _run_child(code, tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["4", "0"]


def test_skvm_disable_makes_patch_a_no_op(tmp_path: Path) -> None:
    require("openai")
    code = """
        import openai, skvm_shim
        shim = skvm_shim.patch()
        print(shim.wrapped, shim.active)
    """
    out = _run_child(code, tmp_path, SKVM_DISABLE="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[] False"


def test_bad_harness_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="harness 'claude' is not one of generic, bare-agent"):
        skvm_shim.patch(home=tmp_path / "h", harness="claude")
