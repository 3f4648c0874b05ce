"""Offline verification of a store's data file (for ``skvm-shim`` diagnostics)."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from lmdb import verify as _verify


def check_store(path: Path | str) -> list[str]:
    """Problems found by walking ``data.mdb`` without opening it through LMDB; [] if sound.

    Safe on a damaged file (pure Python, never maps it). Reads the whole file: for a command,
    not for the request path. Meaningful only while no process writes to the store.
    """
    try:
        found = _verify.verify(str(path), subdir=True)  # type: ignore[no-untyped-call]
    except _verify.VerifyError as exc:
        return [str(exc)]
    except OSError as exc:
        return [f"cannot read {Path(path) / 'data.mdb'}: {exc}"]
    return [str(problem) for problem in cast("list[object]", found)]
