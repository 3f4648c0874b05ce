"""The probe catalogue: one generator per primitive and level (26 x 3)."""

from __future__ import annotations

from collections.abc import Iterable

from skvm_shim.profiler.generators import follow, gen_code, gen_text, reason, tool_use
from skvm_shim.profiler.probe import Generator

CATALOGUE: tuple[Generator, ...] = (
    *gen_code.GENERATORS,
    *gen_text.GENERATORS,
    *reason.GENERATORS,
    *tool_use.GENERATORS,
    *follow.GENERATORS,
)
_BY_KEY = {g.key: g for g in CATALOGUE}


def generator(primitive: str, level: int) -> Generator:
    return _BY_KEY[f"{primitive}/L{level}"]


def primitives() -> tuple[str, ...]:
    """The primitives with generators, in catalogue order."""
    return tuple(dict.fromkeys(g.primitive for g in CATALOGUE))


def select(wanted: Iterable[str] | None = None) -> tuple[Generator, ...]:
    """Generators of the ``wanted`` primitives (all when None), in catalogue order."""
    if wanted is None:
        return CATALOGUE
    chosen = set(wanted)
    unknown = chosen - set(primitives())
    if unknown:
        raise KeyError(f"no probes for: {', '.join(sorted(unknown))}")
    return tuple(g for g in CATALOGUE if g.primitive in chosen)
