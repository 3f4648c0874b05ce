"""Capability levels L0 < L1 < L2 < L3 (L0: the model failed even L1)."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    L0 = 0
    L1 = 1
    L2 = 2
    L3 = 3

    @classmethod
    def parse(cls, value: str | int | Level) -> Level:
        """Accept ``"L2"``, ``"l2"``, ``2`` or a Level."""
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        text = value.strip().upper()
        if text.startswith("L") and text[1:].isdigit():
            return cls(int(text[1:]))
        raise ValueError(f"not a capability level: {value!r}")

    def __str__(self) -> str:
        return self.name
