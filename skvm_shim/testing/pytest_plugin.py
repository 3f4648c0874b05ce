"""pytest fixtures for the scripted upstream.

Register with ``pytest_plugins = ["skvm_shim.testing.pytest_plugin"]`` in the root conftest.
``upstream`` is a fresh, empty view of one server shared by the session: it is reset before each
test (queue, log, default), so starting a server costs once per session, not per test. Tests that
need their own server (another port, models, or a lifecycle test) construct ``ScriptedUpstream``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from skvm_shim.testing.upstream import ScriptedUpstream


@pytest.fixture(scope="session")
def scripted_upstream_server() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as server:
        yield server


@pytest.fixture
def upstream(scripted_upstream_server: ScriptedUpstream) -> Iterator[ScriptedUpstream]:
    scripted_upstream_server.reset()
    yield scripted_upstream_server
    scripted_upstream_server.reset()
