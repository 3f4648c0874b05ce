"""One open LMDB environment of this process: transactions, map growth and the failure policy.

Everything that touches LMDB goes through :class:`Core`, which turns LMDB's failure modes into
the store's: a full map grows (or, at the limit, disables the store), a map grown by another
process is adopted, and anything else environmental disables the store with one log line.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import lmdb

from skvm_shim.store._gate import Gate, GateBusy
from skvm_shim.store._writer import WriteBehind
from skvm_shim.store.errors import StoreUnavailable
from skvm_shim.store.keys import SEP, LogKeyClock
from skvm_shim.store.tables import BadRecordLog, is_table_name

T = TypeVar("T")

log = logging.getLogger("skvm_shim.store")

MiB = 1 << 20
_RETRIES = 8
# Failures of one call that do not mean the environment is broken.
_TRANSIENT: tuple[type[lmdb.Error], ...] = (
    lmdb.ReadersFullError,
    lmdb.DbsFullError,
    lmdb.TxnFullError,
    lmdb.BadRslotError,
)


@dataclass(frozen=True, slots=True)
class Options:
    """How an environment is opened; the first opener in a process decides."""

    map_size: int = 64 * MiB
    max_map_size: int = 8 << 30
    sync: bool = True
    max_readers: int = 1024
    max_dbs: int = 128


class NestedWriteError(RuntimeError):
    """A store write on a thread that is inside a ``transaction()`` body or an ``update`` fn."""


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _abort_quietly(txn: lmdb.Transaction[bytes]) -> None:
    with suppress(lmdb.Error):
        txn.abort()


def _leak(env: lmdb.Environment) -> None:
    # A child forked while a transaction was running must never close the parent's environment:
    # closing would abort that transaction's copy and free the parent's reader slot or write
    # lock. An extra reference keeps the object alive through interpreter shutdown.
    with suppress(Exception):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(env))


class TxnCtx:
    """One LMDB transaction with the sub-database handles it may use.

    Handles the process has open (``Core.handles``) are valid in every transaction, because they
    are only added while no transaction runs. A table first touched inside a running
    transaction is opened privately for it: LMDB lets no other transaction use that handle before
    this one ends, and no other can open handles meanwhile (that needs the gate exclusively).
    """

    __slots__ = ("_absent", "_private", "core", "env", "txn", "write")

    def __init__(
        self, core: Core, env: lmdb.Environment, txn: lmdb.Transaction[bytes], write: bool
    ) -> None:
        self.core = core
        self.env = env
        self.txn = txn
        self.write = write
        self._private: dict[str, lmdb._Database] = {}
        self._absent: set[str] = set()

    def handle(self, name: str, *, create: bool = False) -> lmdb._Database | None:
        found = self.core.handles.get(name) or self._private.get(name)
        if found is not None:
            return found
        if name in self._absent and not create:
            return None
        try:
            opened = self.env.open_db(name.encode(), txn=self.txn, create=create and self.write)
        except lmdb.NotFoundError:
            self._absent.add(name)
            return None
        self._private[name] = opened
        return opened

    def get(self, name: str, key: bytes) -> bytes | None:
        db = self.handle(name)
        return None if db is None else self.txn.get(key, db=db)

    def put(self, name: str, key: bytes, raw: bytes) -> None:
        db = self.handle(name, create=True)
        assert db is not None
        self.txn.put(key, raw, db=db)

    def delete(self, name: str, key: bytes) -> bool:
        db = self.handle(name)
        return db is not None and self.txn.delete(key, db=db)

    def entries(self, name: str) -> int:
        db = self.handle(name)
        return 0 if db is None else self.txn.stat(db)["entries"]

    def range(
        self,
        name: str,
        *,
        prefix: bytes,
        start: bytes | None,
        reverse: bool,
        after: bytes | None,
        limit: int,
    ) -> list[tuple[bytes, bytes]]:
        """Up to ``limit`` items with ``prefix`` in scan order, from ``start`` or past ``after``."""
        db = self.handle(name)
        if db is None:
            return []
        out: list[tuple[bytes, bytes]] = []
        with self.txn.cursor(db=db) as cur:
            ok = _seek(cur, prefix, start, reverse, after)
            while ok and len(out) < limit:
                key = cur.key()
                if not key.startswith(prefix):
                    break
                out.append((key, cur.value()))
                ok = cur.prev() if reverse else cur.next()
        return out


def _prefix_end(prefix: bytes) -> bytes | None:
    """Smallest key above every key with ``prefix``; None when there is none."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes([stripped[-1] + 1])


def _seek(
    cur: lmdb.Cursor[bytes], prefix: bytes, start: bytes | None, reverse: bool, after: bytes | None
) -> bool:
    if after is not None:
        if reverse:
            return cur.prev() if cur.set_range(after) else cur.last()
        if not cur.set_range(after):
            return False
        return cur.next() if cur.key() == after else True
    if not reverse:
        low = max(prefix, start or b"")
        return cur.set_range(low) if low else cur.first()
    end = _prefix_end(prefix)
    if start is not None and (end is None or start < end):
        if not cur.set_range(start):
            return cur.last()
        return True if cur.key() == start else cur.prev()
    if end is None:
        return cur.last()
    return cur.prev() if cur.set_range(end) else cur.last()


class _Damaged(Exception):
    pass


def _check_not_truncated(env: lmdb.Environment, path: Path) -> None:
    """Reading pages past the end of a truncated data file kills the process with SIGBUS."""
    needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
    actual = (path / "data.mdb").stat().st_size
    if actual < needed:
        raise _Damaged(
            f"data.mdb is {actual} bytes but its committed pages end at byte {needed} "
            "(the file was truncated)"
        )


def _open_existing_tables(env: lmdb.Environment) -> dict[str, lmdb._Database]:
    """Handles for every table in the file, opened in one write transaction at start-up.

    py-lmdb keeps a handle only when a *write* transaction commits, so without this the first
    read of each table in a process would wait for the write lock.
    """
    for _ in range(_RETRIES):
        try:
            found: dict[str, lmdb._Database] = {}
            with env.begin(write=True) as txn:
                with txn.cursor() as cur:
                    keys = list(cur.iternext(keys=True, values=False))
                for raw in keys:
                    with suppress(UnicodeDecodeError):
                        name = raw.decode()
                        if is_table_name(name):
                            with suppress(lmdb.IncompatibleError):  # a plain key, not a table
                                found[name] = env.open_db(raw, txn=txn, create=False)
            return found
        except lmdb.MapResizedError:
            env.set_mapsize(0)
    raise lmdb.MapResizedError("the map kept being resized while opening")


class Core:
    """An environment shared by every Store handle on one path in this process."""

    def __init__(self, path: Path, options: Options, pid: int) -> None:
        self.path = path
        self.options = options
        self.pid = pid
        self.gate = Gate()
        self.env: lmdb.Environment | None = None
        self.handles: dict[str, lmdb._Database] = {}
        self.disabled: str | None = None
        self.refs = 0
        self.map_grows = 0
        self.map_adoptions = 0
        self.clock = LogKeyClock()
        self.bad_records = BadRecordLog(path)
        self.writer = WriteBehind(self)
        self._tls = threading.local()
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._held_for_fork = False
        self._open()

    # -- lifecycle -------------------------------------------------------------------------

    def _open(self) -> None:
        opts = self.options
        try:
            self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
            env = lmdb.open(
                str(self.path),
                map_size=min(opts.map_size, opts.max_map_size),
                max_dbs=opts.max_dbs,
                max_readers=opts.max_readers,
                sync=opts.sync,
                readahead=False,
                mode=0o700,
            )
        except (lmdb.Error, OSError) as exc:
            self.disable(f"cannot open it: {_describe(exc)}")
            return
        try:
            _check_not_truncated(env, self.path)
            env.reader_check()
            self.handles = _open_existing_tables(env)
        except (lmdb.Error, OSError, _Damaged) as exc:
            with suppress(lmdb.Error, OSError):
                env.close()
            self.disable(f"it is damaged or unusable: {_describe(exc)}")
            return
        self.env = env

    def close(self) -> None:
        """Flush write-behind and close the environment (the last handle went away)."""
        self.writer.stop()
        env = self.env
        if env is None:
            return
        with self.gate:
            self.env = None
            with suppress(lmdb.Error, OSError):
                env.close()

    def quiesce_for_fork(self, timeout: float) -> bool:
        """Before fork: wait until no transaction runs and drop LMDB's cached reader slot."""
        env = self.env
        if env is None:
            return True
        try:
            if not self.gate.acquire_exclusive(timeout):
                return False
        except GateBusy:
            return False
        self._held_for_fork = True
        # set_mapsize releases py-lmdb's cached read transaction; the child would otherwise free
        # its reader slot (which the parent still owns) when it closes its copy.
        with suppress(lmdb.Error, OSError):
            env.set_mapsize(env.info()["map_size"])
        return True

    def resume_after_fork(self) -> None:
        if self._held_for_fork:
            self._held_for_fork = False
            self.gate.release_exclusive()

    def abandon_in_child(self, quiesced: bool) -> None:
        """In a forked child: let go of the parent's environment so the child can reopen it."""
        env, self.env = self.env, None
        self.disabled = self.disabled or "forked; this handle belongs to the parent process"
        if env is None:
            return
        if quiesced:
            with suppress(lmdb.Error, OSError):
                env.close()
        else:
            _leak(env)

    # -- failure policy ----------------------------------------------------------------------

    def disable(self, reason: str) -> StoreUnavailable:
        with self._lock:
            first = self.disabled is None
            if first:
                self.disabled = reason
        if first:
            log.error(
                "skvm-shim store at %s is disabled: %s. LLM calls pass through without it "
                "until the process restarts.",
                self.path,
                reason,
            )
        return StoreUnavailable(self.disabled or reason, self.path)

    def failure(self, exc: BaseException, doing: str) -> StoreUnavailable:
        if isinstance(exc, _TRANSIENT):
            reason = f"{doing}: {_describe(exc)}"
            with self._lock:
                first = type(exc).__name__ not in self._warned
                self._warned.add(type(exc).__name__)
            if first:
                log.warning("skvm-shim store at %s: %s", self.path, reason)
            return StoreUnavailable(reason, self.path)
        return self.disable(f"{doing} failed: {_describe(exc)}")

    def check(self) -> lmdb.Environment:
        if self.disabled is not None:
            raise StoreUnavailable(self.disabled, self.path)
        env = self.env
        if env is None:
            raise StoreUnavailable("it is closed", self.path)
        return env

    def _held_env(self) -> lmdb.Environment:
        """The environment, read while holding the gate (it cannot be closed under us then)."""
        env = self.env
        if env is None:
            raise StoreUnavailable(self.disabled or "it is closed", self.path)
        return env

    # -- handles -----------------------------------------------------------------------------

    def ensure_handles(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.handles:
                self._open_handle(name)

    def _open_handle(self, name: str) -> None:
        self.check()
        with self.gate:
            if name in self.handles:
                return
            env = self._held_env()
            for _ in range(_RETRIES):
                try:
                    handle = self._open_handle_now(env, name)
                except lmdb.MapFullError:
                    self._grow_locked(env, env.info()["map_size"])
                    continue
                except lmdb.MapResizedError:
                    self._adopt_locked(env)
                    continue
                except (lmdb.Error, OSError) as exc:
                    raise self.failure(exc, f"opening table {name!r}") from exc
                # Copy-on-write: readers look names up without a lock.
                self.handles = {**self.handles, name: handle}
                return
            raise StoreUnavailable(f"could not open table {name!r}", self.path)

    @staticmethod
    def _open_handle_now(env: lmdb.Environment, name: str) -> lmdb._Database:
        # Only a committed *write* transaction keeps a handle open for later transactions
        # (py-lmdb ends read transactions by resetting them). Creating the table if it is missing
        # costs nothing more; a commit without changes does not touch the disk.
        with env.begin(write=True) as txn:
            return env.open_db(name.encode(), txn=txn, create=True)

    # -- transactions ------------------------------------------------------------------------

    def in_write(self) -> bool:
        return getattr(self._tls, "ctx", None) is not None

    def read(self, names: tuple[str, ...], fn: Callable[[TxnCtx], T]) -> T:
        """Run ``fn`` in a read transaction (or in this thread's running write transaction)."""
        self.check()
        ctx: TxnCtx | None = getattr(self._tls, "ctx", None)
        if ctx is not None:
            return self.run_guarded(ctx, fn, "read")
        self.ensure_handles(names)
        for _ in range(_RETRIES):
            self.gate.enter()
            try:
                env = self._held_env()
                txn = env.begin()
                try:
                    return fn(TxnCtx(self, env, txn, write=False))
                finally:
                    txn.abort()
            except lmdb.MapResizedError:
                pass
            except (lmdb.Error, OSError) as exc:
                raise self.failure(exc, "read") from exc
            finally:
                self.gate.leave()
            self._adopt()
        raise StoreUnavailable("other processes kept resizing the map", self.path)

    def run_guarded(self, ctx: TxnCtx, fn: Callable[[TxnCtx], T], doing: str) -> T:
        """Run ``fn`` in an open transaction, mapping LMDB failures to the store's."""
        try:
            return fn(ctx)
        except (lmdb.Error, OSError) as exc:
            raise self.failure(exc, doing) from exc

    def write(
        self,
        names: tuple[str, ...],
        fn: Callable[[TxnCtx], T],
        *,
        expect_txn_id: int | None = None,
    ) -> T:
        """Run ``fn`` in a write transaction and commit; re-run it after growing the map.

        ``expect_txn_id`` replays a transaction whose body already ran: it only goes ahead when no
        other transaction committed since the original began, so the replay sees the same data.
        """
        self.check()
        if self.in_write():
            raise NestedWriteError(
                "store write inside a transaction body or update() fn on the same thread; "
                "use the transaction object instead"
            )
        self.ensure_handles(names)
        for _ in range(_RETRIES):
            full_at: int | None = None
            self.gate.enter()
            try:
                env = self._held_env()
                txn = env.begin(write=True)
                self._tls.ctx = ctx = TxnCtx(self, env, txn, write=True)
                try:
                    if expect_txn_id is not None and txn.id() != expect_txn_id:
                        raise StoreUnavailable(
                            "another process committed while this transaction waited for the "
                            "map to grow; nothing was written",
                            self.path,
                        )
                    result = fn(ctx)
                    txn.commit()
                except BaseException:
                    _abort_quietly(txn)
                    raise
                finally:
                    self._tls.ctx = None
                return result
            except lmdb.MapFullError:
                full_at = env.info()["map_size"]
            except lmdb.MapResizedError:
                pass
            except (lmdb.Error, OSError) as exc:
                raise self.failure(exc, "write") from exc
            finally:
                self.gate.leave()
            if full_at is not None:
                self._grow(full_at)
            else:
                self._adopt()
        raise StoreUnavailable("could not commit: the map kept being resized", self.path)

    def begin_user(self) -> TxnCtx:
        """Begin the write transaction behind ``Store.transaction()``; see :meth:`end_user`."""
        self.check()
        if self.in_write():
            raise NestedWriteError("store.transaction() cannot nest on one thread")
        for _ in range(_RETRIES):
            self.gate.enter()
            try:
                env = self._held_env()
                txn = env.begin(write=True)
            except lmdb.MapResizedError:
                self.gate.leave()
                self._adopt()
                continue
            except (lmdb.Error, OSError) as exc:
                self.gate.leave()
                raise self.failure(exc, "begin a transaction") from exc
            except BaseException:
                self.gate.leave()
                raise
            self._tls.ctx = ctx = TxnCtx(self, env, txn, write=True)
            return ctx
        raise StoreUnavailable("other processes kept resizing the map", self.path)

    def end_user(self, ctx: TxnCtx, apply: Callable[[TxnCtx], None] | None) -> None:
        """Commit ``ctx`` after running ``apply`` in it, or abort it when ``apply`` is None."""
        full_at: int | None = None
        txn_id = ctx.txn.id()
        try:
            if apply is None:
                _abort_quietly(ctx.txn)
                return
            try:
                apply(ctx)
                ctx.txn.commit()
                return
            except lmdb.MapFullError:
                _abort_quietly(ctx.txn)
                full_at = ctx.env.info()["map_size"]
            except (lmdb.Error, OSError) as exc:
                _abort_quietly(ctx.txn)
                raise self.failure(exc, "commit") from exc
            except BaseException:
                _abort_quietly(ctx.txn)
                raise
        finally:
            self._tls.ctx = None
            self.gate.leave()
        assert full_at is not None
        self._grow(full_at)
        self.write((), apply, expect_txn_id=txn_id)

    # -- map size ----------------------------------------------------------------------------

    def _grow(self, seen: int) -> None:
        self.check()
        with self.gate:
            self._grow_locked(self._held_env(), seen)

    def _grow_locked(self, env: lmdb.Environment, seen: int) -> None:
        current = env.info()["map_size"]
        if current > seen:
            return  # another thread grew it meanwhile
        limit = self.options.max_map_size
        if current >= limit:
            raise self.disable(
                f"it is full: the map reached its size limit of {limit} bytes (max_map_size)"
            )
        new = min(current * 2, limit)
        try:
            env.set_mapsize(new)
        except (lmdb.Error, OSError) as exc:
            raise self.failure(exc, "growing the map") from exc
        self.map_grows += 1
        log.info("skvm-shim store at %s: map grown to %d MiB", self.path, new // MiB)

    def _adopt(self) -> None:
        self.check()
        with self.gate:
            self._adopt_locked(self._held_env())

    def _adopt_locked(self, env: lmdb.Environment) -> None:
        try:
            env.set_mapsize(0)  # 0: the size another process grew the map to
        except (lmdb.Error, OSError) as exc:
            raise self.failure(exc, "adopting the map size") from exc
        self.map_adoptions += 1

    # -- misc --------------------------------------------------------------------------------

    def next_log_key(self, under: str) -> str:
        key = self.clock.next_key()
        return f"{under}{SEP}{key}" if under else key

    def sizes(self) -> tuple[int, int, int]:
        """(map size, bytes in use, id of the last committed transaction)."""
        self.check()
        self.gate.enter()
        try:
            env = self._held_env()
            info = env.info()
            used = (info["last_pgno"] + 1) * env.stat()["psize"]
            return info["map_size"], used, info["last_txnid"]
        except (lmdb.Error, OSError) as exc:
            raise self.failure(exc, "reading sizes") from exc
        finally:
            self.gate.leave()
