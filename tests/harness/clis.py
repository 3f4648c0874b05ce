"""How each harness CLI is run headless against a local base URL, in a throwaway HOME.

Every run gets its own HOME (and CODEX_HOME), a project folder with the skill installed where
that CLI discovers project skills, a config pointing the CLI at ``base_url`` and a dummy key.
External traffic the CLIs attempt on their own (telemetry, update checks, feature flags) is sent
to a refused loopback port through ``HTTP(S)_PROXY``, with loopback exempt via ``NO_PROXY``, so a
run touches nothing but 127.0.0.1 even on a machine with internet access.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tests.harness.npm_install import CLAUDE_CODE, CODEX, PI, Installation

DUMMY_KEY = "sk-skvm-harness-dummy-9d2b"
"""The only credential a CLI sees; the cassette tests check it was never written anywhere."""

RUN_TIMEOUT_S = 120.0

PiApi = Literal["openai-completions", "anthropic-messages", "openai-responses"]


@dataclass(frozen=True, slots=True)
class Workspace:
    """The folders of one CLI run, all under ``root`` (a pytest tmp_path)."""

    root: Path

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def codex_home(self) -> Path:
        return self.root / "codex-home"

    @property
    def skvm_home(self) -> Path:
        return self.root / "skvm-home"

    @classmethod
    def create(cls, root: Path) -> Workspace:
        ws = cls(root)
        for folder in (ws.home, ws.project, ws.codex_home):
            folder.mkdir(parents=True, exist_ok=True)
        (ws.project / "data.csv").write_text("city,population,area\nA,100,3.5\nB,250,7.25\n")
        return ws


@dataclass(frozen=True, slots=True)
class Invocation:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path


@dataclass(frozen=True, slots=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return (
            f"exit {self.returncode} after {self.seconds:.1f}s\n--- stdout ---\n"
            f"{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"
        )


def install_skill(source: Path, skills_root: Path) -> Path:
    """Copy a skill folder into a harness's skills root; returns the installed folder."""
    target = skills_root / source.name
    shutil.copytree(source, target)
    return target


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port bound but not listening: connections to it are refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


def base_env(ws: Workspace, dead_proxy_port: int, node: str) -> dict[str, str]:
    """A minimal environment: nothing of the caller's HOME, keys or proxies leaks in."""
    dead = f"http://127.0.0.1:{dead_proxy_port}"
    path = os.pathsep.join([str(Path(node).parent), os.environ.get("PATH", "/usr/bin:/bin")])
    env = {
        "PATH": path,
        "HOME": str(ws.home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "CI": "1",
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = dead
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    return env


def claude_code(
    inst: Installation,
    ws: Workspace,
    env: dict[str, str],
    *,
    base_url: str,
    prompt: str,
    model: str,
    allowed_tools: str = "Skill",
) -> Invocation:
    """``claude -p``: the Anthropic base URL is ``base_url`` (no ``/v1``); skills in .claude/."""
    wrapper = inst.package_dir(CLAUDE_CODE) / "cli-wrapper.cjs"
    env = {
        **env,
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": DUMMY_KEY,
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_BUG_COMMAND": "1",
    }
    argv = (
        inst.toolchain.node,
        str(wrapper),
        "-p",
        prompt,
        "--model",
        model,
        "--allowedTools",
        allowed_tools,
        "--output-format",
        "text",
    )
    return Invocation(argv, env, ws.project)


def claude_skills_root(ws: Workspace) -> Path:
    return ws.project / ".claude" / "skills"


def pi(
    inst: Installation,
    ws: Workspace,
    env: dict[str, str],
    *,
    base_url: str,
    api: PiApi,
    prompt: str,
    model: str,
) -> Invocation:
    """``pi -p`` with a custom provider in ~/.pi/agent/models.json; skills in .pi/skills."""
    config_dir = ws.home / ".pi" / "agent"
    config_dir.mkdir(parents=True, exist_ok=True)
    provider_url = base_url if api == "anthropic-messages" else f"{base_url}/v1"
    models = {
        "providers": {
            "local": {
                "baseUrl": provider_url,
                "api": api,
                "apiKey": DUMMY_KEY,
                "compat": {"supportsDeveloperRole": False, "supportsReasoningEffort": False},
                "models": [{"id": model}],
            }
        }
    }
    (config_dir / "models.json").write_text(json.dumps(models, indent=2))
    cli = inst.package_dir(PI) / "dist" / "cli.js"
    argv = (inst.toolchain.node, str(cli), "-p", "--provider", "local", "--model", model, prompt)
    return Invocation(argv, dict(env), ws.project)


def pi_skills_root(ws: Workspace) -> Path:
    return ws.project / ".pi" / "skills"


def codex(
    inst: Installation,
    ws: Workspace,
    env: dict[str, str],
    *,
    base_url: str,
    prompt: str,
    model: str,
) -> Invocation:
    """``codex exec`` with a custom Responses provider in $CODEX_HOME; skills in .agents/skills."""
    config = "\n".join(
        [
            f'model = "{model}"',
            'model_provider = "local"',
            "check_for_update_on_startup = false",
            "[model_providers.local]",
            'name = "local"',
            f'base_url = "{base_url}/v1"',
            'env_key = "SKVM_HARNESS_KEY"',
            'wire_api = "responses"',
            "",
        ]
    )
    (ws.codex_home / "config.toml").write_text(config)
    env = {**env, "CODEX_HOME": str(ws.codex_home), "SKVM_HARNESS_KEY": DUMMY_KEY}
    cli = inst.package_dir(CODEX) / "bin" / "codex.js"
    argv = (
        inst.toolchain.node,
        str(cli),
        "exec",
        "--skip-git-repo-check",
        "--dangerously-bypass-approvals-and-sandbox",
        prompt,
    )
    return Invocation(argv, env, ws.project)


def codex_skills_root(ws: Workspace) -> Path:
    return ws.project / ".agents" / "skills"


def run(invocation: Invocation, timeout: float = RUN_TIMEOUT_S) -> Finished:
    """Run a CLI to completion in its own process group (killed whole on timeout).

    Claude Code's wrapper and Codex's launcher are node processes that spawn a native binary;
    killing only the launcher would leave that binary running.
    """
    started = time.monotonic()
    proc = subprocess.Popen(
        invocation.argv,
        cwd=invocation.cwd,
        env=invocation.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        stderr += f"\n[killed after {timeout:.0f}s]"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        # Whatever the CLI left behind in its group (shells it spawned) ends with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    return Finished(proc.returncode, stdout, stderr, time.monotonic() - started)
