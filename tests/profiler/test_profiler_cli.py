"""``skvm-shim profile`` end to end against a scripted upstream: files, store, resume, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from compiler import TCP
from skvm_shim.cli import main
from skvm_shim.config import Settings
from skvm_shim.profiler import endpoint
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.store import Store
from skvm_shim.testing import ScriptedUpstream, Turn, Usage

ANSWER = Turn(text="No idea.", usage=Usage(input_tokens=50, output_tokens=3), repeat=True)


@pytest.fixture
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream(default=ANSWER, models=("tiny-model", "other")) as up:
        yield up


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("SKVM_HOME", str(folder))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return folder


def _profile(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["profile", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_profile_writes_stores_and_resumes(
    upstream: ScriptedUpstream, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "profiles" / "bare-agent" / "tiny-model" / "latest.json"
    args = [
        "--base-url", upstream.openai_base_url, "--model", "tiny-model", "--out", str(out),
        "--primitives", "reason.logic,follow.format", "--instances", "2", "--max-steps", "3",
    ]  # fmt: skip
    code, output = _profile(*args)
    assert code == 0, output
    assert "reason.logic" in output
    assert "Store: imported" in output
    tcp = TCP.from_skvm_json(out.read_text())
    assert (tcp.model, tcp.harness, tcp.is_partial) == ("tiny-model", "bare-agent", True)
    assert set(tcp.capabilities) == {"reason.logic", "follow.format"}
    assert tcp.cost.total_tokens.input == 12 * 50
    raw = out.with_name("raw-results.jsonl")
    assert len(raw.read_text().splitlines()) == 13  # header + 12 instances
    store = Store.open(Settings(home=home).store_path)
    try:
        match = ProfileStore(store).find("tiny-model", "bare-agent")
    finally:
        store.close()
    assert match is not None
    assert match.tcp.profile_id == tcp.profile_id
    calls = len(upstream.requests)
    code, output = _profile(*args, "--json")
    assert code == 0, output
    summary = json.loads(output[output.index("{") :])
    assert (summary["ran"], summary["reused"]) == (0, 12)
    assert summary["levels"] == {"reason.logic": "L0", "follow.format": "L0"}
    assert len(upstream.requests) == calls


def test_default_output_is_under_the_home_and_the_model_comes_from_the_endpoint(
    upstream: ScriptedUpstream, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "LOCAL_MODEL_URL", upstream.openai_base_url)
    code, output = _profile("--primitives", "gen.regex", "--instances", "2", "--no-store")
    assert code == 0, output
    written = home / "profiles" / "bare-agent" / "tiny-model" / "latest.json"
    assert TCP.from_skvm_json(written.read_text()).model == "tiny-model"
    assert "Store:" not in output


def test_no_endpoint_is_a_usage_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoint, "LOCAL_MODEL_URL", "http://127.0.0.1:9/v1")
    code, output = _profile("--primitives", "gen.regex")
    assert code == 2
    assert "skvm-shim local-model serve" in output


def test_unknown_primitive_and_changed_settings_are_refused(
    upstream: ScriptedUpstream, home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "p.json"
    base = ["--base-url", upstream.openai_base_url, "--model", "tiny-model", "--out", str(out)]
    code, output = _profile(*base, "--primitives", "tool.teleport")
    assert code == 2
    assert "tool.teleport" in output
    code, _ = _profile(*base, "--primitives", "gen.regex", "--instances", "2", "--no-store")
    assert code == 0
    assert out.with_name("p.raw-results.jsonl").is_file()
    code, output = _profile(*base, "--primitives", "gen.regex", "--seed", "9", "--no-store")
    assert code == 2
    assert "--fresh" in output


def test_a_remote_endpoint_needs_a_key(home: Path) -> None:
    code, output = _profile("--base-url", "https://api.example.invalid/v1", "--model", "m")
    assert code == 2
    assert "OPENAI_API_KEY" in output
