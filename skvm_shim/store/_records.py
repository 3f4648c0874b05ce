"""Turning stored bytes into models at the edge of the store."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from skvm_shim.store._env import Core
from skvm_shim.store.tables import BadRecord, Table, decode_value

M = TypeVar("M", bound=BaseModel)


def model_or_none(core: Core, table: Table[M], key: str, raw: bytes | None) -> M | None:
    """The record as ``table.model``; unreadable records read as missing and are logged once."""
    if raw is None:
        return None
    try:
        return decode_value(table, raw)
    except BadRecord as why:
        core.bad_records.report(table, key, why)
        return None
