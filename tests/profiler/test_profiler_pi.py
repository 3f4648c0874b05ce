"""Harness-through profiling: probes run by the real pi CLI, through the proxy, graded the same.

Needs node >= 20 and npm (the pinned CLIs are installed once into .cache/harness-npm, as for the
harness tier); skipped, with the reason, otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adapters.harnesses import identify_harness
from adapters.ir import WireFormat
from compiler import TCP
from compiler.marker import INTERNAL_HEADER
from skvm_shim.cli import main
from skvm_shim.profiler.cli_harness import PiHarness
from skvm_shim.profiler.execute import run_probe
from skvm_shim.profiler.generators import generator
from skvm_shim.testing import ScriptedUpstream, ToolCall, Turn, Usage
from tests.harness.npm_install import (
    PI,
    InstallFailed,
    ToolchainMissing,
    ensure_installed,
    find_toolchain,
)

pytestmark = [pytest.mark.harness, pytest.mark.slow]
KEY = "sk-profile-test-5e1f"


@pytest.fixture(scope="module")
def pi_cli() -> Path:
    try:
        installation = ensure_installed(find_toolchain())
    except ToolchainMissing as exc:
        pytest.skip(f"pi tests skipped: {exc}")
    except InstallFailed as exc:
        pytest.fail(f"installing the harness CLIs failed: {exc}", pytrace=False)
    return installation.package_dir(PI) / "dist" / "cli.js"


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SKVM_HOME", "SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_JIT", "SKVM_DISABLE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def up() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as server:
        yield server


def _body(request: Any) -> dict[str, Any]:
    return request.body if isinstance(request.body, dict) else json.loads(request.body)


def test_a_probe_through_pi_and_the_proxy_is_graded(pi_cli: Path, up: ScriptedUpstream) -> None:
    probe = generator("tool.file.write", 1).instance(1, 0)
    [write] = probe.good.calls  # bare-agent's write_file; pi's tool is `write`
    call = ToolCall(name="write", arguments=dict(write.arguments))
    up.script(
        Turn(tool_calls=(call,), usage=Usage(input_tokens=900, output_tokens=20)),
        Turn(text="Created notes.txt.", usage=Usage(input_tokens=950, output_tokens=5)),
    )
    with PiHarness.through_proxy(
        base_url=up.openai_base_url, api="openai", model="m", key=KEY, cli=pi_cli
    ) as pi:
        outcome = run_probe(probe, pi, timeout=60)
    assert outcome.verdict == "passed", outcome.detail
    run = outcome.run
    assert run is not None
    assert (run.status, run.steps, run.tool_calls, run.answer) == (
        "completed",
        2,
        1,
        "Created notes.txt.",
    )
    assert (run.usage.input_tokens, run.usage.output_tokens) == (1850, 25)
    first = up.requests[0]
    assert identify_harness(WireFormat.CHAT_COMPLETIONS, _body(first), dict(first.headers)) == "pi"
    assert first.headers.get("authorization") == f"Bearer {KEY}"
    # The harness's calls go through the proxy's pipeline (nothing to rewrite): not marked.
    assert INTERNAL_HEADER.lower() not in first.headers


def test_the_step_budget_stops_a_model_that_never_stops(
    pi_cli: Path, up: ScriptedUpstream, tmp_path: Path
) -> None:
    up.set_default(Turn(tool_calls=(ToolCall(name="bash", arguments={"command": "ls"}),)))
    with PiHarness.through_proxy(
        base_url=up.openai_base_url, api="openai", model="m", key=KEY, cli=pi_cli, max_steps=3
    ) as pi:
        run = pi.attempt("List the files.", tmp_path, timeout=60)
    assert (run.outcome, run.status, run.steps) == ("ok", "max_steps", 3)


def test_an_endpoint_that_never_answers_is_infra(pi_cli: Path, tmp_path: Path) -> None:
    with PiHarness.through_proxy(
        base_url="http://127.0.0.1:9/v1", api="openai", model="m", key=KEY, cli=pi_cli
    ) as pi:
        run = pi.attempt("Say hi.", tmp_path, timeout=60)
    assert run.outcome == "infra", run


def test_profile_command_with_pi(
    pi_cli: Path, up: ScriptedUpstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SKVM_HOME", str(tmp_path / "home"))
    up.set_default(Turn(text="I do not know.", repeat=True))
    out = tmp_path / "pi" / "m" / "latest.json"
    result = CliRunner().invoke(
        main,
        ["profile", "--base-url", up.openai_base_url, "--model", "m", "--harness", "pi",
         "--harness-cli", str(pi_cli), "--primitives", "reason.arithmetic", "--instances", "2",
         "--out", str(out), "--no-store"],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tcp = TCP.from_skvm_json(out.read_text())
    assert (tcp.harness, tcp.capabilities) == ("pi", {"reason.arithmetic": "L0"})
    assert KEY not in out.read_text()
    assert KEY not in out.with_name("raw-results.jsonl").read_text()


@pytest.mark.parametrize(("status", "outcome"), [(500, "infra"), (400, "ok")])
def test_an_api_error_ending_the_run(
    pi_cli: Path, up: ScriptedUpstream, tmp_path: Path, status: int, outcome: str
) -> None:
    up.script(Turn(tool_calls=(ToolCall(name="bash", arguments={"command": "ls"}),)))
    up.set_default(Turn(error={"status": status}))
    with PiHarness.through_proxy(
        base_url=up.openai_base_url, api="openai", model="m", key=KEY, cli=pi_cli
    ) as pi:
        run = pi.attempt("List the files.", tmp_path, timeout=90)
    # A server error says nothing about the model (skipped); a rejected request does (graded).
    assert (run.outcome, run.status) == (outcome, f"error ({status})"), run
