"""Recognise one agent conversation across LLM calls.

Harnesses resend the whole history on every call, so a conversation is recognised by its opening:
the key hashes the first system text and the first user message (their heads and lengths; hashing
a 200 KB system prompt on every call would cost more than the rest of the pipeline). A request
with fewer messages than the session already had is a new conversation with the same opening (the
same task run again), and gets a new generation, hence a new id.

The session id (32 hex chars) is also the OpenTelemetry trace id, so one agent session is one
trace.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections import OrderedDict

from adapters.ir import Message, Request
from skvm_shim.records import SESSIONS, SessionRecord
from skvm_shim.store import Store, StoreUnavailable

log = logging.getLogger("skvm_shim.sessions")

_HEAD = 16_384
_MAX_SESSIONS = 10_000
_COUNT_STEP = 16


def session_key(request: Request) -> str:
    """Hash of the conversation's opening: first system text and first user message."""
    system = _first_text(request.messages, ("system", "developer"))
    user = _first_text(request.messages, ("user",))
    h = hashlib.blake2b(digest_size=12)
    for text in (system, user):
        h.update(str(len(text)).encode())
        h.update(b"\x00")
        h.update(text[:_HEAD].encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _first_text(messages: tuple[Message, ...], roles: tuple[str, ...]) -> str:
    for message in messages:
        if message.role in roles:
            return "\n".join(p.text for p in message.texts())
    return ""


class SessionTracker:
    """Session state: in memory for speed, written behind to the store to survive restarts."""

    def __init__(self, store: Store | None) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._by_key: OrderedDict[str, SessionRecord] = OrderedDict()
        self._saved: dict[str, tuple[object, ...]] = {}

    def resolve(self, request: Request, harness: str) -> tuple[SessionRecord, bool]:
        """(session, is_new) for ``request``; the record is shared, mutate it under ``update``."""
        key = session_key(request)
        count = len(request.messages)
        with self._lock:
            record = self._by_key.get(key)
        if record is None:
            record = self._load(key)
        is_new = False
        if record is None:
            record = SessionRecord(id=_session_id(key, 0), key=key, harness=harness)
            is_new = True
        elif count < record.message_count:
            gen = record.generation + 1
            record = SessionRecord(
                id=_session_id(key, gen), key=key, generation=gen, harness=harness
            )
            is_new = True
        with self._lock:
            self._by_key[key] = record
            self._by_key.move_to_end(key)
            while len(self._by_key) > _MAX_SESSIONS:
                self._by_key.popitem(last=False)
        return record, is_new

    def save(self, record: SessionRecord) -> None:
        """Persist ``record`` when something a restart would need changed.

        The message count changes on every call but only matters for telling a rerun from a
        continuation, so it rides along with the other changes (and every few calls) instead of
        costing a store write per LLM call.
        """
        signature = (
            record.id,
            record.tool_results_seen,
            record.root_span_id,
            tuple(sorted(record.pinned.items())),
            record.message_count // _COUNT_STEP,
        )
        with self._lock:
            if self._saved.get(record.key) == signature:
                return
            self._saved[record.key] = signature
            if len(self._saved) > _MAX_SESSIONS:
                self._saved.pop(next(iter(self._saved)))
        record.updated_ns = time.time_ns()
        if self._store is None:
            return
        with contextlib.suppress(StoreUnavailable):
            self._store.put_later(SESSIONS, record.key, record.model_copy(deep=True))

    def _load(self, key: str) -> SessionRecord | None:
        if self._store is None:
            return None
        try:
            return self._store.get(SESSIONS, key)
        except StoreUnavailable:
            return None


def _session_id(key: str, generation: int) -> str:
    return f"{key[:24]}{generation:08x}"
