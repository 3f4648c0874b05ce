"""Profiles in the store: import (idempotent, best profile kept), round trip, lookup chain."""

from __future__ import annotations

from pathlib import Path

from compiler import TCP, read_profile_file
from skvm_shim.models import add_alias
from skvm_shim.profiles_store import PROFILES, ProfileStore
from skvm_shim.store import Store, join_key
from tests.wiring.helpers import WEAK_LEVELS, profile_dict, weak_tree, write_profile


def _tcp(**kwargs: object) -> TCP:
    levels = kwargs.pop("levels", WEAK_LEVELS)
    return TCP.model_validate(profile_dict(levels, **kwargs))  # type: ignore[arg-type]


def test_import_is_idempotent_and_keyed_by_model_key_and_harness(store: Store) -> None:
    ps = ProfileStore(store)
    tcp = _tcp(model="openrouter/acme/small-9b")
    first = ps.import_tcp(tcp, source="a")
    again = ps.import_tcp(tcp, source="b")
    assert (first.status, again.status) == ("imported", "unchanged")
    assert first.key == join_key("small-9b", "bare-agent")
    assert store.count(PROFILES) == 1
    stored = store.get(PROFILES, first.key)
    assert stored is not None
    assert stored.source == "a"
    # The SkVM JSON round-trips: same profile id, same effective levels.
    back = stored.tcp()
    assert back.profile_id == tcp.profile_id
    assert back.effective_levels == tcp.effective_levels


def test_complete_newer_profile_wins_and_is_not_replaced_by_an_older_one(store: Store) -> None:
    ps = ProfileStore(store)
    old = _tcp(model="acme/small-9b", profiled_at="2026-04-01T00:00:00Z")
    new = _tcp(model="openrouter/acme/small-9b", profiled_at="2026-04-09T00:00:00Z", levels={})
    partial = _tcp(model="acme/small-9b", profiled_at="2026-05-01T00:00:00Z", partial=True)
    assert ps.import_tcp(old, source="x").status == "imported"
    upd = ps.import_tcp(new, source="y")
    assert (upd.status, upd.replaced) == ("updated", old.profile_id)
    assert ps.import_tcp(old, source="x").status == "kept-stored"
    assert ps.import_tcp(partial, source="z").status == "kept-stored"  # complete beats partial
    (only,) = ps.records()
    assert only.profile_id == new.profile_id


def test_lookup_chain_with_stored_aliases(store: Store, tmp_path: Path) -> None:
    root = weak_tree(tmp_path / "profiles")
    ps = ProfileStore(store, ttl_seconds=0)
    for f in sorted(root.glob("*/*/*.json")):
        ps.import_tcp(read_profile_file(f), source=str(f))
    exact = ps.find("acme/small-9b", "bare-agent")
    assert exact is not None
    assert (exact.kind, exact.tcp.harness) == ("exact", "bare-agent")
    fallback = ps.find("small-9b", "claude-code")
    assert fallback is not None
    assert fallback.kind == "same-model-bare-agent"
    newest = ps.find("large-400b", "codex")
    assert newest is not None
    assert (newest.kind, newest.tcp.harness) == ("same-model-newest", "openclaw")
    assert ps.find("tiny", "bare-agent") is None
    add_alias(store, "tiny", "acme/small-9b")
    aliased = ps.find("tiny", "bare-agent")
    assert aliased is not None
    assert aliased.tcp.model == "openrouter/acme/small-9b"


def test_monotone_adjustments_are_reported(store: Store, tmp_path: Path) -> None:
    data = profile_dict({}, model="acme/noisy-1b")
    planning = next(d for d in data["details"] if d["primitiveId"] == "reason.planning")
    # L1 1/3, L2 3/3, L3 0/3: L2 for SkVM, not held under the monotone rule.
    for result, passes in zip(planning["levelResults"], (1, 3, 0), strict=True):
        result["passCount"] = passes
        result["passed"] = passes == 3
    planning["highestLevel"] = "L2"
    data["capabilities"]["reason.planning"] = "L2"
    path = write_profile(tmp_path, data)
    outcome = ProfileStore(store).import_tcp(read_profile_file(path), source=str(path))
    assert outcome.adjustments == 1
    assert str(outcome.tcp.level("reason.planning")) == "L0"
