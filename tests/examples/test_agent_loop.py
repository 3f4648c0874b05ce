"""examples/agent_loop.py as a harness: a model's bad tool calls come back as errors, never as a
crash, and the task's input files are not overwritten unless the user allows it."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import skvm_shim
from skvm_shim.testing.script import ToolCall, Turn
from skvm_shim.testing.upstream import ScriptedUpstream

openai = pytest.importorskip("openai", reason="the openai SDK is not installed here")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DATA = "city,temp\nOslo,4.5\nLima,19.0\n"
MODEL = "scripted-model"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("agent_loop", EXAMPLES / "agent_loop.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["agent_loop"] = module
    spec.loader.exec_module(module)
    return module


agent_loop = _load()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    (path / "data.csv").write_text(DATA, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_JIT", "SKVM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKVM_HOME", str(tmp_path / "home"))
    yield
    skvm_shim.unpatch()


def _run(upstream: ScriptedUpstream, workdir: Path, *turns: Turn, **kw: Any) -> str:
    upstream.script(*turns)
    client = openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)
    answer: str = agent_loop.run_agent(
        client,
        model=MODEL,
        task="Profile data.csv",
        skills_dir=EXAMPLES / "skills",
        workdir=workdir,
        **kw,
    )
    assert not upstream.pending, "the loop stopped before the model's last turn"
    return answer


def _results(upstream: ScriptedUpstream) -> list[str]:
    """The tool results of the whole session, from the last request the model got."""
    messages = upstream.last_request.body["messages"]
    return [m["content"] for m in messages if m.get("role") == "tool"]


def _call(name: str, arguments: dict[str, Any] | str) -> Turn:
    return Turn(tool_calls=(ToolCall(name=name, arguments=arguments),))


def test_bad_arguments_come_back_to_the_model_as_errors(
    upstream: ScriptedUpstream, workdir: Path
) -> None:
    answer = _run(
        upstream,
        workdir,
        _call("write_file", {}),
        _call("write_file", '{"path": "out.txt", "content": '),
        _call("write_file", '["out.txt", "text"]'),
        _call("write_file", {"path": "out.txt", "content": 42}),
        _call("read_file", {"file": "data.csv"}),
        _call("delete_file", {"path": "data.csv"}),
        _call("read_file", {"path": "missing.csv"}),
        _call("write_file", {"path": "out.txt", "content": "fixed"}),
        Turn(text="done after corrections"),
    )
    assert answer == "done after corrections"
    assert _results(upstream) == [
        "Error: write_file needs 'path', 'content': call it with {\"path\": string, "
        '"content": string}',
        "Error: the arguments of write_file are not valid JSON (Expecting value)",
        "Error: the arguments of write_file must be a JSON object",
        "Error: write_file: 'content' must be a string, not int",
        "Error: read_file needs 'path': call it with {\"path\": string}",
        "Error: unknown tool 'delete_file'; the tools are read_file, write_file, run_command",
        f"Error: cannot read {workdir / 'missing.csv'}: No such file or directory",
        "wrote 5 characters to out.txt",
    ]
    assert (workdir / "out.txt").read_text(encoding="utf-8") == "fixed"
    assert (workdir / "data.csv").read_text(encoding="utf-8") == DATA


def test_the_tasks_input_files_are_not_overwritten(
    upstream: ScriptedUpstream, workdir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    answer = _run(
        upstream,
        workdir,
        _call("write_file", {"path": "data.csv", "content": "clobbered"}),
        _call("write_file", {"path": "./sub/../data.csv", "content": "clobbered"}),
        _call("write_file", {"path": str(outside), "content": "escaped"}),
        _call("write_file", {"path": "../outside.txt", "content": "escaped"}),
        _call("write_file", {"path": "stats.csv", "content": "city,n\n"}),
        _call("write_file", {"path": "stats.csv", "content": "city,n\nOslo,1\n"}),
        Turn(text="wrote stats.csv"),
    )
    assert answer == "wrote stats.csv"
    results = _results(upstream)
    refused = (
        "Error: data.csv is an input of the task (it was in the work directory when the task "
        "started) and is not replaced; write the result to a new file"
    )
    assert results[0] == refused
    assert results[1] == refused.replace("data.csv", "./sub/../data.csv", 1)
    outside_refused = f"Error: write_file writes inside the work directory {workdir} only"
    assert results[2:4] == [outside_refused, outside_refused]
    assert results[4:] == ["wrote 7 characters to stats.csv", "wrote 14 characters to stats.csv"]
    assert (workdir / "data.csv").read_text(encoding="utf-8") == DATA
    assert not outside.exists()
    # A file the agent wrote itself may be rewritten: only the inputs are protected.
    assert (workdir / "stats.csv").read_text(encoding="utf-8") == "city,n\nOslo,1\n"


def test_the_user_may_allow_overwriting(upstream: ScriptedUpstream, workdir: Path) -> None:
    _run(
        upstream,
        workdir,
        _call("write_file", {"path": "data.csv", "content": "city\n"}),
        Turn(text="rewrote data.csv"),
        allow_overwrite=True,
    )
    assert _results(upstream) == ["wrote 5 characters to data.csv"]
    assert (workdir / "data.csv").read_text(encoding="utf-8") == "city\n"


def test_the_command_line_with_the_shim_survives_a_bad_call(
    upstream: ScriptedUpstream,
    workdir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """main(), patched by skvm-shim: with --workdir (kept), without (a temporary one, removed)."""
    upstream.script(_call("write_file", {}), Turn(text="gave up politely"))
    argv = ["--base-url", upstream.openai_base_url, "--model", MODEL, "--workdir", str(workdir)]
    assert agent_loop.main([*argv, "Profile data.csv"]) == 0
    assert "gave up politely" in capsys.readouterr().out
    assert "Error: write_file needs" in _results(upstream)[0]
    assert (workdir / "data.csv").read_text(encoding="utf-8") == DATA

    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    upstream.script(_call("write_file", {"path": "note.txt", "content": "x"}), Turn(text="ok"))
    assert agent_loop.main(["--base-url", upstream.openai_base_url, "--model", MODEL, "t"]) == 0
    assert _results(upstream) == ["wrote 1 characters to note.txt"]
    assert list(private_tmp.iterdir()) == []
