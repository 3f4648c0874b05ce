"""Target Capability Profiles in the store, keyed by (model key, harness), and their lookup.

Profiles are kept as the SkVM JSON they were read from (``TCP`` round-trips it exactly, so the
profile id survives), with where they came from. Lookup is ``compiler.find_profile`` over the
stored profiles with the stored model aliases: exact pair, else the same model under
``bare-agent``, else the newest other harness, else none.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from compiler import TCP, ProfileMatch, find_profile
from compiler.model_ids import ModelAliases, model_key
from skvm_shim.models import load_aliases
from skvm_shim.store import Store, StoreUnavailable, Table, join_key

_RELOAD_TTL_S = 5.0


class StoredProfile(BaseModel):
    """One imported profile: the SkVM JSON unchanged, plus where and when it was imported."""

    model_key: str
    harness: str
    model: str
    profile_id: str
    profiled_at: str
    is_partial: bool
    source: str
    imported_ns: int = Field(default_factory=time.time_ns)
    skvm_json: str

    def tcp(self) -> TCP:
        return TCP.from_skvm_json(self.skvm_json)


PROFILES: Table[StoredProfile] = Table("profiles", StoredProfile, 1)

ImportStatus = Literal["imported", "updated", "unchanged", "kept-stored"]


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """What importing one profile did; ``kept-stored``: the stored one ranks higher."""

    key: str
    status: ImportStatus
    tcp: TCP
    source: str
    replaced: str | None = None

    @property
    def adjustments(self) -> int:
        return len(self.tcp.adjustments)


def profile_key(tcp: TCP) -> str:
    return join_key(model_key(tcp.model), tcp.harness)


def _rank(tcp: TCP) -> tuple[bool, datetime, str]:
    """The order ``find_profile`` uses among profiles of one pair: complete, newest, id."""
    return (not tcp.is_partial, tcp.profiled_at_time, tcp.profile_id)


class ProfileStore:
    """Imported profiles, parsed once per profile id and re-listed every few seconds."""

    def __init__(self, store: Store, *, ttl_seconds: float = _RELOAD_TTL_S) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lock = threading.Lock()
        self._parsed: dict[str, TCP] = {}
        self._listed: tuple[float, list[TCP], dict[str, str]] | None = None
        with contextlib.suppress(StoreUnavailable):
            store.prepare(PROFILES)

    # -- writes --------------------------------------------------------------------------------

    def import_tcp(self, tcp: TCP, *, source: str) -> ImportOutcome:
        """Store ``tcp`` under (model key, harness) unless the stored one ranks higher.

        Idempotent: importing the same profile again reports ``unchanged``. Raises
        :class:`StoreUnavailable` when the store cannot be written.
        """
        key = profile_key(tcp)
        record = StoredProfile(
            model_key=model_key(tcp.model),
            harness=tcp.harness,
            model=tcp.model,
            profile_id=tcp.profile_id,
            profiled_at=tcp.profiled_at,
            is_partial=tcp.is_partial,
            source=source,
            skvm_json=json.dumps(tcp.to_skvm_dict(), ensure_ascii=False, separators=(",", ":")),
        )
        outcome: ImportOutcome | None = None
        with self._store.transaction() as txn:
            stored = txn.get(PROFILES, key)
            if stored is None:
                txn.put(PROFILES, key, record)
                outcome = ImportOutcome(key, "imported", tcp, source)
            elif stored.profile_id == tcp.profile_id:
                outcome = ImportOutcome(key, "unchanged", tcp, source)
            elif _rank(self._parse(stored)) > _rank(tcp):
                outcome = ImportOutcome(key, "kept-stored", tcp, source, stored.profile_id)
            else:
                txn.put(PROFILES, key, record)
                outcome = ImportOutcome(key, "updated", tcp, source, stored.profile_id)
        self._listed = None
        return outcome

    def import_many(self, tcps: Iterable[tuple[TCP, str]]) -> list[ImportOutcome]:
        return [self.import_tcp(tcp, source=source) for tcp, source in tcps]

    def remove(self, model: str, harness: str) -> bool:
        removed = self._store.delete(PROFILES, join_key(model_key(model), harness))
        self._listed = None
        return removed

    # -- reads ---------------------------------------------------------------------------------

    def records(self) -> list[StoredProfile]:
        return [record for _, record in self._store.scan(PROFILES)]

    def profiles(self) -> list[TCP]:
        return self._listing()[1]

    def find(self, model: str, harness: str) -> ProfileMatch | None:
        """The profile for (model, harness) by the lookup chain, with the stored aliases."""
        _, profiles, aliases = self._listing()
        if not profiles:
            return None
        return find_profile(profiles, model, harness, aliases=ModelAliases(aliases))

    def _listing(self) -> tuple[float, list[TCP], dict[str, str]]:
        now = time.monotonic()
        listed = self._listed
        if listed is not None and now - listed[0] < self._ttl:
            return listed
        profiles = [self._parse(record) for record in self.records()]
        listed = (now, profiles, load_aliases(self._store))
        self._listed = listed
        return listed

    def _parse(self, record: StoredProfile) -> TCP:
        with self._lock:
            tcp = self._parsed.get(record.profile_id)
        if tcp is None:
            tcp = record.tcp()
            with self._lock:
                self._parsed[record.profile_id] = tcp
        return tcp
