"""Solidification settings (the on/off/shadow mode itself is ``Settings.jit``, ``SKVM_JIT``).

Environment variables:

- ``SKVM_JIT_PROMOTE``: consecutive exact sessions before a template replays (default 3).
- ``SKVM_JIT_DEMOTE``: consecutive failed replays that demote it back to shadow (default 2).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class JitConfig(BaseModel):
    model_config = ConfigDict(frozen=True)

    promote_after: int = Field(default=3, ge=1)
    demote_after: int = Field(default=2, ge=1)
    max_traces: int = Field(default=8, ge=1)
    """Traces kept per template (the first, the exemplar, and the newest)."""
    max_templates: int = Field(default=16, ge=1)
    """Templates kept per (skill set, harness, tool schema); the least useful shadow one goes."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JitConfig:
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for name, field in (
            ("SKVM_JIT_PROMOTE", "promote_after"),
            ("SKVM_JIT_DEMOTE", "demote_after"),
        ):
            raw = env.get(name, "").strip()
            if not raw:
                continue
            try:
                values[field] = int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
            if values[field] < 1:
                raise ValueError(f"{name} must be at least 1, not {raw!r}")
        return cls(**values)
