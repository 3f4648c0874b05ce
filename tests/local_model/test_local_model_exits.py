"""A local model server that dies is reported by how it died, with the likely cause and the fix.

The servers here are real child processes that die by a real signal: one that kills itself at
once, one that answers ``GET /v1/models`` and dies on its first completion (as a llama.cpp build
with instructions the CPU cannot run does). They need no llama.cpp, so they run everywhere.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from skvm_shim.local_model import command, server
from skvm_shim.local_model.exits import PORTABLE_REBUILD, describe_exit, exit_name, likely_cause
from skvm_shim.local_model.server import LocalModelError, LocalModelServer, _free_port, _wait_ready

# A stand-in for llama.cpp's server: lists the model, then dies by SIGNAL on a completion.
_FAKE_SERVER = textwrap.dedent(
    """
    import http.server, json, os, signal, sys

    port, sig = int(sys.argv[1]), getattr(signal, sys.argv[2])

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps({"data": [{"id": "fake-model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            print("ggml: computing the first token", flush=True)
            os.kill(os.getpid(), sig)

    print("listening", flush=True)
    http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


def _start(tmp_path: Path, code: str, *args: str) -> LocalModelServer:
    log_path = Path(tempfile.mkstemp(dir=tmp_path, suffix=".log")[1])
    script = tmp_path / "fake_server.py"
    script.write_text(code, encoding="utf-8")
    port = _free_port("127.0.0.1")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(script), str(port), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return LocalModelServer(
        f"http://127.0.0.1:{port}/v1", "fake-model", tmp_path / "m.gguf", process, log_path
    )


def test_exit_names() -> None:
    assert exit_name(-int(signal.SIGILL)) == "signal SIGILL"
    assert exit_name(-int(signal.SIGKILL)) == "signal SIGKILL"
    assert exit_name(3) == "code 3"
    assert exit_name(-250) == "signal 250"


def test_sigill_cause_names_the_portable_rebuild() -> None:
    cause = likely_cause(-int(signal.SIGILL))
    assert cause is not None
    assert "instructions" in cause
    assert PORTABLE_REBUILD in cause
    assert "-DGGML_NATIVE=OFF" in PORTABLE_REBUILD
    assert "--no-cache-dir" in PORTABLE_REBUILD  # else pip reinstalls its cached native wheel
    assert likely_cause(1) is None


def test_describe_exit_carries_the_log() -> None:
    report = describe_exit(-int(signal.SIGSEGV), "line one\nline two", "while serving")
    assert report.startswith("the local model server exited with signal SIGSEGV while serving.")
    assert report.endswith("Its last output:\nline one\nline two")
    assert describe_exit(2, "", "before answering").endswith("It wrote nothing.")


def test_death_before_answering_is_reported_with_the_signal(tmp_path: Path) -> None:
    handle = _start(tmp_path, "import os, signal; print('boom', flush=True); os.abort()")
    with pytest.raises(LocalModelError) as err:
        _wait_ready(handle, timeout=30)
    message = str(err.value)
    assert "exited with signal SIGABRT before answering" in message
    assert "boom" in message


def test_death_on_first_request_is_caught_by_the_warm_up(tmp_path: Path) -> None:
    handle = _start(tmp_path, _FAKE_SERVER, "SIGILL")
    try:
        with pytest.raises(LocalModelError) as err:
            _wait_ready(handle, timeout=30)
    finally:
        handle.stop()
    message = str(err.value)
    assert "exited with signal SIGILL on its first request" in message
    assert "Likely cause:" in message
    assert "-DGGML_NATIVE=OFF" in message
    assert "ggml: computing the first token" in message


def test_foreground_serve_reports_a_later_death(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = _start(tmp_path, _FAKE_SERVER, "SIGILL")

    def fake_serve(*args: object, **kwargs: object) -> LocalModelServer:
        # Ready: the model is listed. Then a user's first request kills it.
        for _ in range(200):
            if server._served_models(handle.base_url, timeout=1.0):
                break
            time.sleep(0.05)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import urllib.request, sys\n"
                "try:\n"
                f"    urllib.request.urlopen(urllib.request.Request('{handle.base_url}"
                "/completions', b'{}'), timeout=10)\n"
                "except Exception:\n"
                "    pass\n",
            ],
            check=False,
        )
        return handle

    monkeypatch.setattr(command, "serve", fake_serve)
    assert command.run_foreground(port=0) == 1
    err = capsys.readouterr().err
    assert "skvm-shim local-model: the local model server exited with signal SIGILL" in err
    assert "Rebuild it portable" in err
