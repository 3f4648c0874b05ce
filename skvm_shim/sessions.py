"""Recognise one agent conversation across LLM calls.

Harnesses resend the whole history on every call, so a conversation is recognised by its opening:
the key hashes the first system text and the first user message (their heads and lengths; hashing
a 200 KB system prompt on every call would cost more than the rest of the pipeline). Several
conversations can share an opening (the same task run twice, at once or again), so a key holds a
few sessions, and a request continues the one whose *anchor* it still carries: the last message
of that session's previous request, at the same index (one message's digest, whatever the length
of the history). A request that continues none of them is a new conversation and gets the next
*generation* of the key, hence a new id: one that diverged from a session it shared its start
with keeps that session's variant pins (its history was served with them), a rerun (fewer
messages than any session of the key had) starts fresh.

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

from adapters.ir import Message, Request, TextPart, ToolCall, ToolResult
from skvm_shim.records import SESSIONS, SessionGroup, SessionRecord
from skvm_shim.store import Store, StoreUnavailable

log = logging.getLogger("skvm_shim.sessions")

_HEAD = 16_384
_PART_HEAD = 4_096
"""How much of each part of an anchor message its digest reads (plus every part's length)."""
_MAX_KEYS = 10_000
_MAX_BRANCHES = 16
"""Conversations remembered per opening, most recently used first."""
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


def message_digest(message: Message) -> str:
    """Digest of one message as a harness resends it: role, texts, tool calls and results."""
    h = hashlib.blake2b(digest_size=12)
    h.update(message.role.encode())
    for part in message.parts:
        if isinstance(part, TextPart):
            _feed(h, b"t", part.text)
        elif isinstance(part, ToolCall):
            _feed(h, b"c", part.id)
            _feed(h, b"n", part.name)
            _feed(h, b"a", part.arguments)
        elif isinstance(part, ToolResult):
            _feed(h, b"r", part.call_id)
            for text in part.content:
                _feed(h, b"o", text.text)
    return h.hexdigest()


def _feed(h: hashlib.blake2b, tag: bytes, text: str) -> None:
    h.update(tag)
    h.update(str(len(text)).encode())
    h.update(b"\x00")
    h.update(text[:_PART_HEAD].encode("utf-8", "surrogatepass"))


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
        self._groups: OrderedDict[str, SessionGroup] = OrderedDict()
        self._saved: OrderedDict[str, tuple[object, ...]] = OrderedDict()

    def resolve(self, request: Request, harness: str) -> tuple[SessionRecord, bool]:
        """(session, is_new) for ``request``; the record is shared, mutate it under ``update``."""
        key = session_key(request)
        group = self._group(key)
        messages = request.messages
        with self._lock:
            candidates = list(group.sessions)
        record = _continued(candidates, messages)
        with self._lock:
            if record is not None:
                index = _position(group.sessions, record)
                if index > 0:
                    group.sessions.insert(0, group.sessions.pop(index))
                return record, False
            # Diverged from a session it shared its start with, or the same task run again.
            parent = next((r for r in candidates if r.message_count <= len(messages)), None)
            generation = max(group.next_generation, *(r.generation + 1 for r in candidates), 0)
            group.next_generation = generation + 1
            record = SessionRecord(
                id=_session_id(key, generation),
                key=key,
                generation=generation,
                harness=harness,
                pinned=dict(parent.pinned) if parent is not None else {},
            )
            group.sessions.insert(0, record)
            del group.sessions[_MAX_BRANCHES:]
        return record, True

    def seen(self, record: SessionRecord, request: Request) -> None:
        """Remember what ``request`` carried (its length and last message) and save if needed."""
        messages = request.messages
        record.message_count = len(messages)
        if messages:
            record.anchor_index = len(messages) - 1
            record.anchor_digest = message_digest(messages[-1])
        self.save(record)

    def save(self, record: SessionRecord) -> None:
        """Persist ``record`` (with the other sessions of its key) when a restart needs it.

        The message count and anchor change on every call but a stale pair still recognises a
        continuation (its history only grows), so they ride along with the other changes (and
        every few calls) instead of costing a store write per LLM call.
        """
        signature = (
            record.tool_results_seen,
            record.root_span_id,
            tuple(sorted(record.pinned.items())),
            record.message_count // _COUNT_STEP,
        )
        with self._lock:
            if self._saved.get(record.id) == signature:
                return
            self._saved[record.id] = signature
            if len(self._saved) > _MAX_KEYS * 2:
                self._saved.popitem(last=False)
            record.updated_ns = time.time_ns()
            group = self._groups.get(record.key)
            if group is None or _position(group.sessions, record) < 0:
                return  # evicted meanwhile: its group was saved when it last changed
            snapshot = group.model_copy(deep=True)
        if self._store is None:
            return
        with contextlib.suppress(StoreUnavailable):
            self._store.put_later(SESSIONS, record.key, snapshot)

    def _group(self, key: str) -> SessionGroup:
        with self._lock:
            group = self._groups.get(key)
            if group is not None:
                self._groups.move_to_end(key)
                return group
        loaded = self._load(key)
        with self._lock:
            group = self._groups.setdefault(key, loaded or SessionGroup(key=key))
            self._groups.move_to_end(key)
            while len(self._groups) > _MAX_KEYS:
                self._groups.popitem(last=False)
            return group

    def _load(self, key: str) -> SessionGroup | None:
        if self._store is None:
            return None
        try:
            return self._store.get(SESSIONS, key)
        except StoreUnavailable:
            return None


def _continued(
    candidates: list[SessionRecord], messages: tuple[Message, ...]
) -> SessionRecord | None:
    """The session ``messages`` continues: it still carries that session's anchor message.

    Of several, the one that saw the most messages; each anchor index is hashed once.
    """
    count = len(messages)
    digests: dict[int, str] = {}
    best: SessionRecord | None = None
    for record in candidates:
        if record.message_count > count or (
            best is not None and record.message_count <= best.message_count
        ):
            continue
        index = record.anchor_index
        if index is not None:
            if index >= count:
                continue
            digest = digests.get(index)
            if digest is None:
                digest = digests[index] = message_digest(messages[index])
            if digest != record.anchor_digest:
                continue
        best = record
    return best


def _position(records: list[SessionRecord], record: SessionRecord) -> int:
    """Index of ``record`` itself (not an equal copy) in ``records``, or -1."""
    return next((i for i, r in enumerate(records) if r is record), -1)


def _session_id(key: str, generation: int) -> str:
    return f"{key[:24]}{generation:08x}"
