"""The environment note served with a variant (docs/compiler.md).

A variant's pass-2 dependencies are stored with it; what is installed is checked on the machine
that serves it (``compiler.PresenceCache``, probe injectable) and told to the model in one short
paragraph appended to the replacement text: "Environment on this machine: present: pandas, jq;
missing: pdftotext (run `bash .../env-setup.sh` to install them)." The note is never stored, so
the stored variant stays exactly what the guard checked.

A session keeps the note it was first served: presence may change (someone runs env-setup.sh)
but a conversation's history must stay byte-stable for prompt caches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from compiler import Dependency, EnvManifest, PresenceCache, render_env_note
from skvm_shim.records import VariantRecord

_PINNED = 4096
T = TypeVar("T")


class EnvNotes:
    """Renders and pins the note per (session, variant)."""

    def __init__(self, presence: PresenceCache | None = None) -> None:
        self.presence = presence if presence is not None else PresenceCache()
        self._lock = threading.Lock()
        self._pinned: OrderedDict[tuple[str, str], str] = OrderedDict()

    def note(self, variant: VariantRecord, session_id: str | None) -> str:
        """The note for ``variant`` in this session ('' when it has no dependencies)."""
        if not variant.env_deps:
            return ""
        key = (session_id or "", variant.id)
        if session_id is not None:
            with self._lock:
                pinned = self._pinned.get(key)
                if pinned is not None:
                    self._pinned.move_to_end(key)
                    return pinned
        note = render(variant, self.presence)
        if session_id is not None:
            with self._lock:
                self._pinned[key] = note
                while len(self._pinned) > _PINNED:
                    self._pinned.popitem(last=False)
        return note

    def served(self, variant: VariantRecord, session_id: str | None) -> VariantRecord:
        """``variant`` with the note appended to its text (the same record when there is none)."""
        note = self.note(variant, session_id)
        if not note:
            return variant
        return variant.model_copy(update={"text": f"{variant.text.rstrip()}\n\n{note}"})


def render(variant: VariantRecord, presence: PresenceCache) -> str:
    """The note from the stored dependencies and a presence check on this machine."""
    manifest = EnvManifest(
        dependencies=tuple(Dependency.model_validate(d) for d in variant.env_deps)
    )
    script = variant.provenance.get("env_setup")
    script_path = script if isinstance(script, str) and Path(script).is_file() else None
    return render_env_note(manifest, presence.check(manifest), script_path=script_path)


def with_env_notes(
    planned: Sequence[tuple[T, VariantRecord]], session_id: str | None, notes: EnvNotes | None
) -> list[tuple[T, VariantRecord]]:
    """The planned rewrites with each variant's note added (unchanged without ``notes``)."""
    if notes is None:
        return list(planned)
    return [(detection, notes.served(variant, session_id)) for detection, variant in planned]
