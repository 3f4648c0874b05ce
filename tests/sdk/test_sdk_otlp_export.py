"""Spans leave the process by real OTLP/HTTP when (and only when) the OTEL_* variables say so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from skvm_shim.testing.otlp import OtlpReceiver
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.sdk.conftest import SKILL, SKILL_DIR, require

pytestmark = pytest.mark.sdk

CHILD = """
    import os, openai, skvm_shim
    shim = skvm_shim.patch(skills=[os.environ["SKILL_DIR"]])
    client = openai.OpenAI(base_url=os.environ["UPSTREAM"], api_key="sk-otlp-test")
    client.chat.completions.create(model="otlp-model", messages=[
        {"role": "system", "content": os.environ["SYSTEM"]},
        {"role": "user", "content": "hi"}])
    processors = shim.tracer_provider._active_span_processor._span_processors
    print(len(processors))
    skvm_shim.unpatch()  # shuts the shim's provider down, which flushes the exporter
"""


def _child(tmp_path: Path, upstream: ScriptedUpstream, **env: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD)],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
            "SKVM_HOME": str(tmp_path / "home"),
            "SKILL_DIR": str(SKILL_DIR),
            "UPSTREAM": upstream.openai_base_url,
            "SYSTEM": "Skill:\n" + SKILL.body,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_spans_are_exported_by_otlp_http(tmp_path: Path, upstream: ScriptedUpstream) -> None:
    require("openai")
    upstream.set_default("hello")
    jsonl = tmp_path / "traces.jsonl"
    with OtlpReceiver(jsonl=jsonl) as receiver:
        printed = _child(
            tmp_path,
            upstream,
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_SERVICE_NAME="otlp-test-harness",
        )
        (llm,) = receiver.wait_for("chat otlp-model")
        (root,) = receiver.wait_for("invoke_agent generic")
    assert printed == "1"  # one processor: the batch exporter
    assert llm.attributes["gen_ai.provider.name"] == "openai"
    assert llm.attributes["gen_ai.response.model"] == "otlp-model"
    assert llm.attributes["gen_ai.usage.output_tokens"] > 0
    assert llm.attributes["skvm.skills.detected"] == [f"csv-stats@{SKILL.hash[:12]}"]
    assert llm.trace_id == root.trace_id == llm.attributes["gen_ai.conversation.id"]
    assert llm.parent_span_id == root.span_id
    # What a Jaeger UI upload needs: OTLP JSON lines with hex ids.
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    spans = [
        s
        for batch in lines
        for rs in batch["resourceSpans"]
        for ss in rs["scopeSpans"]
        for s in ss["spans"]
    ]
    assert {s["traceId"] for s in spans} == {llm.trace_id}
    assert all("sk-otlp-test" not in line for line in jsonl.read_text().splitlines())


def test_without_otel_settings_nothing_is_exported(
    tmp_path: Path, upstream: ScriptedUpstream
) -> None:
    require("openai")
    upstream.set_default("hello")
    assert _child(tmp_path, upstream) == "0"
