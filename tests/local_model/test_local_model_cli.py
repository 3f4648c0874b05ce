"""``skvm-shim local-model serve``: its options reach the server (no llama.cpp needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from skvm_shim.cli import main
from skvm_shim.local_model import command


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the foreground server with a recorder; the command's exit code is what it returns."""
    seen: list[dict[str, Any]] = []

    def fake_run_foreground(**kwargs: Any) -> int:
        seen.append(kwargs)
        return 7

    monkeypatch.setattr(command, "run_foreground", fake_run_foreground)
    return seen


def test_every_option_reaches_the_server(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    argv = ["local-model", "serve", "--port", "9123", "--model", str(gguf), "--host", "::1"]
    result = CliRunner().invoke(main, [*argv, "--n-ctx", "2048", "--threads", "3"])
    assert result.exit_code == 7, result.output
    assert calls == [{"port": 9123, "model": gguf, "host": "::1", "n_ctx": 2048, "n_threads": 3}]


def test_defaults_leave_the_thread_count_to_llama_cpp(calls: list[dict[str, Any]]) -> None:
    result = CliRunner().invoke(main, ["local-model", "serve"])
    assert result.exit_code == 7, result.output
    assert calls == [
        {"port": 8790, "model": None, "host": "127.0.0.1", "n_ctx": 8192, "n_threads": None}
    ]


@pytest.mark.parametrize("bad", ["0", "-2", "two"])
def test_a_bad_thread_count_is_refused_by_name(calls: list[dict[str, Any]], bad: str) -> None:
    result = CliRunner().invoke(main, ["local-model", "serve", "--threads", bad])
    assert result.exit_code == 2
    assert "--threads" in result.output
    assert calls == []
