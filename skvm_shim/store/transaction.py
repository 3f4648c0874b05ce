"""The object ``Store.transaction()`` yields."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel

from skvm_shim.store import _scan
from skvm_shim.store._env import Core, TxnCtx
from skvm_shim.store._records import model_or_none
from skvm_shim.store.tables import Table, encode_key, encode_value

M = TypeVar("M", bound=BaseModel)


class Transaction:
    """Reads and writes that commit together when the ``with`` block ends, or not at all.

    Reads see the committed state as of the start (no other writer can commit meanwhile: this
    holds the store's write lock) plus this transaction's own writes. Writes are kept in memory
    and applied at the end, so an exception anywhere in the block leaves the store untouched.
    Use it only on the thread that began it, keep the block short, and do not ``await`` inside
    it: every other writer, in every process, waits for it. Values queued with ``put_later``
    are not visible here.
    """

    def __init__(self, core: Core, ctx: TxnCtx) -> None:
        self._core = core
        self._ctx = ctx
        self._writes: dict[tuple[str, str], tuple[bytes, bytes | None]] = {}
        self._thread = threading.get_ident()
        self._open = True

    def _use(self) -> TxnCtx:
        if not self._open:
            raise RuntimeError("this store transaction has ended")
        if threading.get_ident() != self._thread:
            raise RuntimeError("a store transaction can only be used on the thread that began it")
        return self._ctx

    def get(self, table: Table[M], key: str) -> M | None:
        ctx = self._use()
        kb = encode_key(key)
        written = self._writes.get((table.name, key))
        if written is not None:
            raw = written[1]
        else:
            raw = self._core.run_guarded(ctx, lambda c: c.get(table.name, kb), "read")
        return model_or_none(self._core, table, key, raw)

    def put(self, table: Table[M], key: str, value: M) -> None:
        self._use()
        self._writes[(table.name, key)] = (encode_key(key), encode_value(table, value))

    def delete(self, table: Table[Any], key: str) -> bool:
        ctx = self._use()
        kb = encode_key(key)
        written = self._writes.get((table.name, key))
        if written is not None:
            existed = written[1] is not None
        else:
            existed = (
                self._core.run_guarded(ctx, lambda c: c.get(table.name, kb), "read") is not None
            )
        self._writes[(table.name, key)] = (kb, None)
        return existed

    def append(self, table: Table[M], value: M, *, under: str = "") -> str:
        key = self._core.next_log_key(under)
        self.put(table, key, value)
        return key

    def scan(
        self, table: Table[M], prefix: str = "", *, start: str | None = None, reverse: bool = False
    ) -> Iterator[tuple[str, M]]:
        """Like ``Store.scan``, read eagerly (the transaction may end before iteration does)."""
        ctx = self._use()
        pb = prefix.encode()
        sb = None if start is None else encode_key(start)
        base = self._core.run_guarded(
            ctx,
            lambda c: c.range(
                table.name, prefix=pb, start=sb, reverse=reverse, after=None, limit=sys.maxsize
            ),
            "scan",
        )
        own = sorted(
            (
                (kb, raw)
                for (name, _), (kb, raw) in self._writes.items()
                if name == table.name and _scan.in_range(kb, pb, sb, reverse)
            ),
            reverse=reverse,
        )
        out: list[tuple[str, M]] = []
        for kb, raw in _scan.merge(base, own, reverse):
            key = kb.decode()
            model = model_or_none(self._core, table, key, raw)
            if model is not None:
                out.append((key, model))
        return iter(out)

    def count(self, table: Table[Any]) -> int:
        """Records in ``table`` including this transaction's writes (and unreadable records)."""
        ctx = self._use()

        def counted(c: TxnCtx) -> int:
            n = c.entries(table.name)
            for (name, _), (kb, raw) in self._writes.items():
                if name != table.name:
                    continue
                stored = c.get(name, kb) is not None
                if raw is None and stored:
                    n -= 1
                elif raw is not None and not stored:
                    n += 1
            return n

        return self._core.run_guarded(ctx, counted, "count")

    # -- used by Store.transaction() -------------------------------------------------------

    def _end(self) -> None:
        self._open = False

    def _apply(self, ctx: TxnCtx) -> None:
        for (name, _), (kb, raw) in self._writes.items():
            if raw is None:
                ctx.delete(name, kb)
            else:
                ctx.put(name, kb, raw)
