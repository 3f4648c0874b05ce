"""The background compile worker: serves the runtime's compile requests off the request path.

The pipeline calls :meth:`CompileWorker.submit` when a detected skill has no variant set for
(skill, model, harness); ``submit`` only enqueues (bounded, deduplicated) and returns. One daemon
thread compiles with the stored profile the lookup finds (passes 1-3) and publishes only a variant
whose text differs from the original. Without a profile nothing is compiled (a ``no-profile``
event; the key stays unknown, so a runtime started after a profile import compiles it). Every
outcome is appended to the store's ``events`` table under ``compile``. Nothing it does can raise
into the runtime: faults become ``failed`` events.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler import SkillLoadError, SkillSource, load_skill_dir, parse_skill
from skvm_shim.compilation.publish import (
    CompileInputError,
    CompileOutcome,
    compile_and_publish,
    compile_job,
    no_profile_reason,
)
from skvm_shim.profiles_store import ProfileStore
from skvm_shim.records import EVENTS, VARIANT_SETS, CompileRequest, Event
from skvm_shim.skills.model import Skill, SkillParseError
from skvm_shim.skills.registry import SkillRegistry
from skvm_shim.store import Store, StoreUnavailable, join_key

log = logging.getLogger("skvm_shim.compile")

EVENT_UNDER = "compile"
"""Events are appended under this key: ``store.scan(EVENTS, key_prefix(EVENT_UNDER))``."""

_STOP = object()


class CompileWorker:
    """A bounded queue of compile requests and the thread that serves them."""

    def __init__(
        self,
        *,
        store: Store,
        registry: SkillRegistry,
        variants_dir: Path,
        profiles: ProfileStore | None = None,
        max_queue: int = 64,
        compile_fn: Callable[..., CompileOutcome] = compile_and_publish,
    ) -> None:
        self.store = store
        self.registry = registry
        self.variants_dir = variants_dir
        # Re-listed on every compile (parsed profiles are cached by id): an import by another
        # process is seen at once, and compiles are rare.
        self.profiles = profiles if profiles is not None else ProfileStore(store, ttl_seconds=0)
        self._compile = compile_fn
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- the runtime side ------------------------------------------------------------------------

    def submit(self, request: CompileRequest) -> bool:
        """Enqueue ``request``; False when it is a duplicate, the queue is full or stopped.

        Called on the request path: never blocks, never raises.
        """
        try:
            key = _key(request)
            with self._lock:
                if self._stopping or key in self._pending:
                    return False
                self._pending.add(key)
            try:
                self._queue.put_nowait(request)
            except queue.Full:
                with self._lock:
                    self._pending.discard(key)
                self._event("dropped", request, reason="compile queue full")
                return False
            return True
        except Exception:
            log.debug("skvm-shim: compile request not queued", exc_info=True)
            return False

    def start(self) -> CompileWorker:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="skvm-shim-compile", daemon=True
                )
                self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the compile in progress. Queued requests are dropped: they stay in the
        store's ``compile_requests`` table, and the next runtime that sees the skill asks again."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        if thread is None:
            return
        while True:
            try:
                dropped = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(dropped, CompileRequest):
                with self._idle:
                    self._pending.discard(_key(dropped))
                    self._idle.notify_all()
        with contextlib.suppress(queue.Full):  # just drained: there is room
            self._queue.put_nowait(_STOP)
        thread.join(timeout)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or compiling (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- the worker thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            assert isinstance(item, CompileRequest)
            key = _key(item)
            with self._lock:
                self._busy += 1
            try:
                self._serve(item)
            except Exception as exc:  # the worker must outlive any fault
                log.warning("skvm-shim: compile of %s failed: %s", item.skill_name, exc)
                self._event("failed", item, reason=f"{type(exc).__name__}: {exc}")
            finally:
                with self._idle:
                    self._busy -= 1
                    self._pending.discard(key)
                    self._idle.notify_all()

    def _serve(self, request: CompileRequest) -> None:
        if self.store.get(VARIANT_SETS, _key(request)) is not None:
            self._event("skipped", request, reason="a variant set exists (compiled elsewhere)")
            return
        skill = self.registry.get(request.skill_hash)
        if skill is None:
            self._event("skipped", request, reason="skill text unknown to this runtime")
            return
        start = time.perf_counter()
        try:
            source = _source_of(skill)
            job = compile_job(
                source,
                model=request.model,
                harness=request.harness,
                store=self.store,
                profiles=self.profiles,
            )
        except (CompileInputError, SkillLoadError) as exc:
            self._event("failed", request, reason=str(exc))
            return
        if job.tcp is None:
            # Nothing to compile against, and nothing recorded: once a profile is imported, the
            # next runtime that sees the skill asks again and gets a compiled variant.
            self._event("no-profile", request, reason=no_profile_reason(job), profile_match="none")
            return
        outcome = self._compile(
            job,
            store=self.store,
            variants_dir=self.variants_dir,
            reason="compiled on first use",
            origin="worker",
        )
        self._event(
            outcome.status,
            request,
            reason=outcome.reason,
            variant_id=outcome.variant_id,
            folder=str(outcome.folder) if outcome.folder is not None else None,
            profile_id=job.tcp.profile_id if job.tcp is not None else None,
            profile_match=job.profile_kind,
            passes=list(job.passes),
            edits=len(outcome.result.edits),
            ms=round((time.perf_counter() - start) * 1000, 3),
        )

    def _event(self, outcome: str, request: CompileRequest, **data: Any) -> None:
        try:
            self.store.append_later(
                EVENTS,
                Event(
                    kind="compile",
                    data={
                        "outcome": outcome,
                        "skill_hash": request.skill_hash,
                        "skill_name": request.skill_name,
                        "model": request.model,
                        "harness": request.harness,
                        **data,
                    },
                ),
                under=EVENT_UNDER,
            )
        except (StoreUnavailable, ValueError, TypeError):
            log.debug("skvm-shim: compile event not recorded", exc_info=True)


def _key(request: CompileRequest) -> str:
    return join_key(request.skill_hash, request.model, request.harness)


def _source_of(skill: Skill) -> SkillSource:
    """The compiler's view of a runtime skill: its folder with the bundle when the folder still
    holds the same SKILL.md, else the text alone (a skill seen only in traffic)."""
    if skill.location:
        folder = Path(skill.location)
        if (folder / "SKILL.md").is_file():
            try:
                loaded = load_skill_dir(folder)
                if Skill.parse(loaded.skill_md).hash == skill.hash:
                    return loaded
            except (SkillLoadError, SkillParseError):
                pass
    return parse_skill(skill.text, name=skill.name, origin=skill.location)
