"""Canary and holdout shares hold for real session ids (which end in a generation counter)."""

from __future__ import annotations

import hashlib

from skvm_shim.records import ORIGINAL, VariantSet
from skvm_shim.sessions import _session_id
from skvm_shim.variants import bucket_of, pick


def _key(n: int) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()  # as session keys are: hex digests


def test_bucket_is_stable_and_in_range() -> None:
    sid = _session_id("ab" * 32, 3)
    assert bucket_of(sid) == bucket_of(sid)
    assert 0.0 <= bucket_of(sid) < 1.0


def test_buckets_spread_over_generations_and_keys() -> None:
    # Session ids of one key differ only in their last characters (the generation): 0, 1, 2...
    ids = [_session_id(_key(k), g) for k in range(20) for g in range(50)]
    buckets = [bucket_of(i) for i in ids]
    assert len(set(buckets)) == len(ids)
    for low in (0.0, 0.25, 0.5, 0.75):
        share = sum(low <= b < low + 0.25 for b in buckets) / len(buckets)
        assert 0.2 < share < 0.3, (low, share)


def test_holdout_and_canary_shares_are_honoured() -> None:
    variant_set = VariantSet(current="v-cur", canary="v-can", holdout_share=0.1, canary_share=0.2)
    ids = [_session_id(_key(k), g) for k in range(80) for g in range(25)]
    chosen = [pick(variant_set, bucket_of(i)) for i in ids]
    holdout = chosen.count(ORIGINAL) / len(ids)
    canary = chosen.count("v-can") / len(ids)
    assert 0.07 < holdout < 0.13
    assert 0.16 < canary < 0.24, canary
