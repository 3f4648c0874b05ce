"""Micro-benchmark of request parsing (not a test): median and p99 per format and size.

Run: ``/work/venv/bin/python tests/adapters/bench_parse.py``. Bodies imitate agent traffic: a long
system prompt, then rounds of user text, an assistant turn with a tool call, and a tool result
(every fourth one a ~4 KB skill body).
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from adapters.ir import WireFormat
from adapters.wire import codec_for

SKILL = ("# Skill\n\nRun `python3 scripts/x.py` on every file, then report.\n" * 60)[:4000]


def _chat(n: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": "You are an agent. " * 500}]
    for i in range(n - 1):
        k = i % 3
        if k == 0:
            messages.append(
                {"role": "user", "content": [{"type": "text", "text": f"step {i} " * 60}]}
            )
        elif k == 1:
            call = {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": "read", "arguments": '{"path":"/s/SKILL.md"}'},
            }
            messages.append({"role": "assistant", "content": "Reading.", "tool_calls": [call]})
        else:
            body = SKILL if i % 4 == 2 else "ok " * 200
            messages.append({"role": "tool", "tool_call_id": f"call_{i - 1}", "content": body})
    tool = {
        "type": "function",
        "function": {"name": "read", "description": "Read", "parameters": {"type": "object"}},
    }
    return {"model": "m", "stream": True, "messages": messages, "tools": [tool] * 8}


def _responses(n: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for i in range(n - 1):
        k = i % 3
        if k == 0:
            items.append(
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": f"step {i} " * 60}],
                }
            )
        elif k == 1:
            items.append(
                {
                    "type": "function_call",
                    "call_id": f"c{i}",
                    "name": "exec",
                    "arguments": '{"cmd":"cat SKILL.md"}',
                }
            )
        else:
            body = SKILL if i % 4 == 2 else "ok " * 200
            items.append({"type": "function_call_output", "call_id": f"c{i - 1}", "output": body})
    tool = {
        "type": "function",
        "name": "exec",
        "description": "Run",
        "parameters": {"type": "object"},
    }
    return {
        "model": "m",
        "instructions": "You are Codex. " * 500,
        "input": items,
        "tools": [tool] * 8,
    }


def _anthropic(n: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for i in range(n - 1):
        k = i % 2
        if k == 0 and i % 4 == 0:
            messages.append(
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "text",
                            "text": f"step {i} " * 60,
                            "cache_control": {"type": "ephemeral"},
                        }
                    ],
                }
            )
        elif k == 1:
            use = {
                "type": "tool_use",
                "id": f"t{i}",
                "name": "Read",
                "input": {"file_path": "/s/SKILL.md"},
            }
            messages.append(
                {"role": "assistant", "content": [{"type": "text", "text": "Reading."}, use]}
            )
        else:
            result = {"type": "tool_result", "tool_use_id": f"t{i - 1}", "content": "ok " * 200}
            messages.append({"role": "user", "content": [result, {"type": "text", "text": SKILL}]})
    system = [
        {
            "type": "text",
            "text": "You are Claude Code. " * 250,
            "cache_control": {"type": "ephemeral"},
        }
    ] * 3
    tool = {"name": "Read", "description": "Read", "input_schema": {"type": "object"}}
    return {"model": "m", "system": system, "messages": messages, "tools": [tool] * 8}


BUILDERS: dict[WireFormat, Callable[[int], dict[str, Any]]] = {
    WireFormat.CHAT_COMPLETIONS: _chat,
    WireFormat.RESPONSES: _responses,
    WireFormat.ANTHROPIC_MESSAGES: _anthropic,
}


def bench(fmt: WireFormat, n: int, rounds: int) -> tuple[float, float, int]:
    body = BUILDERS[fmt](n)
    parse = codec_for(fmt).parse_request
    for _ in range(50):
        parse(body)
    samples = []
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter_ns()
            parse(body)
            samples.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    samples.sort()
    size = len(json.dumps(body))
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000, size


def main() -> None:
    print(f"{'format':26} {'messages':>8} {'body KB':>8} {'median us':>10} {'p99 us':>8}")
    for fmt in WireFormat:
        for n, rounds in ((10, 5000), (50, 2000), (200, 1000)):
            median, p99, size = bench(fmt, n, rounds)
            print(f"{fmt.value:26} {n:8d} {size / 1024:8.0f} {median:10.1f} {p99:8.1f}")


if __name__ == "__main__":
    main()
