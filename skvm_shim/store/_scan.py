"""Ordered iteration over committed records merged with values not yet committed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from skvm_shim.store._env import Core, TxnCtx

BATCH = 256
"""Items read per read transaction while scanning; between batches no transaction is held."""


def in_range(key: bytes, prefix: bytes, start: bytes | None, reverse: bool) -> bool:
    if not key.startswith(prefix):
        return False
    if start is None:
        return True
    return key <= start if reverse else key >= start


def committed(
    core: Core, name: str, prefix: bytes, start: bytes | None, reverse: bool
) -> Iterator[tuple[bytes, bytes]]:
    """Committed items in key order, read in batches of short read transactions.

    Not one snapshot: a key that exists throughout the scan is yielded exactly once, in order;
    keys written or deleted meanwhile may or may not be seen.
    """
    after: bytes | None = None
    while True:
        batch = core.read((name,), _batch(name, prefix, start, reverse, after))
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def _batch(
    name: str, prefix: bytes, start: bytes | None, reverse: bool, after: bytes | None
) -> Callable[[TxnCtx], list[tuple[bytes, bytes]]]:
    def read(ctx: TxnCtx) -> list[tuple[bytes, bytes]]:
        return ctx.range(
            name, prefix=prefix, start=start, reverse=reverse, after=after, limit=BATCH
        )

    return read


def merge(
    base: Iterable[tuple[bytes, bytes]],
    overrides: Sequence[tuple[bytes, bytes | None]],
    reverse: bool,
) -> Iterator[tuple[bytes, bytes]]:
    """``base`` with ``overrides`` applied (None deletes); both sorted in scan order."""
    i = 0
    n = len(overrides)
    for key, raw in base:
        while i < n and (overrides[i][0] > key if reverse else overrides[i][0] < key):
            over_key, over_raw = overrides[i]
            if over_raw is not None:
                yield over_key, over_raw
            i += 1
        if i < n and overrides[i][0] == key:
            over_raw = overrides[i][1]
            if over_raw is not None:
                yield key, over_raw
            i += 1
            continue
        yield key, raw
    for over_key, over_raw in overrides[i:]:
        if over_raw is not None:
            yield over_key, over_raw
