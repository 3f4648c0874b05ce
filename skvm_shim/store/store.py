"""The public handle on the state store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from skvm_shim.config import Settings
from skvm_shim.store import _scan
from skvm_shim.store._env import Core, MiB, NestedWriteError, Options, TxnCtx
from skvm_shim.store._records import model_or_none
from skvm_shim.store._registry import REGISTRY
from skvm_shim.store.errors import StoreUnavailable
from skvm_shim.store.tables import Table, encode_key, encode_value
from skvm_shim.store.transaction import Transaction

M = TypeVar("M", bound=BaseModel)

DEFAULT_MAP_SIZE = 64 * MiB
DEFAULT_MAX_MAP_SIZE = 8 << 30


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What ``skvm-shim`` can report about a store without failing."""

    path: Path
    available: bool
    disabled_reason: str | None
    map_size: int | None
    used_bytes: int | None
    max_map_size: int
    pending_writes: int
    last_txnid: int | None
    map_grows: int
    map_adoptions: int


class Store:
    """A handle on the LMDB store at one path, shared by threads and processes.

    Handles on one path in one process share a single environment (see ``_registry``); each
    ``open`` must be matched by one ``close``. Every method raises :class:`StoreUnavailable`
    when the store cannot serve it; ``ValueError``/``TypeError`` mean the caller passed a bad
    key or value, and ``RuntimeError`` a misuse (a store write inside a transaction body).
    """

    __slots__ = ("_closed", "_core_ref", "_lock", "_options", "_path")

    def __init__(self, core: Core, path: Path, options: Options) -> None:
        self._core_ref = core
        self._path = path
        self._options = options
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        map_size: int = DEFAULT_MAP_SIZE,
        max_map_size: int = DEFAULT_MAX_MAP_SIZE,
        sync: bool = True,
    ) -> Store:
        """Open (creating) the store directory ``path``. Never raises for environmental faults:
        a store that cannot be opened is returned disabled (``available`` is False).

        ``map_size`` is the initial map; it doubles on demand up to ``max_map_size``, beyond
        which the store is full and disabled. ``sync=False`` skips fsync on commit (tests,
        throwaway stores): a machine crash may then lose the last commits, a process crash
        cannot. The first opener in a process decides these options.
        """
        options = Options(map_size=map_size, max_map_size=max_map_size, sync=sync)
        path = Path(path)
        return cls(REGISTRY.acquire(path, options), path, options)

    @classmethod
    def open_default(cls, settings: Settings | None = None) -> Store:
        """The store at ``$SKVM_HOME/store`` (default ``~/.cache/skvm-shim/store``)."""
        return cls.open((settings or Settings.from_env()).store_path)

    # -- state -------------------------------------------------------------------------------

    def _core(self) -> Core:
        if self._closed:
            raise StoreUnavailable("this handle is closed", self._path)
        core = self._core_ref
        if core.pid != REGISTRY.pid:
            core = self._reattach()
        return core

    def _reattach(self) -> Core:
        """After fork: this process gets its own environment."""
        with self._lock:
            if self._core_ref.pid != REGISTRY.pid:
                self._core_ref = REGISTRY.acquire(self._path, self._options)
            return self._core_ref

    @property
    def path(self) -> Path:
        return self._core_ref.path

    @property
    def available(self) -> bool:
        try:
            return self._core().disabled is None
        except StoreUnavailable:
            return False

    def info(self) -> StoreInfo:
        reason: str | None
        try:
            core = self._core()
            reason = core.disabled
        except StoreUnavailable as exc:
            core, reason = self._core_ref, exc.reason
        map_size = used = txnid = None
        if reason is None:
            try:
                map_size, used, txnid = core.sizes()
            except StoreUnavailable as exc:
                reason = exc.reason
        return StoreInfo(
            path=core.path,
            available=reason is None,
            disabled_reason=reason,
            map_size=map_size,
            used_bytes=used,
            max_map_size=core.options.max_map_size,
            pending_writes=core.writer.backlog,
            last_txnid=txnid,
            map_grows=core.map_grows,
            map_adoptions=core.map_adoptions,
        )

    def close(self) -> None:
        """Release this handle; the last one on a path flushes write-behind and closes it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            core = self._core_ref
        if core.pid == REGISTRY.pid:
            REGISTRY.release(core)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self._path)!r})"

    def prepare(self, *tables: Table[Any]) -> None:
        """Open (creating) the tables' sub-databases now.

        The first use of a table in a process opens its handle, which needs the write lock and
        waits for this process's running transactions; preparing the tables at start-up keeps
        that off the request path.
        """
        core = self._core()
        core.check()
        core.ensure_handles(t.name for t in tables)

    # -- reads -------------------------------------------------------------------------------

    def get(self, table: Table[M], key: str) -> M | None:
        """The record, including one queued by ``put_later`` in this process; None if absent
        or unreadable (another schema version, fails validation)."""
        core = self._core()
        kb = encode_key(key)
        core.check()
        raw = core.writer.lookup(table.name, key)
        if raw is None:
            raw = core.read((table.name,), lambda ctx: ctx.get(table.name, kb))
        return model_or_none(core, table, key, raw)

    def scan(
        self, table: Table[M], prefix: str = "", *, start: str | None = None, reverse: bool = False
    ) -> Iterator[tuple[str, M]]:
        """Records whose key starts with ``prefix``, sorted by key (descending if ``reverse``).

        ``start`` is the first key to consider (inclusive): keys >= start, or <= start when
        reversed. Values queued by ``put_later`` are included; unreadable records are skipped.
        Reads in batches without holding a transaction between them, so a long iteration
        blocks nothing; keys written meanwhile may or may not appear.
        """
        core = self._core()
        core.check()
        if not isinstance(prefix, str):
            raise TypeError("prefix must be str")
        pb = prefix.encode()
        sb = None if start is None else encode_key(start)
        queued = sorted(
            (
                (item.kb, item.raw)
                for item in core.writer.pending(table.name)
                if _scan.in_range(item.kb, pb, sb, reverse)
            ),
            reverse=reverse,
        )
        return self._iter_scan(core, table, pb=pb, sb=sb, reverse=reverse, queued=queued)

    @staticmethod
    def _iter_scan(
        core: Core,
        table: Table[M],
        *,
        pb: bytes,
        sb: bytes | None,
        reverse: bool,
        queued: Sequence[tuple[bytes, bytes | None]],
    ) -> Iterator[tuple[str, M]]:
        base = _scan.committed(core, table.name, pb, sb, reverse)
        for kb, raw in _scan.merge(base, queued, reverse):
            key = kb.decode()
            model = model_or_none(core, table, key, raw)
            if model is not None:
                yield key, model

    def count(self, table: Table[Any]) -> int:
        """Number of records, including queued ones; O(1) plus the queue. Unreadable records
        count (they are skipped by ``get``/``scan``, not deleted)."""
        core = self._core()
        queued = core.writer.pending(table.name)

        def counted(ctx: TxnCtx) -> int:
            n = ctx.entries(table.name)
            return n + sum(1 for item in queued if ctx.get(table.name, item.kb) is None)

        return core.read((table.name,), counted)

    # -- writes ------------------------------------------------------------------------------

    def _settle(self, core: Core) -> None:
        """Before a synchronous write: refuse nesting, and commit queued writes first so that
        program order holds (a ``put`` after a ``put_later`` of the same key wins)."""
        core.check()
        if core.in_write():
            raise NestedWriteError(
                "store write inside a transaction body or update() fn on the same thread; "
                "use the transaction object instead"
            )
        if core.writer.backlog:
            core.writer.flush()

    def put(self, table: Table[M], key: str, value: M) -> None:
        """Write and commit (durable when this returns)."""
        core = self._core()
        kb = encode_key(key)
        raw = encode_value(table, value)
        self._settle(core)
        core.write((table.name,), lambda ctx: ctx.put(table.name, kb, raw))

    def delete(self, table: Table[Any], key: str) -> bool:
        """Remove the record; True if there was one."""
        core = self._core()
        kb = encode_key(key)
        self._settle(core)
        return core.write((table.name,), lambda ctx: ctx.delete(table.name, kb))

    def append(self, table: Table[M], value: M, *, under: str = "") -> str:
        """Add ``value`` under a new time-ordered key and return the key.

        Keys are unique across processes and increase within one; with ``under`` (a compound
        key, e.g. ``join_key(skill, model, harness)``) the key is ``under`` plus one more part,
        so ``scan(table, key_prefix(skill, model, harness))`` lists that log in time order.
        """
        core = self._core()
        key = core.next_log_key(under)
        self.put(table, key, value)
        return key

    def update(self, table: Table[M], key: str, fn: Callable[[M | None], M | None]) -> M | None:
        """Atomic read-modify-write: store ``fn(current)`` (None deletes) and return it.

        ``fn`` may run more than once (the transaction is retried after growing the map), so it
        should only compute. It runs inside the write transaction: keep it quick.
        """
        core = self._core()
        kb = encode_key(key)
        self._settle(core)

        def apply(ctx: TxnCtx) -> M | None:
            new = fn(model_or_none(core, table, key, ctx.get(table.name, kb)))
            if new is None:
                ctx.delete(table.name, kb)
            else:
                ctx.put(table.name, kb, encode_value(table, new))
            return new

        return core.write((table.name,), apply)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A read-modify-write transaction across tables; see :class:`Transaction`.

        Commits when the block ends normally; an exception aborts it and propagates.
        """
        core = self._core()
        self._settle(core)
        ctx = core.begin_user()
        txn = Transaction(core, ctx)
        try:
            yield txn
        except BaseException:
            txn._end()
            core.end_user(ctx, None)
            raise
        txn._end()
        core.end_user(ctx, txn._apply)

    # -- write-behind ------------------------------------------------------------------------

    def put_later(self, table: Table[M], key: str, value: M) -> None:
        """Queue the write for the background writer; ``get``/``scan``/``count`` in this
        process see it at once. Durable after ``flush()``."""
        core = self._core()
        kb = encode_key(key)
        raw = encode_value(table, value)
        core.check()
        core.writer.enqueue(table.name, key, kb, raw)

    def append_later(self, table: Table[M], value: M, *, under: str = "") -> str:
        """``append`` through the write-behind queue; returns the key at once."""
        core = self._core()
        key = core.next_log_key(under)
        self.put_later(table, key, value)
        return key

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed; False on timeout."""
        core = self._core()
        core.check()
        if core.in_write():
            raise NestedWriteError("flush() inside a transaction body would wait for itself")
        return core.writer.flush(timeout)
