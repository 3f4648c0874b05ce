"""Benchmark: a replayed step against the model path, per step, in one run.

    python -m tests.jit.bench_jit [--delay-ms 200] [--rounds 8] [--local-samples 3] [--no-local]

A consistent scripted model teaches the skill task of the JIT tests (head, wc, answer) until its
template is promoted. Then, in alternating rounds, one session runs through the model path
(the replayer switched to shadow mode: every step goes upstream) and one is replayed (``on``: no
step does), through one long-lived ``patch()`` and a real ``openai`` client, timed per LLM call as
the harness sees it.

- **Scripted upstream**: each scripted answer waits ``--delay-ms`` before responding. The ratio
  against it is only the delay we chose; it is printed labelled as such.
- **Local model** (the figure that counts): the exact requests the harness sent at each step of a
  replayed session are sent to SmolLM2-135M on llama.cpp (``skvm_shim.local_model.serve``,
  interpreter ``--local-python``) and timed the same way, each right after the step before it
  (so the shared prefix is cached, as in a real loop). Goal: at least 100x lower
  latency per replayed step on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

import skvm_shim
from skvm_shim.jit import JitReplayer
from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.bench.stats import p99, table
from tests.jit.agent import SessionLog, run_session
from tests.jit.scenario import LEARN_NAMES, MODEL, SKILL_DIR, SYSTEM, model_turns, task, write_file

STEPS = ("0: head (tool call)", "1: wc (tool call)", "2: final answer")
LOCAL_PYTHON = "/work/venvs/local/bin/python"


def _delayed(turns: list[Turn], delay_ms: float) -> list[Turn]:
    return [t.model_copy(update={"delay_ms": delay_ms}) for t in turns]


def _session(up: ScriptedUpstream, cwd: Path, name: str, script: list[Turn]) -> SessionLog:
    write_file(cwd, name, 12)
    up.script(*script)
    before = len(up.requests)
    client = openai.OpenAI(base_url=up.openai_base_url, api_key="bench", max_retries=0)
    log = run_session(
        client, "chat", stream=False, system=SYSTEM, task=task(name), model=MODEL, cwd=cwd
    )
    expected = len(script)
    assert len(up.requests) - before == expected, "unexpected upstream traffic"
    assert log.turns == 3
    return log


def scripted(delay_ms: float, rounds: int) -> tuple[dict[str, list[float]], dict[str, Any]]:
    home = Path(tempfile.mkdtemp(prefix="skvm-jit-bench-"))
    cwd = home / "work"
    cwd.mkdir()
    times: dict[str, list[float]] = {f"model {s}": [] for s in range(3)}
    times.update({f"replay {s}": [] for s in range(3)})
    tokens: list[list[int]] = [[], [], []]
    last_replay: SessionLog | None = None
    shim = skvm_shim.patch(skills=[SKILL_DIR], home=home, jit="on")
    replayer = shim.replayer
    assert isinstance(replayer, JitReplayer)
    try:
        with ScriptedUpstream() as up:
            for name in LEARN_NAMES:
                _session(up, cwd, name, _delayed(model_turns(name, 12), delay_ms))
            for r in range(rounds):
                # One long-lived shim, as in a harness; the model path is the same shim with
                # replay switched off (shadow mode: it still learns and judges).
                replayer.mode = "shadow"
                name = f"round {r} model.csv"
                log = _session(up, cwd, name, _delayed(model_turns(name, 12), delay_ms))
                for step, seconds in enumerate(log.seconds):
                    times[f"model {step}"].append(seconds)
                    if log.tokens[step] is not None:
                        tokens[step].append(int(log.tokens[step] or 0))
                replayer.mode = "on"
                last_replay = _session(up, cwd, f"round {r} replayed.csv", [])
                for step, seconds in enumerate(last_replay.seconds):
                    times[f"replay {step}"].append(seconds)
    finally:
        skvm_shim.unpatch()
    info = {"tokens": tokens, "last_replay": last_replay}
    return times, info


def local_model(
    log: SessionLog, samples: int, python: str
) -> tuple[list[list[float]], list[list[int]], str]:
    from skvm_shim.local_model import serve

    with serve(port=0, python=python) as server:
        client = openai.OpenAI(
            base_url=server.base_url, api_key="local", max_retries=0, timeout=600
        )
        seconds: list[list[float]] = [[] for _ in log.sent]
        tokens: list[list[int]] = [[] for _ in log.sent]
        requests = [_local_request(sent, server.model_id) for sent in log.sent]
        # The step before (for step 0: the same task on another file) is sent first each time,
        # as in a real agent loop: llama.cpp then reuses the cached common prefix, and only the
        # new tail is evaluated. (Timing an identical prompt twice would flatter the model.)
        before = [_other_task(requests[0]), *requests[:-1]]
        client.chat.completions.create(**requests[0])  # warm-up: load, grammar
        for _ in range(samples):
            for step, kwargs in enumerate(requests):
                client.chat.completions.create(**before[step])
                started = time.perf_counter()
                response = client.chat.completions.create(**kwargs)
                seconds[step].append(time.perf_counter() - started)
                if response.usage is not None:
                    tokens[step].append(
                        response.usage.prompt_tokens + response.usage.completion_tokens
                    )
        return seconds, tokens, server.model_id


def _local_request(sent: dict[str, Any], model_id: str) -> dict[str, Any]:
    # llama-cpp-python's schema wants a string where OpenAI accepts null content.
    messages = [{**m, "content": m.get("content") or ""} for m in sent["messages"]]
    return {**sent, "messages": messages, "model": model_id, "temperature": 0.0, "max_tokens": 96}


def _other_task(request: dict[str, Any]) -> dict[str, Any]:
    messages = list(request["messages"])
    messages[-1] = {**messages[-1], "content": task("another file.csv")}
    return {**request, "messages": messages}


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.2f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--delay-ms", type=float, default=200.0, help="scripted model delay per answer"
    )
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--local-samples", type=int, default=3)
    parser.add_argument("--local-python", default=LOCAL_PYTHON)
    parser.add_argument("--no-local", action="store_true")
    args = parser.parse_args(argv)
    print(
        f"# JIT replay benchmark ({platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{args.rounds} interleaved rounds)\n"
    )
    times, info = scripted(args.delay_ms, args.rounds)
    rows = []
    for step, label in enumerate(STEPS):
        model, replay = times[f"model {step}"], times[f"replay {step}"]
        tokens = info["tokens"][step]
        rows.append(
            [
                label,
                _ms(model),
                _ms(replay),
                f"{p99(replay) * 1000:.2f}",
                f"{statistics.median(model) / statistics.median(replay):.0f}x",
                f"{statistics.median(tokens):.0f}" if tokens else "n/a",
                "0",
            ]
        )
    print(
        f"## Against the scripted upstream (delay chosen: {args.delay_ms:.0f} ms per answer; the "
        "ratio reflects only that delay)\n"
    )
    print(
        table(
            [
                "step",
                "model path median ms",
                "replayed median ms",
                "replayed p99 ms",
                "ratio",
                "model tokens (in+out)",
                "tokens sent on replay",
            ],
            rows,
        )
    )
    if args.no_local:
        return
    log = info["last_replay"]
    assert log is not None
    try:
        seconds, tokens, model_id = local_model(log, args.local_samples, args.local_python)
    except Exception as exc:  # the local extra may be missing: say so, keep the scripted figure
        print(f"\n(local model figure skipped: {type(exc).__name__}: {exc})")
        return
    rows = []
    for step, label in enumerate(STEPS):
        replay = times[f"replay {step}"]
        local = seconds[step]
        rows.append(
            [
                label,
                _ms(local),
                _ms(replay),
                f"{statistics.median(local) / statistics.median(replay):.0f}x",
                f"{statistics.median(tokens[step]):.0f}" if tokens[step] else "n/a",
                "0",
            ]
        )
    print(
        f"\n## Against the local model ({model_id}, llama.cpp on this machine; the same requests "
        f"the harness sent at each step, {args.local_samples} samples after a warm-up)\n"
    )
    print(
        table(
            [
                "step",
                "local model median ms",
                "replayed median ms",
                "ratio",
                "model tokens (in+out)",
                "tokens sent on replay",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
