from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compiler import TCP, find_profile

MakeTcp = Callable[..., TCP]


def test_lookup_chain(make_tcp: MakeTcp) -> None:
    bare = make_tcp(
        model="openrouter/qwen/qwen3.5-35b-a3b",
        harness="bare-agent",
        profiled_at="2026-04-01T00:00:00Z",
    )
    claw = make_tcp(
        model="openrouter/qwen/qwen3.5-35b-a3b",
        harness="openclaw",
        profiled_at="2026-04-09T00:00:00Z",
    )
    herm = make_tcp(
        model="deepseek/deepseek-v4-pro", harness="hermes", profiled_at="2026-04-20T00:00:00Z"
    )
    claw2 = make_tcp(
        model="deepseek/deepseek-v4-pro", harness="openclaw", profiled_at="2026-04-26T00:00:00Z"
    )
    profiles = [bare, claw, herm, claw2]

    exact = find_profile(profiles, "qwen3.5-35b-a3b", "openclaw")
    assert exact is not None
    assert exact.kind == "exact"
    assert exact.tcp is claw

    fallback = find_profile(profiles, "qwen/qwen3.5-35b-a3b", "claude-code")
    assert fallback is not None
    assert fallback.kind == "same-model-bare-agent"
    assert fallback.tcp is bare

    newest = find_profile(profiles, "deepseek-v4-pro", "codex")
    assert newest is not None
    assert newest.kind == "same-model-newest"
    assert newest.tcp is claw2

    assert find_profile(profiles, "gpt-5.4", "openclaw") is None


def test_complete_beats_partial_then_newest_wins(make_tcp: MakeTcp) -> None:
    old = make_tcp(model="m/x", profiled_at="2026-01-01T00:00:00Z")
    new = make_tcp(model="m/x", profiled_at="2026-02-01T00:00:00Z")
    partial = TCP.model_validate(
        {**new.to_skvm_dict(), "isPartial": True, "profiledAt": "2026-03-01T00:00:00Z"}
    )
    match = find_profile([old, partial, new], "x", "bare-agent")
    assert match is not None
    assert match.tcp is new


def test_aliases_route_a_request_to_a_profile(make_tcp: MakeTcp) -> None:
    tcp = make_tcp(model="openrouter/qwen/qwen3.5-9b")
    aliases: dict[str, Any] = {"my-local-qwen": "qwen/qwen3.5-9b"}
    match = find_profile([tcp], "my-local-qwen", "bare-agent", aliases=aliases)
    assert match is not None
    assert match.tcp is tcp
    assert find_profile([tcp], "my-local-qwen", "bare-agent") is None
