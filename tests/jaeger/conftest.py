"""The Jaeger tier: one real Jaeger per test session, or a skip that says why there is none.

Which binary: ``SKVM_JAEGER_BIN`` (scripts/test.sh sets it after building), else the build
cache's (``bash scripts/jaeger.sh build`` makes it). When the build failed, scripts/test.sh
exports ``SKVM_JAEGER_UNAVAILABLE`` with go's error instead, and every test here is skipped with
it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jaeger.server import Jaeger, cached_binary, pinned_version


def _binary() -> Path:
    unavailable = os.environ.get("SKVM_JAEGER_UNAVAILABLE")
    if unavailable:
        pytest.skip(f"no Jaeger {pinned_version()} in this run: {unavailable}")
    explicit = os.environ.get("SKVM_JAEGER_BIN")
    if explicit:
        if not os.access(explicit, os.X_OK):
            pytest.fail(f"SKVM_JAEGER_BIN={explicit} is not an executable file")
        return Path(explicit)
    cached = cached_binary()
    if not os.access(cached, os.X_OK):
        pytest.skip(
            f"Jaeger {pinned_version()} is not built ({cached} is missing): run "
            "`bash scripts/jaeger.sh build` (needs Go and the Go module proxy) or set "
            "SKVM_JAEGER_BIN"
        )
    return cached


@pytest.fixture(scope="session")
def jaeger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jaeger]:
    binary = _binary()
    log = tmp_path_factory.mktemp("jaeger") / "jaeger.log"
    with Jaeger(binary, log=log) as server:
        yield server
