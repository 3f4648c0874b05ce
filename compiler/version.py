"""Compiler version and ruleset fingerprint (recorded in every variant's provenance)."""

from __future__ import annotations

import hashlib
from functools import cache

COMPILER_VERSION = "0.1.0"


@cache
def ruleset_id() -> str:
    """Fingerprint of the rule tables and compensation texts: edits to them change variants."""
    from compiler import alternatives, compensations, signals

    h = hashlib.sha256()
    for table in (
        signals.PATTERN_SIGNALS,
        signals.LIBRARIES,
        signals.FILE_FORMATS,
        signals.SHELL_COMMANDS,
        tuple((a.id, a.replaces, a.needs, a.note) for a in alternatives.ALTERNATIVES),
        tuple(sorted(compensations.LIBRARY_PATTERNS.items())),
        tuple(sorted(compensations.STDLIB_PATTERNS.items())),
        tuple(
            sorted((f"{k[0]}@{k[1]}", v.__name__) for k, v in compensations.COMPENSATIONS.items())
        ),
    ):
        h.update(repr(table).encode())
    return h.hexdigest()[:16]
