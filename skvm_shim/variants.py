"""Which text to serve for a detected skill: a compiled variant or the original.

Lookup for (skill, model, harness) falls back from the exact harness to a variant compiled for
``generic``. Within a variant set, a session's bucket (from its id) decides between the holdout
(original), the canary and the current variant, so one session always sees one choice.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from skvm_shim.models import load_aliases, normalize_model
from skvm_shim.records import ORIGINAL, VARIANT_SETS, VARIANTS, Switch, VariantRecord, VariantSet
from skvm_shim.skills.model import Skill, content_hash, normalize_text
from skvm_shim.store import Store, join_key

_CACHE = 512


@dataclass(frozen=True, slots=True)
class Choice:
    """The outcome of a lookup: ``variant`` None means serve the original.

    ``known`` is False when no variant set exists for the key at all (so one should be compiled).
    """

    variant: VariantRecord | None
    known: bool

    @property
    def variant_id(self) -> str:
        return self.variant.id if self.variant is not None else ORIGINAL


def bucket_of(session_id: str) -> float:
    """A stable number in [0, 1) per session, uniform over sessions, for canary and holdout.

    Hashed, not read off the id: a session id ends in its key's generation counter (0, 1, 2...),
    which would put nearly every session in bucket 0 and so in the holdout.
    """
    digest = hashlib.blake2b(session_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") / 0x1_0000_0000


def pick(variant_set: VariantSet, bucket: float) -> str | None:
    if variant_set.holdout_share > 0 and bucket < variant_set.holdout_share:
        return ORIGINAL
    upper = variant_set.holdout_share + variant_set.canary_share
    if variant_set.canary and bucket < upper:
        return variant_set.canary
    return variant_set.current


class VariantSelector:
    """Store lookups for variants; variant records are immutable, so they are cached by id."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._records: OrderedDict[str, VariantRecord | None] = OrderedDict()

    def choose(self, skill_hash: str, model: str, harness: str, bucket: float) -> Choice:
        harnesses = (harness, "generic") if harness != "generic" else ("generic",)
        for h in harnesses:
            variant_set = self._store.get(VARIANT_SETS, join_key(skill_hash, model, h))
            if variant_set is None:
                continue
            chosen = pick(variant_set, bucket)
            if chosen is None or chosen == ORIGINAL:
                return Choice(None, True)
            record = self.record(chosen)
            if record is not None and record.servable:
                return Choice(record, True)
        return Choice(None, False)

    def record(self, variant_id: str) -> VariantRecord | None:
        if variant_id == ORIGINAL:
            return None
        with self._lock:
            if variant_id in self._records:
                self._records.move_to_end(variant_id)
                return self._records[variant_id]
        record = self._store.get(VARIANTS, variant_id)
        if record is not None:
            with self._lock:
                self._records[variant_id] = record
                while len(self._records) > _CACHE:
                    self._records.popitem(last=False)
        return record


def variant_id_of(text: str) -> str:
    """Content address of a variant's SKILL.md text."""
    return "v-" + content_hash(normalize_text(text))[:24]


def publish_variant(
    store: Store,
    *,
    skill: Skill,
    text: str,
    model: str,
    harness: str,
    reason: str = "published",
    provenance: dict[str, Any] | None = None,
    ilp_groups: int = 0,
    env_deps: list[dict[str, Any]] | None = None,
    variant_id: str | None = None,
) -> VariantRecord:
    """Store a variant and make it current for (skill, model, harness), in one transaction.

    The switch is appended to the variant set's history with ``reason`` and the provenance as
    evidence, so every change of what a key serves can be explained later. ``model`` is keyed by
    ``normalize_model`` with the stored aliases; ``env_deps`` are the pass-2 dependencies the
    environment note is rendered from when the variant is served. ``variant_id`` is the id the
    compiler gave the variant (its folder's name), so the id a compile prints is the id served;
    without it the id is the content address of ``text``.
    """
    record = VariantRecord(
        id=variant_id or variant_id_of(text),
        skill_hash=skill.hash,
        skill_name=skill.name,
        text=normalize_text(text),
        model=normalize_model(model, load_aliases(store)),
        harness=harness,
        provenance=provenance or {},
        ilp_groups=ilp_groups,
        env_deps=env_deps or [],
    )
    key = join_key(skill.hash, record.model, harness)
    with store.transaction() as txn:
        txn.put(VARIANTS, record.id, record)
        current = txn.get(VARIANT_SETS, key) or VariantSet()
        if current.current != record.id:
            current.history.append(
                Switch(
                    from_id=current.current,
                    to_id=record.id,
                    reason=reason,
                    evidence=dict(provenance or {}),
                )
            )
            current.current = record.id
        txn.put(VARIANT_SETS, key, current)
    return record
