"""The template state machine: promote after N exact sessions, demote after K failed replays."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.jit.learn import learn
from skvm_shim.jit.records import TemplateRecord, TemplateSpec
from skvm_shim.jit.state import on_hit, on_miss, on_relearn, on_replay_result
from tests.jit.tracekit import bash, trace

N, K = 3, 2


def spec(command: str = "ls") -> TemplateSpec:
    return learn([trace("task", [([bash(command)], ["out"])], "done")], "generic")


def record() -> TemplateRecord:
    return TemplateRecord(id="t", skills=["h"], harness="generic", tool_schema="x", spec=spec())


def test_promoted_after_n_consecutive_hits() -> None:
    r = record()
    events = [on_hit(r, promote_after=N, session=str(i)) for i in range(N)]
    assert [e.kind if e else None for e in events] == [None, None, "promoted"]
    assert r.state == "promoted"
    assert r.promoted is not None
    assert r.promoted.same_prediction(r.spec)


def test_a_miss_restarts_the_count() -> None:
    r = record()
    on_hit(r, promote_after=N, session="1")
    on_hit(r, promote_after=N, session="2")
    on_miss(r, session="3")
    on_hit(r, promote_after=N, session="4")
    on_hit(r, promote_after=N, session="5")
    assert r.state == "shadow"
    on_hit(r, promote_after=N, session="6")
    assert r.state == "promoted"
    assert (r.hits, r.misses) == (5, 1)


def test_relearning_restarts_the_count_but_keeps_the_promoted_spec() -> None:
    r = record()
    for i in range(N):
        on_hit(r, promote_after=N, session=str(i))
    promoted = r.promoted
    assert on_relearn(r, spec("ls -la"), session="x") is not None
    assert r.streak == 0
    assert r.promoted is promoted, "what replays changes only after the new spec earned it"
    assert on_relearn(r, spec("ls -la"), session="y") is None, "an identical spec is no change"
    for i in range(N):
        on_hit(r, promote_after=N, session=f"n{i}")
    assert r.promoted is not None
    assert r.promoted.same_prediction(spec("ls -la"))
    assert r.promotions == 2


def test_k_consecutive_failures_demote_and_a_success_resets() -> None:
    r = record()
    for i in range(N):
        on_hit(r, promote_after=N, session=str(i))
    assert on_replay_result(r, failed=True, demote_after=K, session="a") is not None
    assert on_replay_result(r, failed=False, demote_after=K, session="b") is None
    assert r.failures == 0
    assert r.state == "promoted"
    on_replay_result(r, failed=True, demote_after=K, session="c")
    event = on_replay_result(r, failed=True, demote_after=K, session="d")
    assert event is not None
    assert event.kind == "demoted"
    assert (r.state, r.streak, r.demotions, r.replay_failures) == ("shadow", 0, 1, 3)


Event = st.sampled_from(["hit", "miss", "ok", "fail", "relearn"])


@given(st.lists(Event, max_size=60), st.integers(1, 4), st.integers(1, 3))
def test_invariants_hold_for_any_history(events: list[str], n: int, k: int) -> None:
    r = record()
    specs = [spec("ls"), spec("ls -la")]
    relearns = 0
    for event in events:
        before = r.state
        if event == "hit":
            on_hit(r, promote_after=n, session="s")
        elif event == "miss":
            on_miss(r, session="s")
            assert r.streak == 0
        elif event == "relearn":
            relearns += 1
            on_relearn(r, specs[relearns % 2], session="s")
        else:
            on_replay_result(r, failed=event == "fail", demote_after=k, session="s")
        # Promotion only ever follows a hit that completed a streak of n.
        if before == "shadow" and r.state == "promoted":
            assert event == "hit"
            assert r.streak >= n
        # Demotion only ever follows the k-th consecutive failure.
        if before == "promoted" and r.state == "shadow":
            assert event == "fail"
        assert r.failures < k or r.state == "shadow"
        assert r.hits + r.misses <= len(events)
    assert r.demotions <= r.promotions
    assert r.state == "shadow" or r.promotions > r.demotions


def test_the_writer_thread_ends_when_idle_and_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    from skvm_shim.jit import writer as writer_module

    monkeypatch.setattr(writer_module, "IDLE_S", 0.05)
    w = writer_module.BackgroundWriter(name="skvm-jit-writer-test")
    done: list[int] = []
    w.submit(lambda: done.append(1), wait=True)
    assert done == [1]
    deadline = time.monotonic() + 5
    while w._thread is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert w._thread is None, "an idle writer keeps no thread"
    w.submit(lambda: done.append(2))
    assert w.flush()
    assert done == [1, 2]
