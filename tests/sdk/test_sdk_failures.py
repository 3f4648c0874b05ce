"""Upstream errors pass through unchanged; the shim's own faults never reach the caller."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import skvm_shim
from skvm_shim.shim import Shim
from skvm_shim.testing.script import ErrorSpec, Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.calls import STYLES, Style, answer_text, make_client, request_kwargs, strings
from tests.sdk.conftest import API_KEY, MODEL, SKILL, SKILL_DIR, VARIANT_MARK, Spans, require

pytestmark = pytest.mark.sdk

SYSTEM = "Skill:\n\n" + SKILL.body
BASIC = [s for s in STYLES if s.name in ("create", "stream", "async_create", "raw")]


def _outcome(fn: Callable[[], Any]) -> tuple[str, Any, Any]:
    try:
        fn()
    except Exception as exc:  # the point is to compare exceptions
        body = getattr(exc, "body", None)
        if isinstance(body, dict):  # the scripted upstream gives every answer a fresh request id
            body = {k: v for k, v in body.items() if k != "request_id"}
        return type(exc).__qualname__, getattr(exc, "status_code", None), body
    return "no exception", None, None


def _run(style: Style, upstream: ScriptedUpstream, turn: Turn, *, timeout: float = 10) -> Any:
    upstream.script(turn)
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    client = client.with_options(timeout=timeout)
    kwargs = request_kwargs(style, system=SYSTEM, user="hi", model=MODEL)
    return _outcome(lambda: style.run(client, kwargs))


ERROR_TURNS = [
    pytest.param(Turn(error=ErrorSpec(status=400, message="bad field")), id="400"),
    pytest.param(Turn(error=ErrorSpec(status=401)), id="401"),
    pytest.param(Turn(error=ErrorSpec(status=404, message="model not found")), id="404"),
    pytest.param(Turn(error=ErrorSpec(status=429, headers={"retry-after": "0"})), id="429"),
    pytest.param(Turn(error=ErrorSpec(status=500)), id="500"),
    pytest.param(Turn(error=ErrorSpec(status=529)), id="529"),
    pytest.param(Turn(text="slow", delay_ms=1500), id="timeout"),
    pytest.param(Turn(text="cut " * 40, cut_after_events=3), id="cut-stream"),
]


@pytest.mark.parametrize("turn", ERROR_TURNS)
@pytest.mark.parametrize("style", BASIC, ids=lambda s: s.id)
def test_upstream_failures_reach_the_caller_exactly_as_without_the_shim(
    style: Style, turn: Turn, upstream: ScriptedUpstream, tmp_path: Path, spans: Spans
) -> None:
    require(style.sdk)
    timeout = 0.5 if turn.delay_ms else 10
    unpatched = _run(style, upstream, turn, timeout=timeout)
    skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "h", tracer_provider=spans.provider)
    try:
        patched = _run(style, upstream, turn, timeout=timeout)
    finally:
        skvm_shim.unpatch()
    assert patched == unpatched
    if patched[0] != "no exception":
        attributes = spans.last_llm().attributes
        assert attributes is not None
        assert attributes["error.type"]


def _faulty(exc: Exception) -> Callable[..., Any]:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return boom


# fault -> (what raises, the stage recorded, whether the variant is still served). Stages are
# isolated: a broken span description does not undo a correct rewrite, a broken detector does.
FAULTS = {
    "detect": ("skvm_shim.skills.detect.Detector.scan", "detect", False),
    "store": ("skvm_shim.variants.VariantSelector.choose", "rewrite", False),
    "rewrite": ("skvm_shim.pipeline.rewrite", "rewrite", False),
    "parse": ("adapters.wire codec parse", "parse", False),
    "span": ("skvm_shim.pipeline.Pipeline._describe", "span", True),
    "tools": ("skvm_shim.pipeline.Pipeline._report_tool_results", "tools", True),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_internal_faults_pass_the_call_through_and_show_on_the_span(
    fault: str,
    upstream: ScriptedUpstream,
    shim: Shim,
    spans: Spans,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require("openai")
    target, stage, rewritten = FAULTS[fault]
    boom = _faulty(RuntimeError(f"injected {fault} fault"))
    if fault == "parse":  # codecs are frozen data: swap in a copy whose parser fails
        import dataclasses

        import adapters.wire
        from adapters.ir import WireFormat

        fmt = WireFormat.CHAT_COMPLETIONS
        faulty = dataclasses.replace(adapters.wire.codec_for(fmt), parse=boom)
        monkeypatch.setitem(adapters.wire._CODECS, fmt, faulty)
    else:
        monkeypatch.setattr(target, boom)
    (style,) = [s for s in STYLES if s.id == "openai-chat-stream"]
    upstream.script("answer despite the fault")
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    result = style.run(client, request_kwargs(style, system=SYSTEM, user="hi", model=MODEL))
    assert answer_text(style, result) == "answer despite the fault"
    sent = strings(upstream.last_request.body)
    if rewritten:
        assert VARIANT_MARK in sent
    else:
        assert SKILL.body in sent  # unchanged: no partial rewrite leaked out
        assert VARIANT_MARK not in sent
    span = spans.last_llm()
    assert span.attributes is not None
    assert stage in span.attributes["skvm.faults"]
    (event,) = [e for e in span.events if e.name == "skvm.fault"]
    assert event.attributes is not None
    assert event.attributes["exception.message"] == f"injected {fault} fault"


def test_store_that_fails_mid_call_does_not_break_the_harness(
    upstream: ScriptedUpstream, shim: Shim, spans: Spans, monkeypatch: pytest.MonkeyPatch
) -> None:
    require("openai")
    from skvm_shim.store import StoreUnavailable

    assert shim.store is not None
    monkeypatch.setattr(type(shim.store), "get", _faulty(StoreUnavailable("disk gone")))
    monkeypatch.setattr(type(shim.store), "put_later", _faulty(StoreUnavailable("disk gone")))
    (style,) = [s for s in STYLES if s.id == "anthropic-messages-create"]
    require("anthropic")
    upstream.script("fine")
    client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
    result = style.run(client, request_kwargs(style, system=SYSTEM, user="hi", model=MODEL))
    assert answer_text(style, result) == "fine"
    attributes = spans.last_llm().attributes
    assert attributes is not None
    assert "rewrite" in attributes["skvm.faults"]


def test_no_secret_reaches_store_spans_or_logs(
    upstream: ScriptedUpstream,
    shim: Shim,
    spans: Spans,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    ran = 0
    for style in STYLES:
        if style.name not in ("create", "stream"):
            continue
        try:
            __import__(style.sdk)
        except ImportError:
            continue
        upstream.script("ok")
        client = make_client(style, base_url=upstream.openai_base_url, api_key=API_KEY)
        style.run(client, request_kwargs(style, system=SYSTEM, user="hi", model=MODEL))
        ran += 1
    assert ran >= 2
    # The key did travel: the upstream saw it, so the scan below is not vacuous.
    assert any(API_KEY in strings(dict(r.headers)) for r in upstream.requests)
    assert shim.store is not None
    shim.store.flush()
    for path in shim.settings.home.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
    for span in spans.all():
        assert API_KEY not in repr(dict(span.attributes or {}))
        assert all(API_KEY not in repr(dict(e.attributes or {})) for e in span.events)
    assert API_KEY not in caplog.text
