"""A background thread for the store writes a replayed step causes, in order.

A replay must answer in about a millisecond; a store commit (fsync) can take longer on a real
disk. Counting a successful replay can wait, so it is queued; a failed one is queued too (to keep
the order: a success queued earlier must not reset the count after it) and waited for, because
the demotion it may cause has to hold before the next session is answered. The thread ends after
a while without work (a process that starts many shims, such as a test suite, keeps none idle)
and starts again with the next job.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("skvm_shim.jit")

Job = tuple[Callable[[], object], threading.Event | None]
IDLE_S = 10.0


class BackgroundWriter:
    def __init__(self, name: str = "skvm-jit-writer") -> None:
        self._name = name
        self._queue: queue.Queue[Job] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], object], *, wait: bool = False, timeout: float = 5.0) -> None:
        """Run ``fn`` on the writer thread after everything submitted before it."""
        done = threading.Event() if wait else None
        self._put((fn, done))
        if done is not None:
            done.wait(timeout)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted so far has run."""
        done = threading.Event()
        self._put((lambda: None, done))
        return done.wait(timeout)

    def _put(self, job: Job) -> None:
        # Under the lock the thread uses to decide to end: a job is never left without one.
        with self._lock:
            self._queue.put(job)
            if self._thread is None or not self._thread.is_alive():
                # A daemon: a process that exits without closing the shim loses at most the
                # last few counter updates, never a decision.
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                fn, done = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                fn()
            except Exception:
                log.debug("skvm-shim: JIT state write failed", exc_info=True)
            finally:
                if done is not None:
                    done.set()
