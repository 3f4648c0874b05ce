"""Typed tables and the record encoding.

A record is the JSON object ``{"v": <schema version>, "d": <model as JSON>}``. Readers check the
version and validate ``d`` against the table's model; a record that is of another version or does
not validate reads as missing (logged once), so a schema change never breaks the caller: it
recompiles or re-learns instead.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

log = logging.getLogger("skvm_shim.store")

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_HEAD = re.compile(rb'\{"v":(\d{1,9}),"d":')
MAX_KEY_BYTES = 511
"""LMDB's key size limit in its default build; longer keys are rejected before they reach it."""


def is_table_name(name: str) -> bool:
    return _NAME.fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class Table(Generic[M]):
    """A named sub-database whose values are ``model`` instances at ``schema_version``.

    Declare one module-level constant per table; bump ``schema_version`` when stored records of
    the old shape should stop being served.
    """

    name: str
    model: type[M]
    schema_version: int = 1

    def __post_init__(self) -> None:
        if not is_table_name(self.name):
            raise ValueError(
                f"table name {self.name!r} must be 1-64 characters of [A-Za-z0-9_.:-], "
                "starting with a letter or digit"
            )
        if not (isinstance(self.model, type) and issubclass(self.model, BaseModel)):
            raise TypeError(f"table {self.name!r}: model must be a pydantic model class")
        if not isinstance(self.schema_version, int) or self.schema_version < 0:
            raise ValueError(f"table {self.name!r}: schema_version must be an int >= 0")


class BadRecord(Exception):
    """A stored value that cannot be served as the table's model (never leaves the store)."""


def encode_key(key: str) -> bytes:
    """The key as LMDB bytes; raises ``ValueError`` for keys LMDB cannot hold."""
    if not isinstance(key, str):
        raise TypeError(f"store keys are str, not {type(key).__name__}")
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"store key {key!r} is not valid UTF-8 text") from exc
    if not raw:
        raise ValueError("store keys must not be empty")
    if len(raw) > MAX_KEY_BYTES:
        raise ValueError(f"store key is {len(raw)} bytes long; the limit is {MAX_KEY_BYTES}")
    return raw


def encode_value(table: Table[M], value: M) -> bytes:
    if not isinstance(value, table.model):
        raise TypeError(
            f"table {table.name!r} holds {table.model.__name__}, not {type(value).__name__}"
        )
    body = table.model.__pydantic_serializer__.to_json(value, by_alias=True)
    return b'{"v":%d,"d":%b}' % (table.schema_version, body)


def decode_value(table: Table[M], raw: bytes) -> M:
    head = _HEAD.match(raw)
    if head is None or not raw.endswith(b"}"):
        raise BadRecord("not a skvm-shim store record")
    version = int(head.group(1))
    if version != table.schema_version:
        raise BadRecord(f"schema version {version}, this code reads {table.schema_version}")
    try:
        return table.model.model_validate_json(raw[head.end() : -1])
    except ValidationError as exc:
        raise BadRecord(f"fails validation ({exc.error_count()} errors)") from exc


class BadRecordLog:
    """Logs each unreadable record once; stops remembering after ``limit`` distinct ones."""

    def __init__(self, path: Path, limit: int = 1000) -> None:
        self._path = path
        self._limit = limit
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._saturated = False

    def report(self, table: Table[Any], key: str, why: BadRecord) -> None:
        with self._lock:
            if (table.name, key) in self._seen or self._saturated:
                return
            if len(self._seen) >= self._limit:
                self._saturated = True
                log.warning(
                    "store %s: more than %d unreadable records; no longer logging them",
                    self._path,
                    self._limit,
                )
                return
            self._seen.add((table.name, key))
        log.warning(
            "store %s: record %r in table %r reads as missing: %s", self._path, key, table.name, why
        )
