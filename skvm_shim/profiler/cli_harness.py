"""Harness-through profiling: the probes run by a real harness CLI, through the proxy.

The harness (pi) gets the probe's prompt in its own headless mode, in the probe's work
directory, with its own tools and system prompt, and talks to the proxy, which forwards to the
profiled endpoint. So the profile is per (model, harness), as the paper intends. The proxy runs
on a throwaway home with no skills and JIT off: nothing is rewritten or replayed, every call is
observed and forwarded unchanged. Each run gets a throwaway HOME, its key only through its
environment (never in a file), and HTTP(S)_PROXY set to a refused loopback port so the CLI can
reach nothing but 127.0.0.1.

Why only pi: the proxy forwards each API in its own format and does not translate between them.
pi speaks Chat Completions, Messages and Responses, so it can be profiled against any endpoint,
the local model included. Claude Code speaks only Anthropic Messages and Codex only Responses:
they need an endpoint of that kind (llama.cpp's server has neither), so they are not wired in
yet (each would be a config in a throwaway HOME, an argv and an event-stream parser, as here).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from skvm_shim.bare_agent import Api, Usage
from skvm_shim.profiler.checks import probe_env
from skvm_shim.profiler.harness import HarnessRun, Outcome, says_nothing

PI_PACKAGE = "@mariozechner/pi-coding-agent"
PI_CLI_ENV = "SKVM_PI_CLI"
KEY_ENV = "SKVM_PROFILE_API_KEY"
"""The variable pi reads the key from (its models.json names it; the file holds no key)."""
_CACHE_CLI = Path(".cache/harness-npm/node_modules") / PI_PACKAGE / "dist" / "cli.js"
_STOP_GRACE_S = 3.0
_TRANSCRIPT_CHARS = 2000


class CliUnavailable(RuntimeError):
    """The harness CLI (or node) was not found: the message says how to provide it."""


def find_pi(cli: Path | None = None) -> list[str]:
    """The argv prefix that runs pi: ``--harness-cli``, ``$SKVM_PI_CLI``, ``pi`` on PATH, or
    the copy the harness tests install under ``.cache/harness-npm``."""
    candidate = cli or (Path(os.environ[PI_CLI_ENV]) if os.environ.get(PI_CLI_ENV) else None)
    if candidate is None:
        on_path = shutil.which("pi")
        if on_path:
            return [on_path]
        candidate = Path.cwd() / _CACHE_CLI
    if not candidate.is_file():
        raise CliUnavailable(
            f"pi not found ({candidate}); install it (npm install -g {PI_PACKAGE}) or pass"
            f" --harness-cli / set {PI_CLI_ENV}"
        )
    if candidate.suffix in (".js", ".mjs", ".cjs"):
        node = shutil.which("node")
        if node is None:
            raise CliUnavailable("node is not installed (pi needs node >= 20)")
        return [node, str(candidate)]
    return [str(candidate)]


class PiHarness:
    """pi in print mode (``pi -p --mode json``) against ``base_url`` (normally the proxy)."""

    harness_id = "pi"

    def __init__(
        self,
        argv: list[str],
        *,
        base_url: str,
        api: Api,
        model: str,
        key: str,
        max_steps: int = 25,
    ) -> None:
        self.argv = argv
        self.base_url = base_url
        self.api = api
        self.model = model
        self.key = key
        self.max_steps = max_steps

    @classmethod
    @contextlib.contextmanager
    def through_proxy(
        cls,
        *,
        base_url: str,
        api: Api,
        model: str,
        key: str,
        cli: Path | None = None,
        max_steps: int = 25,
    ) -> Iterator[PiHarness]:
        """pi pointed at a proxy that forwards to ``base_url``, both running for the block."""
        argv = find_pi(cli)
        from skvm_shim.config import Settings
        from skvm_shim.proxy import ProxyServer
        from skvm_shim.runtime import Runtime

        with tempfile.TemporaryDirectory(prefix="skvm-profile-proxy-") as home:
            settings = Settings(home=Path(home), jit="off", compile=False)
            runtime = Runtime(settings)
            unused = "http://127.0.0.1:9"
            try:
                with ProxyServer(
                    upstream_openai=base_url if api == "openai" else unused,
                    upstream_anthropic=base_url if api == "anthropic" else unused,
                    runtime=runtime,
                ) as proxy:
                    root = proxy.harness_base_url("pi")
                    yield cls(
                        argv,
                        base_url=f"{root}/v1" if api == "openai" else root,
                        api=api,
                        model=model,
                        key=key,
                        max_steps=max_steps,
                    )
            finally:
                runtime.close()

    def attempt(self, prompt: str, workdir: Path, *, timeout: float) -> HarnessRun:
        with tempfile.TemporaryDirectory(prefix="skvm-pi-home-") as home, _refused_port() as dead:
            config = Path(home) / ".pi" / "agent"
            config.mkdir(parents=True)
            (config / "models.json").write_text(json.dumps(self._models()), encoding="utf-8")
            env = self._env(Path(home), dead)
            argv = [
                *self.argv, "-p", "--mode", "json", "--provider", "skvm", "--model", self.model,
                "--no-session", "--offline", "--no-skills", "--no-extensions",
                "--no-context-files", "--no-prompt-templates", "--no-themes", prompt,
            ]  # fmt: skip
            return self._run(argv, workdir, env, timeout)

    def _models(self) -> dict[str, Any]:
        api = {"openai": "openai-completions", "anthropic": "anthropic-messages"}[self.api]
        return {
            "providers": {
                "skvm": {
                    "baseUrl": self.base_url,
                    "api": api,
                    "apiKey": KEY_ENV,
                    "compat": {"supportsDeveloperRole": False, "supportsReasoningEffort": False},
                    "models": [{"id": self.model}],
                }
            }
        }

    def _env(self, home: Path, dead_port: int) -> dict[str, str]:
        env = probe_env()
        dead = f"http://127.0.0.1:{dead_port}"
        env.update(HOME=str(home), NO_COLOR="1", CI="1", TERM="dumb", PI_OFFLINE="1")
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            env[name] = env[name.lower()] = dead
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
        env[KEY_ENV] = self.key
        return env

    def _run(
        self, argv: list[str], workdir: Path, env: Mapping[str, str], timeout: float
    ) -> HarnessRun:
        started = time.monotonic()
        proc = subprocess.Popen(
            argv,
            cwd=workdir,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        events = _Events(self.max_steps)
        stderr: list[str] = []
        readers = [
            threading.Thread(target=events.consume, args=(proc, proc.stdout), daemon=True),
            threading.Thread(
                target=lambda: stderr.append(proc.stderr.read() if proc.stderr else ""), daemon=True
            ),
        ]
        for t in readers:
            t.start()
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        _stop(proc)
        for t in readers:
            t.join(timeout=5)
        duration = (time.monotonic() - started) * 1000
        outcome: Outcome
        if timed_out:
            status, outcome = "timeout", "timeout"
        elif events.ended_on_error:
            # pi gave up after an API error: as for bare-agent, a server error, an outage or a
            # refused credential says nothing about the model; a rejected request (400) does.
            status = f"error ({events.error_status})" if events.error_status else "error"
            outcome = "infra" if says_nothing(events.error_status) else "ok"
        elif events.capped:
            status, outcome = "max_steps", "ok"
        elif proc.returncode == 0:
            status, outcome = "completed", "ok"
        else:
            status, outcome = f"exit {proc.returncode}", "infra" if not events.turns else "ok"
        error = None
        if status.startswith(("exit", "error")):
            last = next((e["error"] for e in reversed(events.transcript) if "error" in e), None)
            error = last or "".join(stderr).strip()[-300:] or None
        return HarnessRun(
            outcome=outcome,
            answer=events.answer,
            status=status,
            usage=events.usage,
            llm_calls=events.turns,
            steps=events.turns,
            tool_calls=events.tool_calls,
            duration_ms=duration,
            transcript=events.transcript,
            error=error,
        )


class _Events:
    """pi's JSON event stream: assistant messages (text, tool calls, usage), tool results."""

    def __init__(self, max_steps: int) -> None:
        self.max_steps = max_steps
        self.turns = 0
        self.tool_calls = 0
        self.answer = ""
        self.usage = Usage()
        self.transcript: list[dict[str, Any]] = []
        self.capped = False
        self.ended_on_error = False
        """The last assistant message is pi's report of a failed API call."""
        self.error_status: int | None = None
        """The HTTP status that error names (None: no answer at all)."""

    def consume(self, proc: subprocess.Popen[str], stream: Any) -> None:
        for line in stream:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            self._on(event)
            if event.get("type") == "turn_end" and self.turns >= self.max_steps:
                self.capped = True  # the harness would go on; the profile's step budget ends it
                _stop(proc)
                # pi may have written the next turn before it stopped: it is past the budget.
                for _ in stream:
                    pass
                return

    def _on(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_end":
            message = event.get("message") or {}
            if message.get("role") == "assistant":
                self._assistant(message)
        elif kind == "tool_execution_end":
            result = event.get("result") or {}
            text = "".join(
                c.get("text", "") for c in result.get("content", []) if isinstance(c, dict)
            )
            self.transcript.append(
                {
                    "role": "tool",
                    "name": event.get("toolName"),
                    "ok": not event.get("isError"),
                    "content": _cut(text),
                }
            )

    def _assistant(self, message: dict[str, Any]) -> None:
        self.turns += 1
        content = message.get("content") or []
        text = "".join(c.get("text", "") for c in content if c.get("type") == "text")
        calls = [c for c in content if c.get("type") == "toolCall"]
        self.tool_calls += len(calls)
        if text.strip():
            self.answer = text
        u = message.get("usage") or {}
        self.usage = self.usage + Usage(
            input_tokens=int(u.get("input") or 0),
            output_tokens=int(u.get("output") or 0),
            cache_read_tokens=int(u.get("cacheRead") or 0),
            cache_write_tokens=int(u.get("cacheWrite") or 0),
        )
        entry: dict[str, Any] = {"role": "assistant", "content": _cut(text)}
        if calls:
            entry["tool_calls"] = [
                {"name": c.get("name"), "arguments": c.get("arguments")} for c in calls
            ]
        failed = bool(message.get("errorMessage")) or message.get("stopReason") == "error"
        self.ended_on_error = failed
        if failed:
            error = str(message.get("errorMessage") or "error")
            code = re.match(r"\s*(\d{3})\b", error)  # pi writes "<status> <body>"
            self.error_status = int(code.group(1)) if code else None
            entry["error"] = _cut(error)
        self.transcript.append(entry)


def _cut(text: str) -> str:
    return text if len(text) <= _TRANSCRIPT_CHARS else text[:_TRANSCRIPT_CHARS] + "..."


def _stop(proc: subprocess.Popen[str]) -> None:
    """End the CLI and everything it started (its process group): TERM, then KILL."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=_STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        proc.wait()


@contextlib.contextmanager
def _refused_port() -> Iterator[int]:
    """A loopback port bound but not listening: connections to it are refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
