"""The gate between transactions and changes to the environment itself.

LMDB requires that no transaction of the process is running while the map is resized or a new
sub-database handle becomes visible to other transactions. Every transaction holds the gate
shared; resizing, opening handles, closing and forking hold it exclusively.

Shared holds are re-entrant per thread and never wait for a pending exclusive holder (reader
preference): a thread inside a transaction body that reads through the store again must not
deadlock behind a resize that is itself waiting for that body to end.
"""

from __future__ import annotations

import threading


class GateBusy(RuntimeError):
    """This thread holds the gate shared, so it cannot take it exclusively."""


class Gate:
    def __init__(self) -> None:
        self._mutex = threading.Lock()  # taken directly on the fast path (cheaper than the cond)
        self._cond = threading.Condition(self._mutex)
        self._active = 0
        self._exclusive = False
        self._exclusive_waiting = 0
        self._local = threading.local()

    def enter(self) -> None:
        local = self._local
        depth: int = getattr(local, "depth", 0)
        with self._mutex:
            if not depth:
                while self._exclusive:
                    self._cond.wait()
            self._active += 1
        local.depth = depth + 1

    def leave(self) -> None:
        self._local.depth -= 1
        with self._mutex:
            self._active -= 1
            if not self._active and self._exclusive_waiting:
                self._cond.notify_all()

    def held_by_me(self) -> bool:
        return bool(getattr(self._local, "depth", 0))

    def acquire_exclusive(self, timeout: float | None = None) -> bool:
        if self.held_by_me():
            raise GateBusy("the store cannot change its environment inside a transaction body")
        with self._cond:
            self._exclusive_waiting += 1
            try:
                ok = self._cond.wait_for(lambda: not self._exclusive and not self._active, timeout)
            finally:
                self._exclusive_waiting -= 1
            if ok:
                self._exclusive = True
            return ok

    def release_exclusive(self) -> None:
        with self._cond:
            self._exclusive = False
            self._cond.notify_all()

    def __enter__(self) -> Gate:
        """Exclusive hold, without timeout."""
        self.acquire_exclusive()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release_exclusive()
