"""The background-thread runner, the command line and the pytest plugin."""

from __future__ import annotations

import gc
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx2
import openai
import pytest

from skvm_shim.testing import ScriptedUpstream, Turn
from skvm_shim.testing.upstream import main


def _open_sockets() -> int:
    fds = Path("/proc/self/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count


def _runner_threads(port: int) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"scripted-upstream:{port}"]


def test_start_is_fast_and_serves_at_once() -> None:
    started = time.perf_counter()
    with ScriptedUpstream("first") as up:
        elapsed = time.perf_counter() - started
        assert elapsed < 0.5
        assert httpx2.get(f"{up.base_url}/healthz").json() == {"status": "ok"}
        assert up.openai_base_url == f"http://127.0.0.1:{up.port}/v1"
        assert up.anthropic_base_url == up.base_url


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to count sockets")
def test_stop_releases_thread_and_sockets() -> None:
    gc.collect()
    sockets_before = _open_sockets()
    up = ScriptedUpstream("x")
    up.start()
    client = httpx2.Client(base_url=up.base_url)
    assert client.post("/v1/chat/completions", json={"model": "m"}).status_code == 200
    port = up.port
    assert len(_runner_threads(port)) == 1
    up.stop()  # with the client's keep-alive connection still open
    client.close()
    gc.collect()
    assert _runner_threads(port) == []
    assert _open_sockets() == sockets_before
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"http://127.0.0.1:{port}/healthz")
    up.stop()  # idempotent


def test_sequential_requests_do_not_stall() -> None:
    """A server socket without TCP_NODELAY made each request wait ~40 ms for a delayed ACK."""
    with ScriptedUpstream(Turn(text="fast", repeat=True)) as up:
        connection = http.client.HTTPConnection("127.0.0.1", up.port)
        body = json.dumps({"model": "m", "stream": True}).encode()
        started = time.perf_counter()
        for _ in range(20):
            connection.request("POST", "/v1/chat/completions", body)
            connection.getresponse().read()
        elapsed = time.perf_counter() - started
        connection.close()
    assert elapsed < 0.6  # about 0.02 s here; 0.8 s or more with the stall


def test_log_can_be_bounded() -> None:
    with ScriptedUpstream(max_log=3) as up, httpx2.Client(base_url=up.base_url) as client:
        for index in range(5):
            client.post("/v1/chat/completions", json={"model": f"m{index}"})
        assert [r.body["model"] for r in up.requests] == ["m2", "m3", "m4"]


def test_start_twice_is_an_error() -> None:
    with ScriptedUpstream() as up, pytest.raises(RuntimeError, match="already running"):
        up.start()


def test_stop_does_not_wait_for_a_stream_left_open() -> None:
    up = ScriptedUpstream(Turn(text="x" * 100, stream_deltas=100, chunk_delay_ms=50)).start()
    client = httpx2.Client(base_url=up.base_url)
    with client.stream("POST", "/v1/chat/completions", json={"stream": True}) as response:
        next(response.iter_bytes())
        started = time.perf_counter()
        up.stop()
        assert time.perf_counter() - started < 3
    client.close()
    assert _runner_threads(up.port) == []


def test_given_port_and_port_in_use() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with ScriptedUpstream(port=port) as up:
        assert up.base_url == f"http://127.0.0.1:{port}"
        with pytest.raises(OSError):
            ScriptedUpstream(port=port).start()


def test_concurrent_clients_are_routed_by_match() -> None:
    workers = 6
    turns = [Turn(text=f"answer for worker-{i}", match=f"worker-{i}") for i in range(workers)]
    random.Random(7).shuffle(turns)
    answers: dict[int, str | None] = {}

    with ScriptedUpstream(*turns) as up:

        def ask(worker: int) -> None:
            with openai.OpenAI(base_url=up.openai_base_url, api_key="k", max_retries=0) as client:
                completion = client.chat.completions.create(
                    model="m", messages=[{"role": "user", "content": f"I am worker-{worker}"}]
                )
                answers[worker] = completion.choices[0].message.content

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert answers == {i: f"answer for worker-{i}" for i in range(workers)}
        assert len(up.requests) == workers
        assert up.pending == []


def test_last_request_without_requests() -> None:
    up = ScriptedUpstream()  # never started: the app and its log exist already
    with pytest.raises(LookupError):
        _ = up.last_request


def test_the_double_does_not_import_the_project_codecs() -> None:
    """Independence: the double renders with its own code, never with ``adapters``."""
    code = (
        "import sys\n"
        "import skvm_shim.testing.pytest_plugin, skvm_shim.testing.upstream\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('adapters', 'compiler')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"


def test_cli_refuses_non_loopback_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_cli_serves_a_script_file(tmp_path: Path) -> None:
    script = tmp_path / "turns.json"
    script.write_text(json.dumps({"turns": ["from file"], "default": "file default"}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "skvm_shim.testing.upstream",
            "--port",
            "0",
            "--script",
            str(script),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with httpx2.Client(base_url=url) as http:
            first = http.post("/v1/messages", json={"model": "c"}).json()
            assert first["content"][0]["text"] == "from file"
            second = http.post("/v1/messages", json={"model": "c"}).json()
            assert second["content"][0]["text"] == "file default"
            http.post("/_script", json=["posted"])
            third = http.post("/v1/chat/completions", json={"model": "m"}).json()
            assert third["choices"][0]["message"]["content"] == "posted"
            assert len(http.get("/_requests").json()) == 3
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Warning" not in stderr  # no runpy double-import warning, no tracebacks
    assert "Traceback" not in stderr


def test_cli_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "skvm_shim.testing"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert httpx2.get(f"{url}/healthz").status_code == 200
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    # uvicorn shuts down gracefully, then re-raises the signal so the parent sees it.
    assert process.returncode == -signal.SIGTERM
    assert "Traceback" not in stderr


def test_pytest_plugin_fixture_resets_between_tests(tmp_path: Path) -> None:
    (tmp_path / "test_uses_plugin.py").write_text(
        textwrap.dedent(
            """
            import httpx2

            def test_first(upstream):
                upstream.script("left over", "also left over")
                reply = httpx2.post(upstream.base_url + "/v1/messages", json={"model": "c"})
                assert reply.json()["content"][0]["text"] == "left over"

            def test_second(upstream):
                assert upstream.pending == []
                assert upstream.requests == []
                reply = httpx2.post(upstream.base_url + "/v1/messages", json={"model": "c"})
                assert "no turn scripted" in reply.text
            """
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "skvm_shim.testing.pytest_plugin",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            "-c",
            os.devnull,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
