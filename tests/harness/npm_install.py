"""Install the pinned harness CLIs from the npm registry into a cache folder of the test run.

The versions are pinned by ``tests/harness/npm/package.json`` and its lockfile (these are the
newest releases that run on node 20). ``npm ci --ignore-scripts`` installs them: no global
install and no postinstall script is needed (Claude Code is started through its
``cli-wrapper.cjs``, which finds the platform binary itself, because its postinstall, which
would copy that binary over ``bin/claude.exe``, is blocked by newer npm releases anyway).
A stamp file (hash of the manifests, node major, platform) lets later runs reuse the folder.
Within one test run every check after the install reports that install (several fixtures ask),
so the summary says "installed ... in N s" on the run that installed, and "reused" only on a run
that found the folder ready.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = Path(__file__).resolve().parent / "npm"
DEFAULT_PREFIX = ROOT / ".cache" / "harness-npm"
PREFIX_ENV = "SKVM_HARNESS_NPM_DIR"
NODE_MAJOR_MIN = 20
INSTALL_TIMEOUT_S = 1200
HARNESS_TEST_TIMEOUT_S = INSTALL_TIMEOUT_S + 300
"""pytest-timeout for a harness test: the first one also runs the install."""
STAMP = ".skvm-harness-stamp"

CLAUDE_CODE = "@anthropic-ai/claude-code"
PI = "@mariozechner/pi-coding-agent"
CODEX = "@openai/codex"


def pinned_versions() -> dict[str, str]:
    manifest = json.loads((MANIFESTS / "package.json").read_text("utf-8"))
    deps: dict[str, str] = manifest["dependencies"]
    return dict(deps)


class ToolchainMissing(Exception):
    """node or npm is absent or too old: the harness tests are skipped with this message."""


class InstallFailed(Exception):
    """npm ran but did not produce the pinned packages: the harness tests fail."""


@dataclass(frozen=True, slots=True)
class Toolchain:
    node: str
    node_version: str
    npm: str
    npm_version: str


@dataclass(frozen=True, slots=True)
class Installation:
    """The installed CLIs: where they are and how this test run got them.

    ``reused`` is False when this process ran the install (``seconds`` is how long it took),
    True when an earlier run had left them ready (``seconds`` is how long checking took).
    """

    prefix: Path
    toolchain: Toolchain
    seconds: float
    reused: bool
    versions: dict[str, str]

    def package_dir(self, package: str) -> Path:
        return self.prefix / "node_modules" / package

    def summary(self) -> str:
        how = (
            f"reused from an earlier run (checked in {self.seconds:.1f}s)"
            if self.reused
            else f"installed with `npm ci` in {self.seconds:.1f}s"
        )
        return f"harness CLIs {how} at {self.prefix}"


_INSTALLED_HERE: dict[Path, Installation] = {}
"""The installs this process ran, by prefix: later checks in the same run report them."""


def _version_of(executable: str) -> str:
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainMissing(f"`{executable} --version` failed: {exc}") from exc
    if done.returncode != 0:
        raise ToolchainMissing(f"`{executable} --version` exited {done.returncode}")
    return done.stdout.strip()


def find_toolchain() -> Toolchain:
    """node >= 20 and npm on PATH, or ToolchainMissing saying what is missing."""
    node = shutil.which("node")
    if node is None:
        raise ToolchainMissing("node is not on PATH (the harness CLIs need node >= 20)")
    npm = shutil.which("npm")
    if npm is None:
        raise ToolchainMissing("npm is not on PATH (it installs the harness CLIs)")
    node_version = _version_of(node)
    match = re.match(r"v?(\d+)\.", node_version)
    if match is None or int(match.group(1)) < NODE_MAJOR_MIN:
        raise ToolchainMissing(
            f"node {node_version} is too old: the pinned harness CLIs need node >= {NODE_MAJOR_MIN}"
        )
    return Toolchain(node=node, node_version=node_version, npm=npm, npm_version=_version_of(npm))


def install_prefix() -> Path:
    configured = os.environ.get(PREFIX_ENV)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_PREFIX


def _stamp(toolchain: Toolchain) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((MANIFESTS / name).read_bytes())
    major = toolchain.node_version.lstrip("v").split(".", 1)[0]
    return f"{digest.hexdigest()} node{major} {platform.system()}-{platform.machine()}"


def _installed_versions(prefix: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for package in pinned_versions():
        manifest = prefix / "node_modules" / package / "package.json"
        with contextlib.suppress(OSError, ValueError, KeyError):
            found[package] = str(json.loads(manifest.read_text("utf-8"))["version"])
    return found


@contextlib.contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    """One installer at a time per prefix (two test runs may share the cache folder)."""
    prefix.mkdir(parents=True, exist_ok=True)
    with (prefix / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_installed(toolchain: Toolchain, prefix: Path | None = None) -> Installation:
    """The pinned CLIs under ``prefix``, installed by ``npm ci`` unless already there."""
    prefix = prefix or install_prefix()
    pins = pinned_versions()
    started = time.monotonic()
    with _locked(prefix):
        stamp_file = prefix / STAMP
        stamp = _stamp(toolchain)
        current = stamp_file.read_text("utf-8") if stamp_file.is_file() else ""
        if current == stamp and _installed_versions(prefix) == pins:
            earlier = _INSTALLED_HERE.get(prefix)
            if earlier is not None:
                return earlier  # this run installed them: say so, not "reused"
            return Installation(prefix, toolchain, time.monotonic() - started, True, pins)
        stamp_file.unlink(missing_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(MANIFESTS / name, prefix / name)
        command = [
            toolchain.npm,
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]
        try:
            done = subprocess.run(
                command,
                cwd=prefix,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise InstallFailed(f"`npm ci` in {prefix} took over {INSTALL_TIMEOUT_S}s") from exc
        (prefix / "install.log").write_text(done.stdout + done.stderr, "utf-8")
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip()[-2000:]
            raise InstallFailed(f"`npm ci` in {prefix} exited {done.returncode}:\n{tail}")
        versions = _installed_versions(prefix)
        if versions != pins:
            raise InstallFailed(f"npm installed {versions}, expected {pins}")
        stamp_file.write_text(stamp, "utf-8")
        installation = Installation(prefix, toolchain, time.monotonic() - started, False, pins)
        _INSTALLED_HERE[prefix] = installation
        return installation
