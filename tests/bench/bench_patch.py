"""Benchmark: what patch() adds to an LLM call, side by side in one run.

Three modes per call style, measured in interleaved blocks so drift on a shared machine hits all
modes alike:

- ``unpatched``: the plain SDK client;
- ``patched, no skill``: patch() active, the request carries no skill;
- ``patched, skill rewritten``: the request carries a registered skill and a stored variant is
  swapped in.

Two transports: the scripted upstream on loopback (what a user sees) and an in-process mock
transport (no sockets: isolates the shim's own cost from network noise). Goal: added
median under 0.3 ms per call and under 1 ms at p99. Run:

    python -m tests.bench.bench_patch [--calls 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import openai

import skvm_shim
from skvm_shim.skills.model import Skill
from skvm_shim.testing.upstream import ScriptedUpstream
from skvm_shim.variants import publish_variant
from tests.bench.stats import ms, p99, table

ROOT = Path(__file__).resolve().parents[2]
SKILL_DIR = ROOT / "examples" / "skills" / "csv-stats"
SKILL = Skill.parse((SKILL_DIR / "SKILL.md").read_text(encoding="utf-8"))
VARIANT = SKILL.text.replace("# CSV statistics\n", "# CSV statistics\n\nCompiled variant.\n")
MODEL = "bench-model"
FILLER = "You are a coding agent. Follow the user's instructions precisely.\n" * 40


def _messages(with_skill: bool) -> list[dict[str, str]]:
    system = FILLER + ("\n<skill>\n" + SKILL.body + "\n</skill>\n" if with_skill else "")
    return [{"role": "system", "content": system}, {"role": "user", "content": "profile data.csv"}]


def _canned(stream: bool) -> tuple[bytes, str]:
    with ScriptedUpstream("ok " * 10) as up:
        up.set_default("ok " * 10)
        r = httpx2.post(
            up.openai_base_url + "/chat/completions",
            json={"model": MODEL, "messages": _messages(False), "stream": stream},
        )
        return r.content, r.headers["content-type"]


class Bench:
    def __init__(self, calls: int, rounds: int) -> None:
        self.calls = calls
        self.rounds = rounds
        self.home = Path(tempfile.mkdtemp(prefix="skvm-bench-"))

    def measure(self, make: Callable[[], Callable[[bool], float]]) -> dict[str, list[float]]:
        """Per mode, the latency of every call, over interleaved blocks of ``calls`` calls."""
        out: dict[str, list[float]] = {m: [] for m in MODES}
        for _ in range(self.rounds):
            for mode in MODES:
                if mode != "unpatched":
                    shim = skvm_shim.patch(skills=[SKILL_DIR], home=self.home)
                    assert shim.store is not None
                    publish_variant(
                        shim.store, skill=SKILL, text=VARIANT, model=MODEL, harness="generic"
                    )
                run = make()
                with_skill = mode == "patched, skill rewritten"
                for _ in range(20):  # warm connections and caches
                    run(with_skill)
                out[mode].extend(run(with_skill) for _ in range(self.calls))
                if mode != "unpatched":
                    skvm_shim.unpatch()
        return out


MODES = ("unpatched", "patched, no skill", "patched, skill rewritten")


def sync_call(client: openai.OpenAI, *, stream: bool) -> Callable[[bool], float]:
    def run(with_skill: bool) -> float:
        t0 = time.perf_counter()
        if stream:
            s = client.chat.completions.create(
                model=MODEL,
                messages=_messages(with_skill),
                stream=True,  # type: ignore[arg-type]
            )
            next(iter(s))  # time to first chunk
            elapsed = time.perf_counter() - t0
            for _ in s:
                pass
            return elapsed
        client.chat.completions.create(model=MODEL, messages=_messages(with_skill))  # type: ignore[arg-type]
        return time.perf_counter() - t0

    return run


def async_call(client: openai.AsyncOpenAI) -> Callable[[bool], float]:
    loop = asyncio.new_event_loop()

    async def one(with_skill: bool) -> float:
        t0 = time.perf_counter()
        await client.chat.completions.create(model=MODEL, messages=_messages(with_skill))  # type: ignore[arg-type]
        return time.perf_counter() - t0

    return lambda with_skill: loop.run_until_complete(one(with_skill))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    bench = Bench(args.calls, args.rounds)
    rows: list[list[str]] = []

    def report(label: str, results: dict[str, list[float]]) -> None:
        base = results["unpatched"]
        for mode in MODES:
            xs = results[mode]
            added_median = statistics.median(xs) - statistics.median(base)
            added_p99 = p99(xs) - p99(base)
            rows.append(
                [
                    label,
                    mode,
                    ms(statistics.median(xs)),
                    ms(p99(xs)),
                    "-" if mode == "unpatched" else ms(added_median),
                    "-" if mode == "unpatched" else ms(added_p99),
                ]
            )

    with ScriptedUpstream() as up:
        up.set_default("ok " * 10)
        base_url = up.openai_base_url
        report(
            "loopback, sync",
            bench.measure(
                lambda: sync_call(openai.OpenAI(base_url=base_url, api_key="k"), stream=False)
            ),
        )
        report(
            "loopback, async",
            bench.measure(lambda: async_call(openai.AsyncOpenAI(base_url=base_url, api_key="k"))),
        )
        report(
            "loopback, stream (TTFC)",
            bench.measure(
                lambda: sync_call(openai.OpenAI(base_url=base_url, api_key="k"), stream=True)
            ),
        )

    for stream in (False, True):
        content, ctype = _canned(stream)

        def handler(_: httpx2.Request, content: bytes = content, ctype: str = ctype) -> Any:
            return httpx2.Response(200, content=content, headers={"content-type": ctype})

        def make(stream: bool = stream, handler: Any = handler) -> Callable[[bool], float]:
            client = openai.OpenAI(
                base_url="http://bench.test/v1",
                api_key="k",
                http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
            )
            return sync_call(client, stream=stream)

        report(f"in-process, {'stream (TTFC)' if stream else 'sync'}", bench.measure(make))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, openai {openai.__version__}; "
        f"{args.rounds} rounds x {args.calls} calls per mode"
    )
    print(
        table(
            ["transport, style", "mode", "median ms", "p99 ms", "added median ms", "added p99 ms"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
