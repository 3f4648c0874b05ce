"""The harness tier's install report tells the truth: "installed in N s" on the run that ran
``npm ci`` (however many fixtures ask afterwards), "reused" only on a run that found it ready.

A stand-in ``npm`` (a script that lays out the pinned packages as ``npm ci`` would) keeps this
fast and offline; the real install is exercised by the harness tests themselves.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from tests.harness import npm_install
from tests.harness.npm_install import Toolchain, ensure_installed, pinned_versions

_FAKE_NPM = """#!{python}
import json, pathlib, sys, time
assert sys.argv[1] == "ci", sys.argv
with open({log!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
time.sleep(0.2)
deps = json.loads(pathlib.Path("package.json").read_text())["dependencies"]
for name, version in deps.items():
    folder = pathlib.Path("node_modules", name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps({{"name": name, "version": version}}))
"""


@pytest.fixture
def toolchain(tmp_path: Path) -> tuple[Toolchain, Path]:
    log = tmp_path / "npm-calls.log"
    npm = tmp_path / "npm"
    npm.write_text(_FAKE_NPM.format(python=sys.executable, log=str(log)), encoding="utf-8")
    npm.chmod(npm.stat().st_mode | stat.S_IXUSR)
    return Toolchain(node="node", node_version="v20.11.1", npm=str(npm), npm_version="10.2.4"), log


def _npm_runs(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def test_the_run_that_installed_says_installed(
    toolchain: tuple[Toolchain, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(npm_install, "_INSTALLED_HERE", {})
    chain, log = toolchain
    prefix = tmp_path / "prefix"

    first = ensure_installed(chain, prefix)
    assert (first.reused, _npm_runs(log)) == (False, 1)
    assert first.versions == pinned_versions()
    assert first.seconds >= 0.2  # the stand-in npm takes at least that long
    assert first.summary().startswith(
        f"harness CLIs installed with `npm ci` in {first.seconds:.1f}s"
    )

    # Another fixture of the same run checks again (the JIT and profiler tiers do): the folder is
    # ready, npm does not run, and the report is still the install's, not "reused in 0.0s".
    again = ensure_installed(chain, prefix)
    assert _npm_runs(log) == 1
    assert again == first
    assert "reused" not in again.summary()

    # A later run (a new process) finds the folder ready and says so.
    monkeypatch.setattr(npm_install, "_INSTALLED_HERE", {})
    later = ensure_installed(chain, prefix)
    assert (later.reused, _npm_runs(log)) == (True, 1)
    assert later.summary().startswith("harness CLIs reused from an earlier run (checked in ")
    assert "installed with" not in later.summary()
