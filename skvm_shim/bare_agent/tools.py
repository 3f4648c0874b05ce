"""The bare agent's five tools, as SkVM's bare-agent offers them, and their execution.

Names and the ``execute_command`` output envelope are the ones ``adapters.harnesses`` recognises
as ``bare-agent``. File tools are confined to the work directory (a weak model invents absolute
paths); shell commands run in it with a timeout, in their own process group, without the
caller's secrets in their environment.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import signal
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMAND_TIMEOUT_S = 30.0
MAX_COMMAND_TIMEOUT_S = 600.0
FETCH_TIMEOUT_S = 30.0
_CAPTURE_BYTES = 256 * 1024
"""What is kept of each output stream of a command; the rest is read and dropped."""
_FETCH_BYTES = 1024 * 1024
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|AUTH|CREDENTIAL", re.IGNORECASE)
_BLOCKED = re.compile(r"\b(pkill|killall)\b")

TOOL_NAMES = ("read_file", "write_file", "execute_command", "list_directory", "web_fetch")

_PATH = {"type": "string", "description": "Relative file path"}
TOOL_SPECS: tuple[dict[str, Any], ...] = (
    {
        "name": "read_file",
        "description": "Read the contents of a file at the given path relative to the working"
        " directory.",
        "parameters": {"type": "object", "properties": {"path": _PATH}, "required": ["path"]},
    },
    {
        "name": "write_file",
        "description": "Write content to a file at the given path relative to the working"
        " directory. Creates directories as needed.",
        "parameters": {
            "type": "object",
            "properties": {
                "path": _PATH,
                "content": {"type": "string", "description": "Content to write"},
            },
            "required": ["path", "content"],
        },
    },
    {
        "name": "execute_command",
        "description": "Execute a shell command in the working directory. Returns stdout,"
        " stderr, and exit code.",
        "parameters": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "Shell command to execute"},
                "timeout_seconds": {
                    "type": "number",
                    "description": "Optional timeout in seconds (default 30, max 600).",
                },
            },
            "required": ["command"],
        },
    },
    {
        "name": "list_directory",
        "description": "List files and directories at the given path relative to the working"
        " directory.",
        "parameters": {
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Relative directory path (default: '.')"}
            },
        },
    },
    {
        "name": "web_fetch",
        "description": "Fetch a URL and return the response body. Supports GET and POST.",
        "parameters": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "description": "URL to fetch"},
                "method": {"type": "string", "description": "HTTP method (default: GET)"},
                "headers": {"type": "object", "description": "Request headers"},
                "body": {"type": "string", "description": "Request body (for POST)"},
            },
            "required": ["url"],
        },
    },
)


def openai_tools() -> list[dict[str, Any]]:
    return [{"type": "function", "function": dict(spec)} for spec in TOOL_SPECS]


def anthropic_tools() -> list[dict[str, Any]]:
    return [
        {"name": s["name"], "description": s["description"], "input_schema": s["parameters"]}
        for s in TOOL_SPECS
    ]


def command_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) without variables that look like secrets.

    A model can print its environment into the transcript, and transcripts are kept.
    """
    source = os.environ if base is None else base
    return {k: v for k, v in source.items() if not _SECRET_NAME.search(k)}


@dataclass(frozen=True, slots=True)
class ToolOutcome:
    output: str
    ok: bool
    exit_code: int | None = None


class ToolBox:
    """Executes tool calls in one work directory."""

    def __init__(self, workdir: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.workdir = workdir.resolve()
        self.env = command_env(env)

    def execute(self, name: str, arguments: Mapping[str, Any], *, budget_s: float) -> ToolOutcome:
        """Run one call; never raises (a failure is an error text the model gets back)."""
        try:
            if name == "read_file":
                return self._read(_text_arg(arguments, "path"))
            if name == "write_file":
                return self._write(_text_arg(arguments, "path"), _text_arg(arguments, "content"))
            if name == "execute_command":
                return self._command(
                    _text_arg(arguments, "command"), arguments.get("timeout_seconds"), budget_s
                )
            if name == "list_directory":
                return self._list(str(arguments.get("path") or "."))
            if name == "web_fetch":
                return self._fetch(arguments, budget_s)
            return ToolOutcome(f"Unknown tool: {name}", ok=False)
        except _BadArgument as exc:
            return ToolOutcome(f"Error: {exc}", ok=False)
        except OSError as exc:
            return ToolOutcome(f"Error: {exc.strerror or exc}", ok=False)

    # -- files ---------------------------------------------------------------------------------

    def _path(self, raw: str) -> Path:
        target = (self.workdir / raw).resolve()
        if target != self.workdir and self.workdir not in target.parents:
            raise _BadArgument(f"path outside the working directory: {raw}")
        return target

    def _read(self, raw: str) -> ToolOutcome:
        path = self._path(raw)
        if not path.is_file():
            return ToolOutcome(f"Error: File not found: {raw}", ok=False)
        return ToolOutcome(path.read_bytes().decode("utf-8", errors="replace"), ok=True)

    def _write(self, raw: str, content: str) -> ToolOutcome:
        path = self._path(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return ToolOutcome(f"File written: {raw}", ok=True)

    def _list(self, raw: str) -> ToolOutcome:
        path = self._path(raw)
        if not path.is_dir():
            return ToolOutcome(f"Error: Not a directory: {raw}", ok=False)
        entries = sorted(path.iterdir(), key=lambda p: p.name)
        listing = "\n".join(f"{'[dir]' if e.is_dir() else '[file]'} {e.name}" for e in entries)
        return ToolOutcome(listing or "(empty directory)", ok=True)

    # -- commands ------------------------------------------------------------------------------

    def _command(self, command: str, requested: object, budget_s: float) -> ToolOutcome:
        if _BLOCKED.search(command):
            return ToolOutcome(
                "Error: pkill/killall are not allowed. Use `kill <PID>` to stop a specific"
                " process.",
                ok=False,
            )
        timeout = min(_timeout(requested), max(1.0, budget_s))
        proc = subprocess.Popen(
            ["sh", "-c", command],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        out, err = _Drain(proc.stdout), _Drain(proc.stderr)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return ToolOutcome(f"Error: command timed out after {timeout:.0f}s", ok=False)
        finally:
            # Children left in the background (a server the model started) end with the call.
            _kill_group(proc)
        stdout, stderr = out.text(), err.text()
        parts = [f"stdout:\n{stdout}" if stdout else "", f"stderr:\n{stderr}" if stderr else ""]
        if out.dropped or err.dropped:
            parts.append(f"(output truncated: {out.dropped + err.dropped} bytes dropped)")
        parts.append(f"exit code: {code}")
        return ToolOutcome("\n".join(p for p in parts if p), ok=code == 0, exit_code=code)

    # -- web -----------------------------------------------------------------------------------

    def _fetch(self, arguments: Mapping[str, Any], budget_s: float) -> ToolOutcome:
        url = _text_arg(arguments, "url")
        if not url.startswith(("http://", "https://")):
            raise _BadArgument(f"only http(s) URLs can be fetched: {url}")
        method = str(arguments.get("method") or "GET").upper()
        headers = arguments.get("headers") or {}
        if not isinstance(headers, Mapping):
            raise _BadArgument("headers must be an object")
        body = arguments.get("body")
        data = body.encode("utf-8") if isinstance(body, str) and body else None
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            url, data=data, method=method, headers={str(k): str(v) for k, v in headers.items()}
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        timeout = min(FETCH_TIMEOUT_S, max(1.0, budget_s))
        try:
            with opener.open(request, timeout=timeout) as response:
                status, payload = response.status, response.read(_FETCH_BYTES)
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, exc.read(_FETCH_BYTES)
        except (urllib.error.URLError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            return ToolOutcome(f"Error: fetch failed: {reason}", ok=False)
        text = payload.decode("utf-8", errors="replace")
        return ToolOutcome(f"HTTP {status}\n{text}", ok=status < 400)


class _BadArgument(ValueError):
    pass


def _text_arg(arguments: Mapping[str, Any], name: str) -> str:
    value = arguments.get(name)
    if isinstance(value, str):
        return value
    if value is None:
        raise _BadArgument(f"missing argument: {name}")
    if isinstance(value, int | float | bool):
        return json.dumps(value)
    raise _BadArgument(f"argument {name} must be a string")


def _timeout(requested: object) -> float:
    try:
        value = float(requested) if isinstance(requested, int | float | str) else 0.0
    except ValueError:
        value = 0.0
    if not math.isfinite(value) or value <= 0:
        return COMMAND_TIMEOUT_S
    return max(1.0, min(value, MAX_COMMAND_TIMEOUT_S))


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()


class _Drain:
    """Reads a pipe to its end on a thread, keeping the first bytes (a runaway command cannot
    fill memory)."""

    def __init__(self, pipe: Any) -> None:
        self._chunks: list[bytes] = []
        self._kept = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe: Any) -> None:
        with pipe:
            while chunk := pipe.read(65536):
                room = _CAPTURE_BYTES - self._kept
                if room > 0:
                    self._chunks.append(chunk[:room])
                    self._kept += min(room, len(chunk))
                self.dropped += max(0, len(chunk) - max(room, 0))

    def text(self) -> str:
        self._thread.join(timeout=2.0)
        return b"".join(self._chunks).decode("utf-8", errors="replace")
