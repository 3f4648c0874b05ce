"""The scripted upstream's mutable state: the turn queue and the request log, behind one lock.

The app runs on the server's event-loop thread while tests script turns and read the log from
theirs, so every access goes through ``_lock``. The log lives in memory only: it holds auth headers
as received, and must never be written anywhere.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from skvm_shim.testing.script import NO_TURN_TEXT, Turn


class RecordedRequest(BaseModel):
    """One request the upstream received, and which turn answered it."""

    model_config = ConfigDict(frozen=True)

    time: float
    method: str
    path: str
    query: str
    headers: dict[str, str]
    """Lower-cased names; repeated headers joined with ``", "``."""
    body: Any
    """The parsed JSON body, the raw text when it is not JSON, or None when empty."""
    endpoint: str
    """``chat``, ``responses``, ``messages``, ``count_tokens``, ``models`` or ``unknown``."""
    stream: bool = False
    turn_index: int | None = None
    """The answering turn's position in the script, 0-based since the last reset; None: default."""
    turn: Turn | None = None


class _BodyView:
    """The request body as ``match``/``match_regex`` see it; string values are collected lazily."""

    def __init__(self, raw: str, parsed: Any) -> None:
        self.raw = raw
        self._parsed = parsed
        self._strings: list[str] | None = None

    def _texts(self) -> Iterator[str]:
        yield self.raw
        if self._strings is None:
            self._strings = list(_strings(self._parsed))
        yield from self._strings

    def contains(self, needle: str) -> bool:
        return any(needle in text for text in self._texts())

    def search(self, pattern: str) -> bool:
        return any(re.search(pattern, text) for text in self._texts())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _accepts(turn: Turn, endpoint: str, body: _BodyView) -> bool:
    if turn.endpoint is not None and turn.endpoint != endpoint:
        return False
    if turn.match is not None and not body.contains(turn.match):
        return False
    return turn.match_regex is None or body.search(turn.match_regex)


class UpstreamState:
    """Turn queue, default turn and request log of one scripted upstream (thread-safe)."""

    def __init__(
        self, turns: Iterable[Turn] = (), default: Turn | None = None, max_log: int | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._initial_default = default or Turn(text=NO_TURN_TEXT)
        self._default = self._initial_default
        self._queue: list[tuple[int, Turn]] = []
        self._next_index = 0
        # Bounded for long benchmarks with repeat turns; unbounded by default.
        self._log: deque[RecordedRequest] = deque(maxlen=max_log)
        self.add(turns)

    def add(self, turns: Iterable[Turn]) -> int:
        """Append turns; returns how many are now queued."""
        with self._lock:
            for turn in turns:
                self._queue.append((self._next_index, turn))
                self._next_index += 1
            return len(self._queue)

    def set_default(self, turn: Turn) -> None:
        with self._lock:
            self._default = turn

    def reset(self) -> None:
        """Forget queued turns, the log and any default set since construction."""
        with self._lock:
            self._queue.clear()
            self._log.clear()
            self._next_index = 0
            self._default = self._initial_default

    def take(self, endpoint: str, raw: str, parsed: Any) -> tuple[int | None, Turn]:
        """Pick the first queued turn that accepts this request (consuming it unless it repeats)."""
        view = _BodyView(raw, parsed)
        with self._lock:
            for position, (index, turn) in enumerate(self._queue):
                if _accepts(turn, endpoint, view):
                    if not turn.repeat:
                        del self._queue[position]
                    return index, turn
            return None, self._default

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._log.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def pending(self) -> list[Turn]:
        with self._lock:
            return [turn for _, turn in self._queue]
