"""Fixtures for the harness tier: the real CLIs, installed from npm once per machine.

``harness_clis`` installs the pinned CLIs (tests/harness/npm) into ``.cache/harness-npm`` (or
``$SKVM_HARNESS_NPM_DIR``) with ``npm ci`` and reuses that folder on later runs. Without node >= 20
or npm every harness test is skipped, and the skip reason says which is missing; an npm that runs
but fails is an error, not a skip. How long the install took is printed in the summary.
"""

from __future__ import annotations

import pytest

from tests.harness.npm_install import (
    Installation,
    InstallFailed,
    ToolchainMissing,
    ensure_installed,
    find_toolchain,
)

_REPORT = pytest.StashKey[str]()
_SETTINGS_ENV = ("SKVM_HOME", "SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_JIT", "SKVM_DISABLE")


@pytest.fixture(autouse=True)
def _hermetic_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The proxy reads its settings from the environment: none of the caller's may leak in
    (``SKVM_HARNESS`` would bypass the recognition these tests check)."""
    for name in _SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def harness_clis(request: pytest.FixtureRequest) -> Installation:
    try:
        toolchain = find_toolchain()
    except ToolchainMissing as exc:
        pytest.skip(f"harness CLI tests skipped: {exc}")
    try:
        installation = ensure_installed(toolchain)
    except InstallFailed as exc:
        pytest.fail(f"installing the harness CLIs failed: {exc}", pytrace=False)
    versions = ", ".join(f"{name}@{v}" for name, v in sorted(installation.versions.items()))
    request.config.stash[_REPORT] = (
        f"{installation.summary()} "
        f"(node {toolchain.node_version}, npm {toolchain.npm_version}): {versions}"
    )
    return installation


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    report = config.stash.get(_REPORT, None)
    if report is not None:
        terminalreporter.write_sep("-", "harness CLIs")
        terminalreporter.write_line(report)
