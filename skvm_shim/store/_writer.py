"""Write-behind: the request path queues writes; one thread commits them in batches.

A commit with fsync costs milliseconds; queueing costs microseconds. Queued values are visible to
``get``/``scan``/``count`` in this process until they are committed (read-your-writes), and
``flush`` waits until everything queued before it is on disk.

A batch that cannot be committed means the store is disabled: writes are never dropped while the
store still claims to work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from skvm_shim.store.errors import StoreUnavailable

if TYPE_CHECKING:
    from skvm_shim.store._env import Core, TxnCtx

log = logging.getLogger("skvm_shim.store")

_RETRY_DELAYS = (0.01, 0.1, 1.0)


@dataclass(slots=True)
class Pending:
    name: str
    key: str
    kb: bytes
    raw: bytes
    seq: int


class WriteBehind:
    def __init__(
        self,
        core: Core,
        *,
        max_pending: int = 100_000,
        batch_items: int = 1000,
        batch_bytes: int = 32 << 20,
    ) -> None:
        self._core = core
        self._max_pending = max_pending
        self._batch_items = batch_items
        self._batch_bytes = batch_bytes
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[Pending] = deque()
        self._overlay: dict[tuple[str, str], Pending] = {}
        self._queued = 0
        self._done = 0
        self._dropped_from: int | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- request path ------------------------------------------------------------------------

    def enqueue(self, name: str, key: str, kb: bytes, raw: bytes) -> None:
        with self._cond:
            if self._stopping:
                raise StoreUnavailable("it is closed", self._core.path)
            if self._queued - self._done >= self._max_pending:
                raise StoreUnavailable(
                    f"the write-behind queue is full ({self._max_pending} writes)", self._core.path
                )
            self._queued += 1
            item = Pending(name, key, kb, raw, self._queued)
            self._queue.append(item)
            self._overlay[(name, key)] = item
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="skvm-store-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def lookup(self, name: str, key: str) -> bytes | None:
        """The newest queued value for ``key``, if any (no lock: dict reads are atomic)."""
        if not self._overlay:
            return None
        item = self._overlay.get((name, key))
        return None if item is None else item.raw

    def pending(self, name: str) -> list[Pending]:
        """Snapshot of the newest queued value per key of table ``name``."""
        if not self._overlay:
            return []
        with self._cond:
            return [item for (table, _), item in self._overlay.items() if table == name]

    @property
    def backlog(self) -> int:
        return self._queued - self._done

    def flush(self, timeout: float | None = None) -> bool:
        """True once everything queued before the call is committed; False on timeout.

        Raises StoreUnavailable when some of it could not be committed (the store is disabled).
        """
        with self._cond:
            target = self._queued
            if not self._cond.wait_for(lambda: self._done >= target, timeout):
                return False
            dropped = self._dropped_from is not None and self._dropped_from <= target
        if dropped:
            raise StoreUnavailable(
                self._core.disabled or "queued writes could not be committed", self._core.path
            )
        return True

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what is queued (waiting up to ``timeout``) and end the thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- writer thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                batch: list[Pending] = []
                size = 0
                while self._queue and len(batch) < self._batch_items and size < self._batch_bytes:
                    item = self._queue.popleft()
                    batch.append(item)
                    size += len(item.raw)
            committed = self._commit(batch)
            with self._cond:
                self._done = batch[-1].seq
                if not committed and self._dropped_from is None:
                    self._dropped_from = batch[0].seq
                for item in batch:
                    slot = (item.name, item.key)
                    if self._overlay.get(slot) is item:
                        del self._overlay[slot]
                self._cond.notify_all()

    def _commit(self, batch: list[Pending]) -> bool:
        names = tuple({item.name for item in batch})

        def apply(ctx: TxnCtx) -> None:
            for item in batch:
                ctx.put(item.name, item.kb, item.raw)

        core = self._core
        for delay in (*_RETRY_DELAYS, None):
            try:
                core.write(names, apply)
                return True
            except StoreUnavailable as exc:
                if core.disabled is not None:
                    return False
                if delay is None:
                    core.disable(f"queued writes could not be committed: {exc.reason}")
                    return False
                time.sleep(delay)
            except Exception as exc:
                log.exception("skvm-shim store write-behind failed")
                core.disable(f"queued writes could not be committed: {exc!r}")
                return False
        return False
