"""Test-wide settings.

Hypothesis runs without per-example deadlines: CI machines have 2 cores shared with servers the
tests start, so wall-clock deadlines would measure the machine, not the code.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["skvm_shim.testing.pytest_plugin"]

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- cassettes (vcrpy via pytest-recording) ------------------------------------------------------
import pathlib  # noqa: E402

import pytest  # noqa: E402

from skvm_shim.testing.cassettes import VCR_CONFIG, json_body_matcher  # noqa: E402

CASSETTES = pathlib.Path(__file__).resolve().parent.parent / "cassettes"


def pytest_recording_configure(config: pytest.Config, vcr: object) -> None:
    vcr.register_matcher("json_body", json_body_matcher)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, object]:
    return dict(VCR_CONFIG)


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])
