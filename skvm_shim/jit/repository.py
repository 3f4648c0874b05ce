"""Templates, traces and sessions in the store, with a per-process cache of templates.

Every template write bumps the key's version in the same transaction; a reader compares one
small record with the version it cached and reloads the templates only when it changed, so a
request pays a single store read and every process sees another's promotions at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from skvm_shim.jit.config import JitConfig
from skvm_shim.jit.instantiate import same_predictions
from skvm_shim.jit.learn import learn, structure
from skvm_shim.jit.records import (
    JIT_TABLES,
    KEYS,
    SESSIONS,
    TEMPLATES,
    TRACES,
    JitSession,
    KeyVersion,
    TemplateEvent,
    TemplateRecord,
    TemplateSpec,
    Trace,
    TraceSet,
    skill_set_id,
    template_id,
)
from skvm_shim.jit.state import on_relearn
from skvm_shim.store import Store, StoreUnavailable, Transaction, join_key, key_prefix

_MAX_CACHED_KEYS = 1024
EMPTY_TTL_S = 0.5
_MAX_SESSIONS = 4096


class TemplateKey:
    """(skill set, harness, tool-schema hash): what a template is learned under.

    The joined store keys are computed once: a key is looked up several times per call.
    """

    __slots__ = ("harness", "key", "parts", "prefix", "schema", "skills")

    def __init__(self, skills: tuple[str, ...], harness: str, schema: str) -> None:
        self.skills = skills
        self.harness = harness
        self.schema = schema
        self.parts = (skill_set_id(skills), harness, schema)
        self.key = join_key(*self.parts)
        self.prefix = key_prefix(*self.parts)

    def record(self, tid: str) -> str:
        return join_key(*self.parts, tid)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TemplateKey) and self.parts == other.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def __repr__(self) -> str:
        return f"TemplateKey({self.skills!r}, {self.harness!r}, {self.schema!r})"


class Repository:
    def __init__(self, store: Store, config: JitConfig) -> None:
        self.store = store
        self.config = config
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[int, tuple[TemplateRecord, ...]]] = OrderedDict()
        self._sessions: OrderedDict[str, JitSession] = OrderedDict()
        self._empty: OrderedDict[str, float] = OrderedDict()

    def prepare(self) -> None:
        self.store.prepare(*JIT_TABLES)

    # -- templates ------------------------------------------------------------------------------

    def templates(self, key: TemplateKey) -> tuple[TemplateRecord, ...]:
        now = time.monotonic()
        with self._lock:
            empty_until = self._empty.get(key.key)
            if empty_until is not None and now < empty_until:
                # Nothing learned under this key a moment ago: skip the store read. Another
                # process's first template for it is seen at most EMPTY_TTL_S later.
                return ()
        stored = self.store.get(KEYS, key.key)
        version = stored.version if stored is not None else -1
        if stored is None:
            with self._lock:
                self._empty[key.key] = now + EMPTY_TTL_S
                while len(self._empty) > _MAX_CACHED_KEYS:
                    self._empty.popitem(last=False)
            return ()
        with self._lock:
            self._empty.pop(key.key, None)
            cached = self._cache.get(key.key)
            if cached is not None and cached[0] == version:
                self._cache.move_to_end(key.key)
                return cached[1]
        records = tuple(r for _, r in self.store.scan(TEMPLATES, key.prefix))
        with self._lock:
            self._cache[key.key] = (version, records)
            self._cache.move_to_end(key.key)
            while len(self._cache) > _MAX_CACHED_KEYS:
                self._cache.popitem(last=False)
        return records

    def modify(
        self,
        key: TemplateKey,
        tid: str,
        fn: Callable[[TemplateRecord], TemplateEvent | None],
    ) -> TemplateEvent | None:
        """Apply ``fn`` to the stored record atomically; returns its event.

        Readers reload a key's templates only when what they predict or replay changed; a
        change of counters alone (hits, replays, the failure count) does not make them reload:
        decisions read those inside this transaction, never from a cache.
        """
        with self.store.transaction() as txn:
            record = txn.get(TEMPLATES, key.record(tid))
            if record is None:
                return None
            spec, promoted = record.spec, record.promoted
            event = fn(record)
            txn.put(TEMPLATES, key.record(tid), record)
            if record.spec is not spec or record.promoted is not promoted:
                _bump(txn, key)
        return event

    def learn(
        self,
        key: TemplateKey,
        trace: Trace,
        *,
        loaded: list[str],
        names: list[str],
    ) -> tuple[str, TemplateEvent | None]:
        """Add a finished trace to its template (creating it) and relearn; (template id, event)."""
        tid = template_id(key.key, structure(trace))
        record_key = key.record(tid)
        # Learn outside the transaction (it holds every process's write lock), then check that
        # no other process added a trace meanwhile; if one did, learn again inside.
        stored = (self.store.get(TRACES, record_key) or TraceSet()).traces
        traces = self._keep([*stored, trace])
        spec = learn(traces, key.harness)
        previous = self.store.get(TEMPLATES, record_key)
        agreed = previous is not None and _agrees(previous, spec, traces, key.harness)
        with self.store.transaction() as txn:
            current = (txn.get(TRACES, record_key) or TraceSet()).traces
            relearned = False
            if [t.at_ns for t in current] != [t.at_ns for t in stored]:
                traces = self._keep([*current, trace])
                spec = learn(traces, key.harness)
                relearned = True
            record = txn.get(TEMPLATES, record_key)
            event: TemplateEvent | None
            if record is None:
                record = TemplateRecord(
                    id=tid,
                    skills=list(key.skills),
                    harness=key.harness,
                    tool_schema=key.schema,
                    spec=spec,
                    sessions=1,
                )
                event = TemplateEvent(kind="learned", session=trace.session)
                record.events.append(event)
                self._evict(txn, key, keep=tid)
            else:
                if relearned or previous is None or not _same_state(previous, record):
                    agreed = _agrees(record, spec, traces, key.harness)
                event = on_relearn(record, spec, session=trace.session, agrees=agreed)
            record.loaded = sorted(set(record.loaded) | set(loaded))
            record.skill_names = sorted(set(record.skill_names) | set(names))
            txn.put(TRACES, record_key, TraceSet(traces=traces))
            txn.put(TEMPLATES, record_key, record)
            _bump(txn, key)
        with self._lock:
            self._empty.pop(key.key, None)
        return tid, event

    def _keep(self, traces: list[Trace]) -> list[Trace]:
        """The first trace (the exemplar) and the newest ones."""
        if len(traces) <= self.config.max_traces:
            return traces
        return [traces[0], *traces[-(self.config.max_traces - 1) :]]

    def _evict(self, txn: Transaction, key: TemplateKey, *, keep: str) -> None:
        records = [r for _, r in txn.scan(TEMPLATES, key.prefix)]
        excess = len(records) + 1 - self.config.max_templates
        if excess <= 0:
            return
        victims = sorted(
            (r for r in records if r.promoted is None and r.id != keep),
            key=lambda r: (r.hits, r.updated_ns),
        )
        for victim in victims[:excess]:
            txn.delete(TEMPLATES, key.record(victim.id))
            txn.delete(TRACES, key.record(victim.id))

    # -- sessions -------------------------------------------------------------------------------

    def session(self, session_id: str) -> JitSession:
        with self._lock:
            found = self._sessions.get(session_id)
            if found is not None:
                self._sessions.move_to_end(session_id)
                return found
        try:
            loaded = self.store.get(SESSIONS, session_id)
        except StoreUnavailable:
            loaded = None
        record = loaded or JitSession()
        with self._lock:
            found = self._sessions.setdefault(session_id, record)
            while len(self._sessions) > _MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return found

    def save_session(self, session_id: str, record: JitSession) -> None:
        self.store.put_later(SESSIONS, session_id, record.model_copy(deep=True))


def _agrees(record: TemplateRecord, new: TemplateSpec, traces: list[Trace], harness: str) -> bool:
    """Does a relearned spec that changed predict what the old one did on every stored trace?

    Only asked while there is a streak to keep: comparing re-renders every step of every
    stored trace twice (milliseconds per step for long commands).
    """
    old = record.spec
    return (
        record.streak > 0
        and not new.same_prediction(old)
        and same_predictions(old, new, traces, harness)
    )


def _same_state(a: TemplateRecord, b: TemplateRecord) -> bool:
    return a.spec.same_prediction(b.spec) and (a.streak > 0) == (b.streak > 0)


def _bump(txn: Transaction, key: TemplateKey) -> None:
    current = txn.get(KEYS, key.key)
    txn.put(KEYS, key.key, KeyVersion(version=(current.version if current else 0) + 1))
