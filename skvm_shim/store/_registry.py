"""The per-process table of open environments.

This is the one piece of module state in the store, and it cannot be avoided: LMDB forbids
opening the same environment twice in one process (its POSIX locks belong to the process, so a
second open would share the first one's locks and closing either would drop them; py-lmdb refuses
the second open outright). Every Store handle on a path therefore shares one :class:`Core`,
reference-counted by ``Store.close()``.

It also carries the fork protocol. A child must not use its parent's environment (reader slots
are registered under the parent's pid), and py-lmdb will not let it open the same files again
while the inherited environment is open. So before ``fork`` every environment is quiesced (no
transaction running, no cached reader slot); the child closes its copies (which releases nothing
the parent owns) and forgets them, and its handles reopen on their next call.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from pathlib import Path

from skvm_shim.store._env import Core, Options

log = logging.getLogger("skvm_shim.store")

_FORK_QUIESCE_SECONDS = 2.0
_EXIT_FLUSH_SECONDS = 10.0


class Registry:
    def __init__(self) -> None:
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._cores: dict[str, Core] = {}
        self._quiesced: list[Core] = []

    def acquire(self, path: Path, options: Options) -> Core:
        key = os.path.realpath(os.path.expanduser(path))
        with self._lock:
            core = self._cores.get(key)
            if core is None:
                core = Core(Path(key), options, self.pid)
                self._cores[key] = core
            core.refs += 1
            return core

    def release(self, core: Core) -> None:
        with self._lock:
            core.refs -= 1
            if core.refs > 0:
                return
            if self._cores.get(str(core.path)) is core:
                del self._cores[str(core.path)]
            # Closed under the lock so a concurrent open of the same path waits for it.
            core.close()

    def flush_all(self, timeout: float) -> None:
        with self._lock:
            cores = list(self._cores.values())
        deadline = time.monotonic() + timeout
        for core in cores:
            if core.pid != self.pid or core.disabled is not None:
                continue
            try:
                if not core.writer.flush(max(0.0, deadline - time.monotonic())):
                    log.warning("skvm-shim store at %s: exit flush timed out", core.path)
            except Exception as exc:
                log.warning("skvm-shim store at %s: exit flush failed: %s", core.path, exc)

    # -- fork protocol -----------------------------------------------------------------------

    def before_fork(self) -> None:
        self._lock.acquire()
        deadline = time.monotonic() + _FORK_QUIESCE_SECONDS
        for core in self._cores.values():
            if core.quiesce_for_fork(max(0.0, deadline - time.monotonic())):
                self._quiesced.append(core)

    def after_fork_in_parent(self) -> None:
        for core in self._quiesced:
            core.resume_after_fork()
        self._quiesced.clear()
        self._lock.release()

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()  # the parent's is held, and by a thread that is gone
        self.pid = os.getpid()
        cores, self._cores = self._cores, {}
        quiesced = {id(core) for core in self._quiesced}
        self._quiesced = []
        for core in cores.values():
            core.abandon_in_child(id(core) in quiesced)


REGISTRY = Registry()

os.register_at_fork(
    before=REGISTRY.before_fork,
    after_in_parent=REGISTRY.after_fork_in_parent,
    after_in_child=REGISTRY.after_fork_in_child,
)
atexit.register(REGISTRY.flush_all, _EXIT_FLUSH_SECONDS)
