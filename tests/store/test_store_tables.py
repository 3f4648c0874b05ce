"""Typed tables: versioned JSON records, and unreadable records read as missing (logged once)."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, Field

from skvm_shim.store import Store, Table
from tests.store._support import NOTES, Note


class NoteV2(BaseModel):
    text: str
    n: int = 0
    tags: list[str] = Field(min_length=1)


class Strict(BaseModel):
    count: int


def _raw_put(store: Store, table: str, key: bytes, raw: bytes) -> None:
    """Write bytes behind the store's back, as another version of the code would."""
    env = store._core_ref.env  # the environment this process already has open
    assert env is not None
    with env.begin(write=True) as txn:
        txn.put(key, raw, db=env.open_db(table.encode(), txn=txn))


def test_table_declaration_is_validated() -> None:
    with pytest.raises(ValueError):
        Table("", Note)
    with pytest.raises(ValueError):
        Table("has space", Note)
    with pytest.raises(ValueError):
        Table("x" * 65, Note)
    with pytest.raises(TypeError):
        Table("plain", dict)  # type: ignore[type-var]
    with pytest.raises(ValueError):
        Table("neg", Note, -1)
    assert Table("variants.v2", Note, 3).schema_version == 3


def test_record_is_json_with_schema_version(store: Store) -> None:
    store.put(NOTES, "k", Note(text="hi", n=2))
    env = store._core_ref.env
    assert env is not None
    with env.begin() as txn:
        raw = txn.get(b"k", db=env.open_db(b"notes", txn=txn, create=False))
    assert raw == b'{"v":1,"d":{"text":"hi","n":2}}'


def test_round_trip_returns_equal_but_fresh_objects(store: Store) -> None:
    note = Note(text="x", n=1)
    store.put(NOTES, "k", note)
    got = store.get(NOTES, "k")
    assert got == note
    assert got is not note


def test_other_schema_version_reads_as_missing_and_is_logged_once(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.put(NOTES, "old", Note(text="v1"))
    store.put(NOTES, "kept", Note(text="v1"))
    newer: Table[Note] = Table("notes", Note, 2)
    with caplog.at_level(logging.WARNING, logger="skvm_shim.store"):
        assert store.get(newer, "old") is None
        assert store.get(newer, "old") is None
        assert list(store.scan(newer)) == []
    about_old = [r for r in caplog.records if "'old'" in r.getMessage()]
    assert len(about_old) == 1
    assert "schema version 1" in about_old[0].getMessage()
    assert store.get(NOTES, "old") == Note(text="v1")  # the record itself is untouched
    assert store.count(newer) == 2  # count is of records, readable or not


def test_record_failing_validation_reads_as_missing(store: Store) -> None:
    store.put(NOTES, "a", Note(text="no tags"))
    as_v2: Table[NoteV2] = Table("notes", NoteV2, 1)
    assert store.get(as_v2, "a") is None
    store.put(as_v2, "b", NoteV2(text="t", tags=["x"]))
    assert [k for k, _ in store.scan(as_v2)] == ["b"]


@pytest.mark.parametrize(
    "raw",
    [b"garbage", b'{"v":1,"d":{"count":"many"}}', b'{"v":1,"d":{"count":1}', b"", b'{"d":1}'],
)
def test_garbage_reads_as_missing_never_raises(store: Store, raw: bytes) -> None:
    table: Table[Strict] = Table("strict", Strict)
    store.put(table, "good", Strict(count=1))
    _raw_put(store, "strict", b"bad", raw)
    assert store.get(table, "bad") is None
    assert list(store.scan(table)) == [("good", Strict(count=1))]
    assert store.update(table, "bad", lambda cur: Strict(count=0 if cur is None else 99)) == (
        Strict(count=0)
    )


def test_bad_keys_are_the_callers_error(store: Store) -> None:
    for bad in ["", "x" * 512, "\ud800"]:
        with pytest.raises(ValueError):
            store.put(NOTES, bad, Note(text="x"))
        with pytest.raises(ValueError):
            store.get(NOTES, bad)
        with pytest.raises(ValueError):
            store.put_later(NOTES, bad, Note(text="x"))
    with pytest.raises(TypeError):
        store.get(NOTES, b"bytes")  # type: ignore[arg-type]
    store.put(NOTES, "é" * 255, Note(text="510 bytes is fine"))
    assert store.get(NOTES, "é" * 255) is not None
    assert store.available


def test_value_must_be_the_tables_model(store: Store) -> None:
    with pytest.raises(TypeError):
        store.put(NOTES, "k", Strict(count=1))  # type: ignore[misc]
    with pytest.raises(TypeError):
        store.put_later(NOTES, "k", {"text": "x"})  # type: ignore[misc]


def test_subclass_instances_are_stored_as_the_tables_model(store: Store) -> None:
    class Extra(Note):
        secret: str = "never stored"

    store.put(NOTES, "k", Extra(text="x"))
    env = store._core_ref.env
    assert env is not None
    with env.begin() as txn:
        raw = txn.get(b"k", db=env.open_db(b"notes", txn=txn, create=False))
    assert raw is not None
    assert b"never stored" not in raw
    assert store.get(NOTES, "k") == Note(text="x")
