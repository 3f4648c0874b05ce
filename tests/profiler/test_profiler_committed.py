"""The committed SmolLM2-135M profile follows from its committed raw results.

Recomputes the profile from profiles/bare-agent/smollm2-135m-instruct/raw-results.jsonl with the
stated rule (``build_profile``: the compiler's isotonic-0.75) and compares it with latest.json,
whole; then checks that the compiler, importing latest.json, derives the same levels.
"""

from __future__ import annotations

import json
from pathlib import Path

from compiler import TCP, read_profile_folder
from compiler.primitives import PRIMITIVE_IDS
from skvm_shim.profiler.assemble import build_profile
from skvm_shim.profiler.generators import generator
from skvm_shim.profiler.results import RawResults

FOLDER = Path(__file__).resolve().parents[2] / "profiles" / "bare-agent" / "smollm2-135m-instruct"


def test_the_profile_follows_from_the_raw_results() -> None:
    header, records = RawResults(FOLDER / "raw-results.jsonl").read()
    assert header is not None
    recomputed = build_profile(header, records, raw_name="raw-results.jsonl")
    committed = json.loads((FOLDER / "latest.json").read_text(encoding="utf-8"))
    assert recomputed.to_skvm_dict() == committed


def test_the_compiler_reads_the_levels_the_profiler_wrote() -> None:
    tcp = read_profile_folder(FOLDER)
    assert isinstance(tcp, TCP)
    assert (tcp.model, tcp.harness, tcp.is_partial) == (
        "smollm2-135m-instruct",
        "bare-agent",
        False,
    )
    assert set(tcp.capabilities) == set(PRIMITIVE_IDS)
    # The written levels are the ones the compiler derives on import; a primitive none of whose
    # instances carried evidence is written L0 and read as unmeasured.
    assert all(effective is None for _, effective in tcp.adjustments.values())
    for detail in tcp.details:
        assert [r.total_count for r in detail.level_results] == [3, 3, 3]


def test_the_raw_results_are_of_the_current_probes() -> None:
    """A generator changed since the profile was measured: re-run the command in
    docs/profiler.md ("The SmolLM2-135M profile") and commit the new files."""
    header, records = RawResults(FOLDER / "raw-results.jsonl").read()
    assert header is not None
    stale = [
        f"{r.primitive}/L{r.level}#{r.instance}"
        for r in records
        if generator(r.primitive, r.level).instance(header.settings.seed, r.instance).fingerprint()
        != r.probe
    ]
    assert not stale, f"measured on other probes than the current generators make: {stale[:5]}"
