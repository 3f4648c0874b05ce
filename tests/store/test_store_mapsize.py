"""The map starts small, doubles when full, adopts growth by other processes, and has a limit."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from skvm_shim.store import Store, StoreUnavailable
from skvm_shim.store._env import Core
from tests.store._support import LOG, NOTES, Note, run_py

MiB = 1 << 20
_BIG = "x" * 4000  # about one page per record


def _fill(n: int, offset: int = 0) -> dict[str, Note]:
    return {f"k{offset + i:05d}": Note(text=_BIG, n=offset + i) for i in range(n)}


def _put_in_one_transaction(store: Store, records: dict[str, Note]) -> None:
    with store.transaction() as txn:
        for key, value in records.items():
            txn.put(NOTES, key, value)


def test_synchronous_puts_grow_the_map(store_path: Path) -> None:
    with Store.open(store_path, map_size=MiB, sync=False) as s:
        records = _fill(600)  # ~2.4 MiB of pages into a 1 MiB map
        for key, value in records.items():
            s.put(NOTES, key, value)
        info = s.info()
        assert info.map_grows >= 2
        assert info.map_size is not None
        assert info.map_size >= 4 * MiB
        assert dict(s.scan(NOTES)) == records


def test_a_big_batch_of_queued_writes_grows_the_map(store_path: Path) -> None:
    with Store.open(store_path, map_size=MiB, sync=False) as s:
        records = _fill(800)
        for key, value in records.items():
            s.put_later(NOTES, key, value)
        assert s.flush(30)
        assert s.info().map_grows >= 2
        assert dict(s.scan(NOTES)) == records
        assert s.available


def test_a_transaction_that_overflows_at_commit_is_replayed_after_growing(
    store_path: Path,
) -> None:
    with Store.open(store_path, map_size=MiB, sync=False) as s:
        s.put(NOTES, "seen", Note(text="before", n=1))
        records = _fill(500)
        body_runs = 0
        with s.transaction() as txn:
            body_runs += 1
            seen = txn.get(NOTES, "seen")
            assert seen is not None
            for key, value in records.items():
                txn.put(NOTES, key, value)
            txn.put(NOTES, "seen", Note(text="after", n=seen.n + 1))
        assert body_runs == 1
        assert s.info().map_grows >= 1
        assert s.get(NOTES, "seen") == Note(text="after", n=2)
        assert s.count(NOTES) == 501


def test_update_grows_the_map(store_path: Path) -> None:
    with Store.open(store_path, map_size=MiB, sync=False) as s:
        for key, value in _fill(200).items():
            s.put(NOTES, key, value)
        calls = 0

        def big(cur: Note | None) -> Note:
            nonlocal calls
            calls += 1
            return Note(text="y" * (3 * MiB))

        before = s.info().map_grows
        assert s.update(NOTES, "huge", big) is not None
        assert s.info().map_grows > before
        assert calls >= 2  # fn is re-run after the map grew, as documented
        stored = s.get(NOTES, "huge")
        assert stored is not None
        assert len(stored.text) == 3 * MiB


def test_growth_by_another_process_is_adopted(store_path: Path) -> None:
    with Store.open(store_path, map_size=MiB, sync=False) as s:
        s.put(NOTES, "mine", Note(text="mine"))
        assert s.info().map_size == MiB
        run_py(
            """
            s = Store.open(sys.argv[1], map_size=1 << 20)
            for i in range(1500):
                s.put_later(NOTES, f"other{i:05d}", Note(text="x" * 4000, n=i))
            s.close()
            """,
            str(store_path),
        )
        # This process still maps 1 MiB; the file now holds ~6 MiB of pages.
        got = s.get(NOTES, "other01499")
        assert got == Note(text="x" * 4000, n=1499)
        info = s.info()
        assert info.map_adoptions >= 1
        assert info.map_size is not None
        assert info.map_size >= 6 * MiB
        s.put(NOTES, "after", Note(text="still writable"))
        assert s.count(NOTES) == 1502
        assert s.available


def test_full_at_the_size_limit_disables_the_store(
    store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = Store.open(store_path, map_size=MiB, max_map_size=2 * MiB, sync=False)
    try:
        kept = _fill(50)
        for key, value in kept.items():
            s.put(NOTES, key, value)
        with caplog.at_level(logging.ERROR, logger="skvm_shim.store"):
            with pytest.raises(StoreUnavailable, match="full"):
                _put_in_one_transaction(s, _fill(1000, offset=50))
            with pytest.raises(StoreUnavailable):
                s.get(NOTES, "k00000")
            with pytest.raises(StoreUnavailable):
                s.put_later(LOG, "x", Note(text="x"))
        assert not s.available
        assert "full" in (s.info().disabled_reason or "")
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert str(s.path) in errors[0].getMessage()
    finally:
        s.close()
    # Nothing of the failed transaction was written; everything before it is intact.
    out = run_py(
        """
        s = Store.open(sys.argv[1], max_map_size=1 << 30)
        print(s.count(NOTES), s.get(NOTES, "k00049").n, s.get(NOTES, "k00050"))
        """,
        str(store_path),
    )
    assert out.stdout.split() == ["50", "49", "None"]


def test_replay_refuses_when_another_process_committed_meanwhile(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The body already ran on a snapshot; if another commit slipped in while the map grew,
    replaying its writes would be wrong, so the transaction fails (without disabling)."""
    real_grow = Core._grow

    def grow_then_let_another_process_write(self: Core, seen: int) -> None:
        real_grow(self, seen)
        run_py(
            """
            s = Store.open(sys.argv[1])
            s.put(NOTES, "interloper", Note(text="x"))
            """,
            str(self.path),
        )

    with Store.open(store_path, map_size=MiB, sync=False) as s:
        monkeypatch.setattr(Core, "_grow", grow_then_let_another_process_write)
        with pytest.raises(StoreUnavailable, match="another process committed"):
            _put_in_one_transaction(s, _fill(400))
        monkeypatch.setattr(Core, "_grow", real_grow)
        assert s.available
        assert s.get(NOTES, "interloper") == Note(text="x")
        assert s.get(NOTES, "k00000") is None
