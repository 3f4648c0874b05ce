"""The one exception the store raises for anything that is not the caller's mistake."""

from __future__ import annotations

from pathlib import Path


class StoreUnavailable(Exception):
    """The store cannot serve this call; the caller should carry on without it.

    Raised quickly, and from then on for every call, once the store is disabled (corrupt or
    unreadable files, permissions, a full disk, the map size limit). Also raised for the rare
    failure that does not disable the store (too many concurrent readers, a write-behind queue
    that is full, a handle that is closed): the pipeline treats both alike and passes the LLM call
    through.
    """

    def __init__(self, reason: str, path: Path | None = None) -> None:
        where = f" at {path}" if path is not None else ""
        super().__init__(f"skvm-shim store{where} is unavailable: {reason}")
        self.reason = reason
        self.path = path
