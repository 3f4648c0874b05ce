"""The level rule: the compiler's isotonic-0.75, monotone, with per-level counts kept."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from compiler import TCP
from compiler.levels import Level
from compiler.primitives import PRIMITIVE_IDS
from skvm_shim.profiler.assemble import build_profile
from skvm_shim.profiler.results import Header, InstanceRecord, RunSettings, TokenCounts

SETTINGS = RunSettings(
    model="m", harness="bare-agent", api="openai", seed=1, max_steps=5, timeout_s=30
)
HEADER = Header(
    settings=SETTINGS,
    endpoint="http://127.0.0.1:1/v1",
    shim_version="0",
    started_at="2026-01-01T00:00:00Z",
)


def _records(primitive: str, outcomes: dict[int, list[str]]) -> list[InstanceRecord]:
    """``outcomes[level]``: one verdict per instance; "tainted" is a timed-out failure."""
    out = []
    for level, verdicts in outcomes.items():
        for i, v in enumerate(verdicts):
            tainted = v == "tainted"
            out.append(
                InstanceRecord(
                    primitive=primitive,
                    level=level,
                    instance=i,
                    probe="x",
                    description=f"level {level} test",
                    verdict="failed" if tainted else v,  # type: ignore[arg-type]
                    detail="tainted: timed out after 30s" if tainted else "a check failed",
                    tokens=TokenCounts(input=10, output=2),
                    duration_ms=100.0,
                    llm_calls=1,
                    finished_at=f"2026-01-01T00:00:0{level}Z",
                )
            )
    return out


def _level(outcomes: dict[int, list[str]]) -> Level | None:
    return build_profile(HEADER, _records("tool.exec", outcomes)).level("tool.exec")


P, F, S, T = "passed", "failed", "skipped", "tainted"


def test_known_cases() -> None:
    assert _level({1: [P, P, P], 2: [P, P, P], 3: [P, P, P]}) == Level.L3
    assert _level({1: [P, P, P], 2: [P, F, F], 3: [P, P, P]}) == Level.L1  # no L3 over a failed L2
    assert _level({1: [P, P, F], 2: [P, P, P], 3: [P, P, P]}) == Level.L3  # pools to 8/9
    assert _level({1: [P, P, F], 2: [F, F, F], 3: [F, F, F]}) == Level.L0  # a lone 2/3 fails
    assert _level({1: [F, F, F], 2: [P, P, P], 3: [P, P, P]}) == Level.L0  # 6/9 pooled
    assert _level({1: [P, P, P], 2: [P, P, T], 3: [F, F, F]}) == Level.L2  # timeout: no evidence
    assert _level({1: [S, S, S], 2: [S, S, S], 3: [T, T, T]}) is None  # nothing measured


def test_counts_are_kept_and_the_profile_reimports_with_the_same_levels() -> None:
    records = _records("tool.exec", {1: [P, P, P], 2: [P, F, S], 3: [F, F, F]})
    records += _records("gen.regex", {1: [P, P, P], 2: [P, P, P], 3: [P, P, F]})
    tcp = build_profile(HEADER, records)
    again = TCP.from_skvm_json(tcp.to_skvm_json())
    assert again.capabilities == {"tool.exec": "L1", "gen.regex": "L2"}
    assert again.effective_levels == {"tool.exec": Level.L1, "gen.regex": Level.L2}
    assert again.adjustments == {}, "the written level is the one the compiler derives"
    detail = next(d for d in again.details if d.primitive_id == "tool.exec")
    l2 = next(r for r in detail.level_results if r.level == "L2")
    assert (l2.pass_count, l2.total_count, l2.skip_count, l2.passed) == (1, 3, 1, False)
    assert l2.failure_details == ["a check failed [instance 1]"]
    assert again.cost.total_tokens.input == 10 * len(records)
    assert again.is_partial  # 2 of 26 primitives
    assert again.model_extra is not None
    assert again.model_extra["profiler"]["levelRule"] == "isotonic-0.75"


def test_a_complete_profile_is_not_partial() -> None:
    records = [r for p in PRIMITIVE_IDS for r in _records(p, {1: [P, P], 2: [P, F], 3: [F, F]})]
    tcp = build_profile(HEADER, records)
    assert not tcp.is_partial
    assert set(tcp.capabilities) == set(PRIMITIVE_IDS)


verdicts = st.lists(st.sampled_from([P, F, S, T]), min_size=2, max_size=5)


@given(l1=verdicts, l2=verdicts, l3=verdicts)
def test_levels_are_monotone(l1: list[str], l2: list[str], l3: list[str]) -> None:
    tcp = build_profile(HEADER, _records("tool.web", {1: l1, 2: l2, 3: l3}))
    level = tcp.level("tool.web")
    detail = tcp.details[0]
    passed = {r.level: r.passed for r in detail.level_results}
    held = int(level or 0)
    # A level is reported passed exactly when it is at or below the decided level: contiguous.
    assert passed == {f"L{k}": k <= held for k in (1, 2, 3)}
    assert detail.highest_level == f"L{held}"
    # Never a level above one whose clean instances mostly failed on their own.
    for k, vs in ((1, l1), (2, l2), (3, l3)):
        clean = [v for v in vs if v in (P, F)]
        if len(clean) >= 2 and sum(v == P for v in clean) == 0:
            assert held < k
