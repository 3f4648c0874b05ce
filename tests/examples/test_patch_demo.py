"""examples/patch_demo.py (``skvm-shim demo`` as a script) runs, and leaves nothing behind in the
temporary folder, also when it fails halfway."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

import skvm_shim
from skvm_shim.demo import DemoOptions, run_demo
from skvm_shim.demo import run as demo_run

DEMO = Path(__file__).resolve().parents[2] / "examples" / "patch_demo.py"

pytest.importorskip("openai", reason="the openai SDK is not installed here")


def _private_tmp(tmp_path: Path) -> Path:
    path = tmp_path / "private-tmp"
    path.mkdir()
    return path


def test_the_demo_runs_and_removes_its_temporary_folders(tmp_path: Path) -> None:
    private = _private_tmp(tmp_path)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SKVM_") and k != "OPENAI_API_KEY"
    }
    done = subprocess.run(
        [sys.executable, str(DEMO), "--backend", "scripted", "--rounds", "1", "--tasks", "1"],
        env={**env, "TMPDIR": str(private), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "BACKEND: SCRIPTED" in done.stdout
    assert "skill line-count@" in done.stdout  # the shim detected the skill in the request
    assert "✓ correct" in done.stdout
    assert list(private.iterdir()) == []


def test_a_failing_demo_still_removes_its_folders_and_unpatches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private = _private_tmp(tmp_path)
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    seen: list[Path] = []

    def failing(*args: Any, parent: Path, **kwargs: Any) -> Any:
        seen.append(parent)
        assert skvm_shim.current() is not None  # mid-run: patched
        raise RuntimeError("the demo broke")

    monkeypatch.setattr(demo_run, "run_session", failing)
    with open(os.devnull, "w") as sink, pytest.raises(RuntimeError, match="the demo broke"):
        run_demo(DemoOptions(backend="scripted"), Console(file=sink))
    assert [p.parent for p in seen] == [private]
    assert list(private.iterdir()) == []
    assert skvm_shim.current() is None  # unpatched on the way out
