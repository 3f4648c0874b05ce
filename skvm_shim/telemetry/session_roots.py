"""The root span of each live session, open while the session goes on.

An OpenTelemetry span is ended once, and an agent session has no last message: the harness just
stops calling. So a session's root (``invoke_agent {harness}``, trace id = session id) is started
by its first call and kept open here, and ended with the end of the session's last call when the
session has been idle for ``idle_s`` (a background sweep), when the shim closes or the process
exits, or when more than ``max_open`` sessions are open (the least recently active first). A call
that continues a session whose root has ended (a longer pause, a restart) opens a new root
*segment* in the same trace, starting where the previous call ended (so the tool run in between
falls inside it) and linked to the previous root. Every span of a session thus lies within its
root. A process that dies without exiting loses its open roots; their children keep their trace.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry.trace import Span, Tracer

from skvm_shim.telemetry.spans import end_span, start_session_root

log = logging.getLogger("skvm_shim.telemetry")

IDLE_S = 300.0
"""A session with no call for this long is taken as ended (a later call opens a new segment)."""
MAX_OPEN = 4096
_STUCK_FACTOR = 12
"""A call never reported as ended (an unread stream) stops holding its root after this many
idle periods."""


@dataclass(slots=True)
class _Open:
    span: Span
    span_id: int
    start_ns: int
    last_ns: int
    inflight: int = 1


class SessionRoots:
    """Open session root spans, ended when their session goes quiet or the shim stops."""

    def __init__(
        self,
        tracer: Tracer,
        *,
        idle_s: float = IDLE_S,
        max_open: int = MAX_OPEN,
        clock: Callable[[], int] = time.time_ns,
        sweep: bool = True,
    ) -> None:
        self._tracer = tracer
        self._idle_ns = int(idle_s * 1e9)
        self._max_open = max_open
        self._clock = clock
        self._lock = threading.Lock()
        self._open: OrderedDict[str, _Open] = OrderedDict()
        self._closed = False
        self._stop = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._sweep = sweep
        self._interval = max(0.05, min(idle_s / 4, 30.0))
        atexit.register(_close_at_exit, weakref.ref(self))

    def call_started(
        self,
        session_id: str,
        harness: str,
        start_ns: int,
        *,
        previous_root: int | None = None,
        resume_from_ns: int | None = None,
    ) -> int | None:
        """A call of ``session_id`` begins: the span id of the root to parent it under.

        Opens the root when the session has none open here: a new session (``previous_root``
        None), or a continued one whose root ended, whose new segment starts at
        ``resume_from_ns`` (the end of its previous call) and links to ``previous_root``.
        """
        evicted: list[_Open] = []
        with self._lock:
            entry = self._open.get(session_id)
            if entry is not None:
                entry.inflight += 1
                entry.last_ns = max(entry.last_ns, start_ns)
                self._open.move_to_end(session_id)
                return entry.span_id
            if self._closed:
                return previous_root
            # Started under the lock (starting records, it exports nothing), so two first calls
            # of one session cannot open two roots.
            begin_ns = min(resume_from_ns or start_ns, start_ns)
            span, span_id = start_session_root(
                self._tracer,
                session_id=session_id,
                harness=harness,
                start_ns=begin_ns,
                previous_root=previous_root,
            )
            if span is None or span_id is None:
                return previous_root
            self._open[session_id] = _Open(span, span_id, begin_ns, start_ns)
            while len(self._open) > self._max_open:
                evicted.append(self._open.popitem(last=False)[1])
            sweeper = None
            if self._sweep and self._sweeper is None:
                sweeper = self._sweeper = threading.Thread(
                    target=_sweep_loop,
                    args=(weakref.ref(self), self._stop, self._interval),
                    name="skvm-session-roots",
                    daemon=True,
                )
        if sweeper is not None:
            sweeper.start()
        for old in evicted:
            self._end(old)  # outside the lock: ending exports
        return span_id

    def call_ended(self, session_id: str, end_ns: int) -> None:
        """A call of ``session_id`` ended at ``end_ns``."""
        with self._lock:
            entry = self._open.get(session_id)
            if entry is not None:
                entry.inflight = max(0, entry.inflight - 1)
                entry.last_ns = max(entry.last_ns, end_ns)

    def is_open(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._open

    def sweep(self, now_ns: int | None = None) -> int:
        """End the roots of sessions idle for ``idle_s``; returns how many ended."""
        now = self._clock() if now_ns is None else now_ns
        stuck_ns = self._idle_ns * _STUCK_FACTOR
        with self._lock:
            idle = [
                sid
                for sid, e in self._open.items()
                if now - e.last_ns >= (self._idle_ns if e.inflight == 0 else stuck_ns)
            ]
            ended = [self._open.pop(sid) for sid in idle]
        for entry in ended:
            self._end(entry)
        return len(ended)

    def close(self) -> None:
        """End every open root (the shim stops); later calls open no new ones."""
        with self._lock:
            self._closed = True
            ended = list(self._open.values())
            self._open.clear()
        self._stop.set()
        now = self._clock()
        for entry in ended:
            self._end(entry, now_ns=now if entry.inflight else None)

    def _end(self, entry: _Open, *, now_ns: int | None = None) -> None:
        """End at the session's last activity (``now_ns`` when a call is still in flight)."""
        end_span(entry.span, end_ns=max(now_ns or entry.last_ns, entry.start_ns))


def _sweep_loop(ref: weakref.ref[SessionRoots], stop: threading.Event, interval: float) -> None:
    """Sweep until the roots are closed or garbage (the thread holds no strong reference)."""
    while not stop.wait(interval):
        roots = ref()
        if roots is None:
            return
        try:
            roots.sweep()
        except Exception:
            log.debug("session root sweep failed", exc_info=True)
        del roots


def _close_at_exit(ref: weakref.ref[SessionRoots]) -> None:
    roots = ref()
    if roots is not None:
        with contextlib.suppress(Exception):
            roots.close()
