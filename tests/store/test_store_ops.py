"""get/put/delete/scan/count/append/update/transaction on one store."""

from __future__ import annotations

import random
import threading

import pytest

from skvm_shim.config import Settings
from skvm_shim.store import Store, StoreUnavailable, _scan, join_key, key_prefix, log_key_time_ns
from tests.store._support import LOG, NOTES, Note, writer_held


def test_put_get_delete(store: Store) -> None:
    assert store.get(NOTES, "a") is None
    store.put(NOTES, "a", Note(text="one"))
    store.put(NOTES, "a", Note(text="two"))
    assert store.get(NOTES, "a") == Note(text="two")
    assert store.count(NOTES) == 1
    assert store.delete(NOTES, "a") is True
    assert store.delete(NOTES, "a") is False
    assert store.get(NOTES, "a") is None
    assert store.count(NOTES) == 0


def test_tables_are_separate(store: Store) -> None:
    store.put(NOTES, "k", Note(text="note"))
    store.put(LOG, "k", Note(text="log"))
    assert store.get(NOTES, "k") == Note(text="note")
    assert store.get(LOG, "k") == Note(text="log")


def test_reading_a_table_nothing_was_written_to(store: Store) -> None:
    assert store.get(LOG, "x") is None
    assert list(store.scan(LOG)) == []
    assert store.count(LOG) == 0
    assert store.delete(LOG, "x") is False


def test_compound_keys_prefix_scan(store: Store) -> None:
    for skill, model, harness in [
        ("s1", "gpt", "codex"),
        ("s1", "gpt", "claude-code"),
        ("s1", "gpt-4o", "codex"),
        ("s10", "gpt", "codex"),
        ("s2", "gpt", "codex"),
    ]:
        store.put(NOTES, join_key(skill, model, harness), Note(text=f"{skill}/{model}/{harness}"))
    got = [v.text for _, v in store.scan(NOTES, key_prefix("s1", "gpt"))]
    assert got == ["s1/gpt/claude-code", "s1/gpt/codex"]
    assert [v.text for _, v in store.scan(NOTES, key_prefix("s1"))] == [
        "s1/gpt/claude-code",
        "s1/gpt/codex",
        "s1/gpt-4o/codex",
    ]


def _expected(
    model: dict[str, int], prefix: str, start: str | None, reverse: bool
) -> list[tuple[str, int]]:
    keys = sorted((k for k in model if k.startswith(prefix)), key=str.encode, reverse=reverse)
    if start is not None:
        keys = [k for k in keys if (k <= start if reverse else k >= start)]
    return [(k, model[k]) for k in keys]


def _check_scans(
    store: Store, model: dict[str, int], rng: random.Random, alphabet: list[str]
) -> None:
    for _ in range(20):
        prefix = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 2)))
        start = (
            None
            if rng.random() < 0.4
            else "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 3)))
        )
        reverse = rng.random() < 0.5
        got = [(k, v.n) for k, v in store.scan(NOTES, prefix, start=start, reverse=reverse)]
        assert got == _expected(model, prefix, start, reverse), (prefix, start, reverse)
    assert store.count(NOTES) == len(model)


@pytest.mark.parametrize("seed", range(12))
def test_scan_matches_a_sorted_dict(
    store: Store, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """Committed values, deletes, then queued values over them, in tiny batches: scan equals
    filtering and sorting a dict, before and after the queue is committed."""
    monkeypatch.setattr(_scan, "BATCH", 3)  # cross many batch boundaries
    rng = random.Random(seed)
    alphabet = ["a", "b", "\xff", "é", "\x00", "z"]

    def random_key() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4)))

    model: dict[str, int] = {}
    for i in range(50):
        if rng.random() < 0.2 and model:
            victim = rng.choice(sorted(model))
            assert store.delete(NOTES, victim)
            del model[victim]
        else:
            key = random_key()
            store.put(NOTES, key, Note(text=key, n=i))
            model[key] = i
    with writer_held(store):
        for i in range(50, 80):
            key = random_key()
            store.put_later(NOTES, key, Note(text=key, n=i))
            model[key] = i
        assert store.info().pending_writes == 30
        _check_scans(store, model, rng, alphabet)
    assert store.flush(10)
    assert store.info().pending_writes == 0
    _check_scans(store, model, rng, alphabet)


def test_scan_does_not_hold_a_transaction_between_items(store: Store) -> None:
    for i in range(600):
        store.put_later(NOTES, f"{i:04d}", Note(text="x", n=i))
    store.flush()
    seen = []
    for key, _ in store.scan(NOTES):
        seen.append(key)
        if key == "0300":
            # Writing mid-iteration would deadlock or fail if the scan held the write path or
            # a transaction across yields; a key behind the cursor is simply not revisited.
            store.put(NOTES, "0000", Note(text="rewritten"))
            store.put(NOTES, "9999", Note(text="new, ahead of the cursor"))
    assert seen[:600] == [f"{i:04d}" for i in range(600)]
    assert store.get(NOTES, "0000") == Note(text="rewritten")


def test_append_keys_are_time_ordered_and_scannable_per_group(store: Store) -> None:
    group = join_key("skill", "model", "codex")
    other = join_key("skill", "model", "pi")
    keys = [store.append(LOG, Note(text=f"e{i}"), under=group) for i in range(5)]
    store.append(LOG, Note(text="other"), under=other)
    plain = store.append(LOG, Note(text="plain"))
    assert keys == sorted(keys)
    assert [v.text for _, v in store.scan(LOG, key_prefix("skill", "model", "codex"))] == [
        f"e{i}" for i in range(5)
    ]
    newest = next(store.scan(LOG, key_prefix("skill", "model", "codex"), reverse=True))
    assert newest[1].text == "e4"
    assert log_key_time_ns(plain) >= log_key_time_ns(keys[-1])


def test_update_is_read_modify_write(store: Store) -> None:
    def bump(cur: Note | None) -> Note:
        return Note(text="c", n=(cur.n if cur else 0) + 1)

    assert store.update(NOTES, "c", bump) == Note(text="c", n=1)
    assert store.update(NOTES, "c", bump) == Note(text="c", n=2)
    assert store.update(NOTES, "c", lambda cur: None) is None
    assert store.get(NOTES, "c") is None


def test_update_fn_exception_writes_nothing(store: Store) -> None:
    store.put(NOTES, "c", Note(text="before"))

    def boom(cur: Note | None) -> Note:
        raise KeyError("fn failed")

    with pytest.raises(KeyError):
        store.update(NOTES, "c", boom)
    assert store.get(NOTES, "c") == Note(text="before")
    assert store.available


def test_concurrent_updates_from_threads_lose_nothing(store: Store) -> None:
    def worker() -> None:
        for _ in range(200):
            store.update(NOTES, "counter", lambda c: Note(text="n", n=(c.n if c else 0) + 1))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(NOTES, "counter") == Note(text="n", n=800)


def test_open_default_uses_settings(tmp_path: object) -> None:
    from pathlib import Path

    home = Path(str(tmp_path)) / "home"
    s = Store.open_default(Settings(home=home))
    try:
        assert s.path == (home / "store").resolve()
        s.put(NOTES, "k", Note(text="x"))
        assert (home / "store" / "data.mdb").exists()
    finally:
        s.close()


def test_handles_share_one_environment_and_are_reference_counted(store_path: object) -> None:
    from pathlib import Path

    path = Path(str(store_path))
    a = Store.open(path)
    b = Store.open(path)  # a second LMDB open in one process would fail; this must not
    a.put(NOTES, "k", Note(text="shared"))
    assert b.get(NOTES, "k") == Note(text="shared")
    a.close()
    a.close()  # idempotent
    assert b.get(NOTES, "k") == Note(text="shared")  # b still works
    with pytest.raises(StoreUnavailable):
        a.get(NOTES, "k")
    b.close()
    with Store.open(path) as c:  # reopened after the last close
        assert c.get(NOTES, "k") == Note(text="shared")
    assert not c.available


def test_info_reports_sizes(store: Store) -> None:
    store.put(NOTES, "k", Note(text="x"))
    info = store.info()
    assert info.available
    assert info.disabled_reason is None
    assert info.map_size is not None
    assert info.used_bytes is not None
    assert 0 < info.used_bytes <= info.map_size <= info.max_map_size
