"""Builders shared by the wiring tests: SkVM-format profiles, profile trees, fixture skills."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compiler.primitives import PRIMITIVE_IDS

FIXTURES = Path(__file__).parent / "fixtures"
REGION_DIGEST = FIXTURES / "region-digest"

WEAK_LEVELS: dict[str, int] = {
    "gen.code.shell": 1,
    "reason.arithmetic": 1,
    "gen.code.python": 2,
    "tool.file.read": 1,
}
"""A small model: one level short on what region-digest demands."""


def profile_dict(
    levels: Mapping[str, int],
    *,
    model: str,
    harness: str = "bare-agent",
    profiled_at: str = "2026-04-06T08:43:13.409Z",
    partial: bool = False,
    default: int = 3,
) -> dict[str, Any]:
    """A SkVM-format profile where each primitive holds exactly its level (3/3 up to it, 0/3
    above), every other primitive ``default``."""
    all_levels = dict.fromkeys(PRIMITIVE_IDS, default)
    all_levels.update(levels)
    details = []
    for pid, level in all_levels.items():
        results = [
            {
                "level": f"L{i}",
                "passed": i <= level,
                "passCount": 3 if i <= level else 0,
                "totalCount": 3,
                "durationMs": 1.0,
                "costUsd": 0,
                "testDescription": f"{pid} L{i}",
                "failureDetails": [] if i <= level else ["check failed"] * 3,
            }
            for i in (1, 2, 3)
        ]
        details.append({"primitiveId": pid, "highestLevel": f"L{level}", "levelResults": results})
    return {
        "version": "1.0",
        "model": model,
        "harness": harness,
        "profiledAt": profiled_at,
        "capabilities": {pid: f"L{lvl}" for pid, lvl in all_levels.items()},
        "details": details,
        "cost": {
            "totalUsd": 0,
            "totalTokens": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0},
            "durationMs": 0,
        },
        "isPartial": partial,
    }


def write_profile(root: Path, data: Mapping[str, Any], *, name: str = "latest.json") -> Path:
    """Write ``data`` where SkVM keeps it: ``root/<harness>/<model with / as -->/<name>``."""
    folder = root / str(data["harness"]) / str(data["model"]).replace("/", "--")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def weak_tree(root: Path) -> Path:
    """A profile tree with the weak model (bare-agent) and a strong one (openclaw)."""
    write_profile(root, profile_dict(WEAK_LEVELS, model="openrouter/acme/small-9b"))
    write_profile(root, profile_dict({}, model="openrouter/acme/large-400b", harness="openclaw"))
    return root
