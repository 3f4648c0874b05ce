"""The per-call log line (``skvm-shim -v``): one INFO line per LLM call saying what the shim did.

Driven through the real pipeline (a patched openai client against the scripted upstream) and
through the ``skvm-shim -v proxy`` command in a process of its own.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

import skvm_shim
from skvm_shim import call_log, pipeline
from skvm_shim.store import Store
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.jit.conftest import templates
from tests.jit.scenario import HOSTILE, LEARN_NAMES, SKILL_DIR, Runner, model_turns
from tests.proxy.conftest import free_port
from tests.sdk.conftest import MODEL, SKILL, VARIANT_TEXT
from tests.sdk.conftest import SKILL_DIR as CSV_SKILL_DIR

openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")

LOGGER = "skvm_shim.calls"


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("SKVM_HOME", "SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_JIT", "SKVM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
    yield
    skvm_shim.unpatch()


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def _chat(upstream: ScriptedUpstream, system: str, *users: str) -> None:
    """One call: the system prompt, then ``users`` with an "ok" answer between them."""
    client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for i, user in enumerate(users):
        if i:
            messages.append({"role": "assistant", "content": "ok"})
        messages.append({"role": "user", "content": user})
    upstream.script("ok")
    client.chat.completions.create(model=MODEL, messages=messages)


def test_variant_served_and_why_the_original_is(
    upstream: ScriptedUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    shim = skvm_shim.patch(skills=[CSV_SKILL_DIR], home=tmp_path / "home", jit="off")
    assert shim.store is not None
    system = "Skill:\n\n" + SKILL.body

    _chat(upstream, system, "hi")  # nothing published yet
    (first,) = _lines(caplog)
    assert first.startswith(f"call openai.chat_completions model={MODEL} harness=generic session=")
    assert "(new)" in first
    assert "skills=csv-stats(loaded)" in first
    assert (
        f"variant=csv-stats:original (no variant for ({MODEL}, generic); compile requested)"
        in first
    )
    assert first.endswith("replay=off")

    record = publish_variant(
        shim.store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic",
        provenance={"origin": "cli"},
    )  # fmt: skip
    caplog.clear()
    _chat(upstream, system, "hi", "more")  # the same session keeps the original
    (same,) = _lines(caplog)
    assert "(new)" not in same
    assert (
        f"variant=csv-stats:original (this session started with the original; {record.id} "
        "serves new sessions)" in same
    )
    caplog.clear()
    _chat(upstream, system, "a new task")  # a new session gets the variant
    (fresh,) = _lines(caplog)
    assert f"variant=csv-stats:{record.id} (compiled by skvm-shim compile)" in fresh
    assert "(new)" in fresh


def test_one_line_per_call_with_the_replay_decision_and_why(
    upstream: ScriptedUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Learn, three shadow hits (the streak shows), promotion, then a replayed session."""
    caplog.set_level(logging.INFO, logger=LOGGER)
    work = tmp_path / "work"
    work.mkdir()
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=tmp_path / "home", jit="on")
    assert shim.store is not None
    runner = Runner(
        make_client=lambda: openai.OpenAI(
            base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0
        ),
        upstream=upstream,
        endpoint="chat",
        stream=False,
        cwd=work,
    )
    per_session: list[list[str]] = []
    for name in LEARN_NAMES:
        caplog.clear()
        runner.session(name, script=model_turns(name, 12))
        per_session.append(_lines(caplog))
    caplog.clear()
    runner.session(HOSTILE, lines=7, script=[])
    per_session.append(_lines(caplog))

    assert sum(len(lines) for lines in per_session) == runner.calls  # one line per call
    for lines in per_session:
        assert len(lines) == 3
        assert "(new)" in lines[0]
        assert all("skills=line-stats(loaded)" in line for line in lines)
    assert "replay=no (no template learned for this skill set yet)" in per_session[0][0]
    # The streak is judged when a session ends: after session 2 one hit, after session 3 two.
    assert per_session[2][0].endswith("replay=no (no promoted template; best in shadow 1/3)")
    assert per_session[3][0].endswith("replay=no (no promoted template; best in shadow 2/3)")
    (template,) = templates(shim.store)
    assert template.state == "promoted"
    replayed = per_session[4]
    for step, line in enumerate(replayed):
        assert line.endswith(f"replay=yes (template {template.id[:12]} step {step})"), line


def test_nothing_is_built_when_info_is_off(
    upstream: ScriptedUpstream,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = call_log.line

    def counting(call: Any, **kw: Any) -> str:
        built.append("x")
        return real(call, **kw)

    monkeypatch.setattr(call_log, "line", counting)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    skvm_shim.patch(skills=[CSV_SKILL_DIR], home=tmp_path / "home", jit="off")
    _chat(upstream, "Skill:\n\n" + SKILL.body, "hi")
    assert built == []
    assert _lines(caplog) == []
    caplog.set_level(logging.INFO, logger=LOGGER)
    _chat(upstream, "Skill:\n\n" + SKILL.body, "again")
    assert built == ["x"]


class _Unparseable:
    """A codec whose request parser fails (an injected internal fault)."""

    def __init__(self, codec: Any) -> None:
        self._codec = codec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codec, name)

    def parse_request(self, body: Any) -> Any:
        raise ValueError("injected parse fault")


def _broken_begin(self: Any, info: Any) -> Any:
    raise RuntimeError("injected pipeline fault")


@pytest.mark.parametrize(
    ("fault", "expected"),
    [("parse", "not parsed (ValueError)"), ("begin", "internal fault (RuntimeError)")],
)
def test_a_call_passed_through_by_a_fault_still_gets_its_line(
    fault: str,
    expected: str,
    upstream: ScriptedUpstream,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if fault == "parse":
        real = pipeline.codec_for
        monkeypatch.setattr(pipeline, "codec_for", lambda fmt: _Unparseable(real(fmt)))
    else:
        monkeypatch.setattr(pipeline.Pipeline, "_begin", _broken_begin)
    caplog.set_level(logging.INFO, logger=LOGGER)
    skvm_shim.patch(skills=[CSV_SKILL_DIR], home=tmp_path / "home", jit="off")
    _chat(upstream, "Skill:\n\n" + SKILL.body, "hi")
    assert SKILL.body in upstream.last_request.body["messages"][0]["content"]  # unchanged
    (line,) = _lines(caplog)
    assert line.startswith(f"call openai.chat_completions model={MODEL} harness=")
    assert line.endswith(f"passed through unchanged: {expected}")


def test_proxy_cli_verbose_logs_each_call(upstream: ScriptedUpstream, tmp_path: Path) -> None:
    home = tmp_path / "cli-home"
    with Store.open(home / "store") as store:
        record = publish_variant(
            store, skill=SKILL, text=VARIANT_TEXT, model=MODEL, harness="generic"
        )
    port = free_port()
    env = {
        **os.environ,
        "SKVM_UPSTREAM_OPENAI": upstream.openai_base_url,
        "SKVM_UPSTREAM_ANTHROPIC": upstream.base_url,
        "SKVM_PROXY_TOKEN": "",
        "SKVM_HOME": str(home),
        "SKVM_JIT": "shadow",
    }
    command = [sys.executable, "-c", "from skvm_shim.cli import main; main()", "-v", "proxy"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--skills", str(CSV_SKILL_DIR)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the proxy did not come up"
            time.sleep(0.1)
        client = openai.OpenAI(base_url=base + "/h/pi/v1", api_key="sk-cli", max_retries=0)
        upstream.script("ok")
        client.chat.completions.create(
            model=MODEL,
            messages=[
                {"role": "system", "content": "Skill:\n\n" + SKILL.body},
                {"role": "user", "content": "hi"},
            ],
        )
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    lines = [ln for ln in err.splitlines() if ln.startswith("INFO skvm_shim.calls: call ")]
    assert len(lines) == 1, err
    (line,) = lines
    assert re.search(r"harness=pi session=[0-9a-f]{12} \(new\)", line), line
    assert "skills=csv-stats(loaded)" in line
    assert f"variant=csv-stats:{record.id} (published)" in line
    assert "replay=no (JIT in shadow mode: it learns and verifies, never replays)" in line
    assert "sk-cli" not in err
