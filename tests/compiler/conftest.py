"""Shared helpers for the compiler tests: fixture paths, profile and skill builders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from compiler import TCP, SkillSource, parse_skill, read_profile_folder
from compiler.primitives import PRIMITIVE_IDS

FIXTURES = Path(__file__).parent / "fixtures"
SKILLS = FIXTURES / "skills"
PROFILES = FIXTURES / "profiles"
GOLDEN = FIXTURES / "golden"


def _profile_dict(
    counts: Mapping[str, tuple[int, int, int]],
    *,
    model: str = "acme/test-model",
    harness: str = "bare-agent",
    profiled_at: str = "2026-05-01T10:00:00.000Z",
    failure: Callable[[str, int], str] | None = None,
    default: tuple[int, int, int] | None = (3, 3, 3),
) -> dict[str, Any]:
    """A SkVM-format profile with per-level pass counts (out of 3) for every primitive."""
    levels = dict.fromkeys(PRIMITIVE_IDS, default) if default is not None else {}
    levels.update(counts)
    details, caps = [], {}
    for pid, per_level in levels.items():
        results = []
        for i, c in enumerate(per_level, start=1):
            why = failure(pid, i) if failure else f"check failed ({pid} L{i})"
            results.append(
                {
                    "level": f"L{i}",
                    "passed": c == 3,
                    "passCount": c,
                    "totalCount": 3,
                    "durationMs": 1.0,
                    "costUsd": 0,
                    "testDescription": f"{pid} L{i}",
                    "failureDetails": [why] * (3 - c),
                }
            )
        highest = max((i for i, c in enumerate(per_level, start=1) if c == 3), default=0)
        caps[pid] = f"L{highest}"
        details.append({"primitiveId": pid, "highestLevel": f"L{highest}", "levelResults": results})
    return {
        "version": "1.0",
        "model": model,
        "harness": harness,
        "profiledAt": profiled_at,
        "capabilities": caps,
        "details": details,
        "cost": {
            "totalUsd": 0,
            "totalTokens": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
            "durationMs": 0,
        },
        "isPartial": False,
    }


def _make_tcp(levels: Mapping[str, int] | None = None, **kwargs: Any) -> TCP:
    """A clean (monotone) profile where each listed primitive holds exactly the given level."""
    counts = {
        pid: tuple(3 if i <= lvl else 0 for i in (1, 2, 3)) for pid, lvl in (levels or {}).items()
    }
    return TCP.model_validate(_profile_dict(counts, **kwargs))  # type: ignore[arg-type]


def _skill(text: str, bundle: Mapping[str, bytes] | None = None) -> SkillSource:
    """A skill from Markdown body text (frontmatter added)."""
    if not text.startswith("---"):
        text = "---\nname: t\ndescription: test skill\n---\n\n" + text
    return parse_skill(text, bundle)


@pytest.fixture(scope="session")
def tiny_tcp() -> TCP:
    return read_profile_folder(PROFILES / "bare-agent" / "acme--tiny-1b")


@pytest.fixture(scope="session")
def big_tcp() -> TCP:
    return read_profile_folder(PROFILES / "bare-agent" / "acme--big-400b")


@pytest.fixture(scope="session")
def make_profile_dict() -> Callable[..., dict[str, Any]]:
    return _profile_dict


@pytest.fixture(scope="session")
def make_tcp() -> Callable[..., TCP]:
    return _make_tcp


@pytest.fixture(scope="session")
def make_skill() -> Callable[..., SkillSource]:
    return _skill


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
