"""store.transaction(): atomic, isolated from other writers, and nothing half-written on error."""

from __future__ import annotations

import threading
import time

import pytest

from skvm_shim.store import Store, join_key, key_prefix
from tests.store._support import LOG, NOTES, Note


def test_commits_all_writes_together(store: Store) -> None:
    store.put(NOTES, "old", Note(text="old"))
    with store.transaction() as txn:
        txn.put(NOTES, "cur", Note(text="v2"))
        history_key = txn.append(LOG, Note(text="switched to v2"), under=join_key("s", "m", "h"))
        assert txn.delete(NOTES, "old") is True
    assert store.get(NOTES, "cur") == Note(text="v2")
    assert store.get(NOTES, "old") is None
    assert store.get(LOG, history_key) == Note(text="switched to v2")
    assert [k for k, _ in store.scan(LOG, key_prefix("s", "m", "h"))] == [history_key]


def test_reads_see_own_writes(store: Store) -> None:
    store.put(NOTES, "a", Note(text="a"))
    store.put(NOTES, "b", Note(text="b"))
    with store.transaction() as txn:
        assert txn.get(NOTES, "a") == Note(text="a")
        txn.put(NOTES, "a", Note(text="a2"))
        txn.put(NOTES, "c", Note(text="c"))
        assert txn.delete(NOTES, "b") is True
        assert txn.delete(NOTES, "b") is False
        assert txn.get(NOTES, "a") == Note(text="a2")
        assert txn.get(NOTES, "b") is None
        assert [(k, v.text) for k, v in txn.scan(NOTES)] == [("a", "a2"), ("c", "c")]
        assert [k for k, _ in txn.scan(NOTES, reverse=True)] == ["c", "a"]
        assert txn.count(NOTES) == 2
        # Outside the transaction object nothing has changed yet.
        assert store.get(NOTES, "a") == Note(text="a")
        assert store.get(NOTES, "b") == Note(text="b")
    assert store.count(NOTES) == 2


def test_exception_midway_writes_nothing(store: Store) -> None:
    store.put(NOTES, "keep", Note(text="before"))

    def fail_midway() -> None:
        with store.transaction() as txn:
            txn.put(NOTES, "keep", Note(text="after"))
            txn.put(NOTES, "new", Note(text="new"))
            txn.append(LOG, Note(text="entry"))
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        fail_midway()
    assert store.get(NOTES, "keep") == Note(text="before")
    assert store.get(NOTES, "new") is None
    assert store.count(LOG) == 0
    assert store.available  # a caller's exception does not disable the store
    with store.transaction() as txn:  # and the write lock was released
        txn.put(NOTES, "new", Note(text="later"))
    assert store.get(NOTES, "new") == Note(text="later")


def test_read_modify_write_is_isolated_across_threads(store: Store) -> None:
    store.put(NOTES, "n", Note(text="n", n=0))

    def bump() -> None:
        for _ in range(100):
            with store.transaction() as txn:
                cur = txn.get(NOTES, "n")
                assert cur is not None
                time.sleep(0)  # invite a context switch between read and write
                txn.put(NOTES, "n", Note(text="n", n=cur.n + 1))

    threads = [threading.Thread(target=bump) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(NOTES, "n") == Note(text="n", n=300)


def test_store_writes_inside_the_body_are_refused_not_deadlocked(store: Store) -> None:
    with store.transaction() as txn:
        with pytest.raises(RuntimeError):
            store.put(NOTES, "x", Note(text="x"))
        with pytest.raises(RuntimeError):
            store.update(NOTES, "x", lambda cur: cur)
        with pytest.raises(RuntimeError):
            store.flush()
        with pytest.raises(RuntimeError), store.transaction():
            pass
        txn.put(NOTES, "y", Note(text="y"))
        # Reads through the store still work (they see the committed state).
        assert store.get(NOTES, "y") is None
        assert store.get(LOG, "never-opened-table-key") is None
    assert store.get(NOTES, "y") == Note(text="y")
    assert store.get(NOTES, "x") is None


def test_update_fn_cannot_write_through_the_store(store: Store) -> None:
    def nested(cur: Note | None) -> Note:
        store.put(NOTES, "other", Note(text="nested"))
        return Note(text="x")

    with pytest.raises(RuntimeError):
        store.update(NOTES, "k", nested)
    assert store.get(NOTES, "k") is None
    assert store.get(NOTES, "other") is None


def test_transaction_object_is_bound_to_its_block_and_thread(store: Store) -> None:
    errors: list[BaseException] = []
    with store.transaction() as txn:

        def other_thread() -> None:
            try:
                txn.get(NOTES, "a")
            except BaseException as exc:
                errors.append(exc)

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], RuntimeError)
    with pytest.raises(RuntimeError):
        txn.put(NOTES, "late", Note(text="late"))


def test_put_later_before_transaction_is_committed_first(store: Store) -> None:
    store.put_later(NOTES, "k", Note(text="queued", n=1))
    with store.transaction() as txn:
        cur = txn.get(NOTES, "k")
        assert cur == Note(text="queued", n=1)
        txn.put(NOTES, "k", Note(text="txn", n=cur.n + 1))
    store.flush()
    assert store.get(NOTES, "k") == Note(text="txn", n=2)
