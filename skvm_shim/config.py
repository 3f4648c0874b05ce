"""Settings: what the environment and ``patch()`` arguments say, resolved once.

Environment variables (all optional):

- ``SKVM_HOME``: state directory (store, compiled variants); default ``~/.cache/skvm-shim``.
- ``SKVM_SKILLS_PATH``: ``os.pathsep``-separated directories holding skill folders.
- ``SKVM_HARNESS``: harness id to assume instead of recognising it from the request shape.
- ``SKVM_JIT``: ``off`` | ``shadow`` | ``on`` (default ``on``).
- ``SKVM_DISABLE``: any non-empty value other than ``0`` makes ``patch()`` a no-op.
- ``SKVM_COMPILE``: ``on`` (default) | ``off``: compile skills in the background on first use.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from adapters.harnesses import HARNESS_IDS

JitMode = Literal["off", "shadow", "on"]


def default_home() -> Path:
    return Path(os.path.expanduser("~")) / ".cache" / "skvm-shim"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    home: Path = Field(default_factory=default_home)
    skills_path: tuple[Path, ...] = ()
    harness: str | None = None
    jit: JitMode = "on"
    disabled: bool = False
    compile: bool = True
    """Serve the runtime's compile requests with a background worker (``SKVM_COMPILE``)."""

    @property
    def store_path(self) -> Path:
        return self.home / "store"

    @property
    def variants_dir(self) -> Path:
        return self.home / "variants"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = env.get("SKVM_HOME")
        skills = env.get("SKVM_SKILLS_PATH", "")
        jit = env.get("SKVM_JIT", "on").strip().lower() or "on"
        if jit not in ("off", "shadow", "on"):
            raise ValueError(f"SKVM_JIT must be off, shadow or on, not {jit!r}")
        harness = env.get("SKVM_HARNESS") or None
        if harness is not None and harness not in HARNESS_IDS:
            raise ValueError(f"SKVM_HARNESS={harness!r} is not one of {', '.join(HARNESS_IDS)}")
        disabled = env.get("SKVM_DISABLE", "").strip() not in ("", "0")
        compile_mode = env.get("SKVM_COMPILE", "on").strip().lower() or "on"
        if compile_mode not in ("on", "off"):
            raise ValueError(f"SKVM_COMPILE must be on or off, not {compile_mode!r}")
        return cls(
            home=Path(home).expanduser() if home else default_home(),
            skills_path=tuple(Path(p).expanduser() for p in skills.split(os.pathsep) if p.strip()),
            harness=harness,
            jit=jit,
            disabled=disabled,
            compile=compile_mode == "on",
        )
