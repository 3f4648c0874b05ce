"""Latency of the local model per agent turn (not a test; needs the ``local`` extra).

    python -m tests.local_model.bench_local_model [--turns 20] [--threads N] [--base-url URL]

Starts its own server with ``serve()`` (or uses ``--base-url``), then times, through the openai
SDK: tool-calling turns (tools offered, ``tool_choice`` omitted, non-streaming), the same streamed
(time to first argument piece and to the end), and plain text turns. Prints median and p99 per
kind, and generated tokens per second. Greedy decoding, so every turn does the same work.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import openai

from skvm_shim.local_model import BUNDLED_MODEL_ID, serve
from tests.local_model.agent_tools import API_KEY, READ_TASK, RUN_TASK, TOOLS, task_messages

TEXT_PROMPT = "Explain in three sentences what a unit test is."


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _report(label: str, seconds: list[float], tokens: list[int] | None = None) -> None:
    line = (
        f"{label:<34} n={len(seconds):<3} median {statistics.median(seconds) * 1000:7.0f} ms"
        f"   p99 {_pct(seconds, 0.99) * 1000:7.0f} ms"
    )
    if tokens:
        line += f"   {sum(tokens) / sum(seconds):6.1f} generated tok/s"
    print(line, flush=True)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(client: openai.OpenAI, model: str, turns: int) -> dict[str, Any]:
    tasks = [READ_TASK, RUN_TASK]
    # Warm-up: first-call costs (grammar compilation, caches) are not per-turn latency.
    for task in tasks:
        client.chat.completions.create(
            model=model, messages=task_messages(task), tools=TOOLS, temperature=0.0
        )

    tool_s: list[float] = []
    tool_tokens: list[int] = []
    calls = 0
    for i in range(turns):
        dt, r = _timed(
            lambda i=i: client.chat.completions.create(
                model=model, messages=task_messages(tasks[i % 2]), tools=TOOLS, temperature=0.0
            )
        )
        tool_s.append(dt)
        tool_tokens.append(r.usage.completion_tokens)
        for call in r.choices[0].message.tool_calls or []:
            json.loads(call.function.arguments)
            calls += 1
    _report("tool-calling turn (json)", tool_s, tool_tokens)

    first_s: list[float] = []
    stream_s: list[float] = []
    for i in range(turns):
        start = time.perf_counter()
        first = None
        stream = client.chat.completions.create(
            model=model,
            messages=task_messages(tasks[i % 2]),
            tools=TOOLS,
            temperature=0.0,
            stream=True,
        )
        for chunk in stream:
            delta = chunk.choices[0].delta if chunk.choices else None
            if first is None and delta is not None and delta.tool_calls:
                first = time.perf_counter() - start
        stream_s.append(time.perf_counter() - start)
        first_s.append(first if first is not None else stream_s[-1])
    _report("tool-calling turn (stream), first", first_s)
    _report("tool-calling turn (stream), whole", stream_s)

    text_s: list[float] = []
    text_tokens: list[int] = []
    for _ in range(turns):
        dt, r = _timed(
            lambda: client.chat.completions.create(
                model=model,
                messages=[{"role": "user", "content": TEXT_PROMPT}],
                temperature=0.0,
                max_tokens=128,
            )
        )
        text_s.append(dt)
        text_tokens.append(r.usage.completion_tokens)
    _report("plain text turn (<=128 tokens)", text_s, text_tokens)
    print(f"tool calls with JSON arguments: {calls}/{turns}")
    return {
        "tool_median_s": statistics.median(tool_s),
        "text_median_s": statistics.median(text_s),
        "tool_calls": calls,
        "turns": turns,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads")
    parser.add_argument("--base-url", default=None, help="use a running server instead")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; model {BUNDLED_MODEL_ID}; {args.turns} turns each")

    @contextlib.contextmanager
    def server() -> Iterator[str]:
        if args.base_url:
            yield args.base_url
            return
        start = time.perf_counter()
        with serve(port=0, n_threads=args.threads) as handle:
            print(f"server ready in {time.perf_counter() - start:.1f} s at {handle.base_url}")
            yield handle.base_url

    with server() as base_url, openai.OpenAI(base_url=base_url, api_key=API_KEY) as client:
        run(client, BUNDLED_MODEL_ID, args.turns)


if __name__ == "__main__":
    main()
