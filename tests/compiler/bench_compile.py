"""Benchmark (not a test): rule-based compile of one corpus skill, all three passes.

    SKVM_CORPUS=/path/to/corpus python tests/compiler/bench_compile.py [skill] [profile] [-n N]

Prints median and p99 wall time of ``compile_skill`` (the skill and profile are loaded once,
outside the timed loop). Goal: median under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from compiler import HarnessFacts, compile_skill, load_skill_dir, read_profile_folder


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("skill", nargs="?", default="agile-product-owner")
    parser.add_argument("profile", nargs="?", default="bare-agent/openrouter--qwen--qwen3.5-9b")
    parser.add_argument("-n", type=int, default=300, help="timed compiles (default 300)")
    args = parser.parse_args()
    corpus = os.environ.get("SKVM_CORPUS")
    if not corpus or not Path(corpus).is_dir():
        print("SKVM_CORPUS is not set to the corpus folder", file=sys.stderr)
        return 2
    skill = load_skill_dir(Path(corpus) / "skills" / args.skill)
    tcp = read_profile_folder(Path(corpus) / "profiles" / args.profile)
    harness = HarnessFacts(harness=tcp.harness, parallel_tool_calls=True)
    for _ in range(5):  # warm-up: imports, regex compilation, caches
        compile_skill(skill, tcp=tcp, harness=harness)
    times = []
    for _ in range(args.n):
        start = time.perf_counter()
        result = compile_skill(skill, tcp=tcp, harness=harness)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    size = len(skill.skill_md.encode())
    print(
        f"{args.skill} ({size} bytes) x {args.profile}, passes 1-3, {args.n} runs: "
        f"median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, "
        f"edits {len(result.edits)}, groups {len(result.variant.parallel_groups)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
