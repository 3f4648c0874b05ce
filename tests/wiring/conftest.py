"""Fixtures for the wiring tests: a store in a temporary home, a presence probe."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from skvm_shim.store import Store


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "skvm-home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = Store.open(home / "store", sync=False)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's own settings must not leak into a test."""
    for name in ("SKVM_HOME", "SKVM_SKILLS_PATH", "SKVM_HARNESS", "SKVM_COMPILE", "SKVM_DISABLE"):
        monkeypatch.delenv(name, raising=False)
