"""put_later/append_later: queued, visible at once in this process, committed in batches."""

from __future__ import annotations

from pathlib import Path

import pytest

from skvm_shim.store import Store, StoreUnavailable, key_prefix
from tests.store._support import LOG, NOTES, Note, run_py, writer_held

_READ_IN_CHILD = """
import lmdb
env = lmdb.open(sys.argv[1], readonly=True, max_dbs=8)  # never waits for the write lock
db = env.open_db(b"notes", create=False)
with env.begin() as txn:
    print(json.dumps({k.decode(): json.loads(v)["d"]["text"] for k, v in txn.cursor(db=db)}))
"""


def _committed(path: Path) -> dict[str, str]:
    """What another process sees: only committed data (read with plain LMDB, read-only)."""
    import json

    out: dict[str, str] = json.loads(run_py(_READ_IN_CHILD, str(path)).stdout)
    return out


def test_queued_values_are_visible_here_before_they_are_committed(
    store: Store, store_path: Path
) -> None:
    store.put(NOTES, "a", Note(text="committed"))
    # Creating a table needs the write lock: create LOG before another thread holds it.
    store.prepare(LOG)
    with writer_held(store):
        store.put_later(NOTES, "a", Note(text="queued a"))
        store.put_later(NOTES, "b", Note(text="queued b"))
        key = store.append_later(LOG, Note(text="event"))
        assert store.get(NOTES, "a") == Note(text="queued a")
        assert store.get(NOTES, "b") == Note(text="queued b")
        assert store.get(LOG, key) == Note(text="event")
        assert [v.text for _, v in store.scan(NOTES)] == ["queued a", "queued b"]
        assert store.count(NOTES) == 2
        assert store.count(LOG) == 1
        assert store.flush(timeout=0.2) is False  # the writer cannot commit yet
        assert store.info().pending_writes == 3
        assert _committed(store.path) == {"a": "committed"}
    assert store.flush(timeout=10) is True
    assert _committed(store.path) == {"a": "queued a", "b": "queued b"}
    assert store.info().pending_writes == 0


def test_queued_writes_are_batched_into_few_transactions(store: Store) -> None:
    store.put(NOTES, "warm-up", Note(text="x"))
    before = store.info().last_txnid
    with writer_held(store):
        for i in range(500):
            store.put_later(NOTES, f"k{i:03d}", Note(text="v", n=i))
    store.flush()
    after = store.info().last_txnid
    assert before is not None
    assert after is not None
    # 500 writes; the holder's empty transaction commits too. One batch takes up to 1000.
    assert after - before <= 3
    assert store.count(NOTES) == 501


def test_later_writes_to_one_key_win(store: Store) -> None:
    for i in range(50):
        store.put_later(NOTES, "k", Note(text="k", n=i))
    assert store.get(NOTES, "k") == Note(text="k", n=49)
    store.flush()
    assert store.get(NOTES, "k") == Note(text="k", n=49)


def test_program_order_holds_between_queued_and_synchronous_writes(store: Store) -> None:
    with writer_held(store):
        store.put_later(NOTES, "k", Note(text="queued"))
    store.put(NOTES, "k", Note(text="sync"))  # must not be overwritten by the queued one
    store.put_later(NOTES, "d", Note(text="queued"))
    assert store.delete(NOTES, "d") is True
    store.flush()
    assert store.get(NOTES, "k") == Note(text="sync")
    assert store.get(NOTES, "d") is None


def test_append_later_keys_are_ordered_and_scannable(store: Store) -> None:
    keys = [store.append_later(LOG, Note(text=f"e{i}"), under="sess") for i in range(20)]
    assert keys == sorted(keys)
    assert [v.text for _, v in store.scan(LOG, key_prefix("sess"))] == [f"e{i}" for i in range(20)]
    store.flush()
    assert [v.text for _, v in store.scan(LOG, key_prefix("sess"))] == [f"e{i}" for i in range(20)]


def test_close_flushes(store_path: Path) -> None:
    s = Store.open(store_path)
    for i in range(100):
        s.put_later(NOTES, f"{i:03d}", Note(text="x", n=i))
    s.close()
    assert len(_committed(store_path)) == 100


def test_interpreter_exit_flushes_without_close(store_path: Path) -> None:
    run_py(
        """
        s = Store.open(sys.argv[1])
        for i in range(300):
            s.put_later(NOTES, f"{i:03d}", Note(text="x", n=i))
        # no flush, no close: the exit hook must commit the queue
        """,
        str(store_path),
    )
    assert len(_committed(store_path)) == 300


def test_full_queue_fails_open(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store._core_ref.writer, "_max_pending", 5)
    with writer_held(store):
        for i in range(5):
            store.put_later(NOTES, str(i), Note(text="x"))
        with pytest.raises(StoreUnavailable, match="queue is full"):
            store.put_later(NOTES, "overflow", Note(text="x"))
    store.flush()
    assert store.available  # a full queue is momentary, not a broken store
    assert store.count(NOTES) == 5
