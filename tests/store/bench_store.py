"""Hot-path costs of the store: ``get`` and ``put_later`` (and, for scale, ``put``).

Not a test. Run: /work/venv/bin/python tests/store/bench_store.py [--n 20000]
Prints median and p99 per call in microseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from skvm_shim.store import Store, Table, join_key


class Session(BaseModel):
    """About the size of a session record: a few ids and counters."""

    session_id: str
    skill_hash: str
    model: str
    harness: str
    variant_id: str
    turns: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


SESSIONS: Table[Session] = Table("sessions", Session, 1)


def _record(i: int) -> Session:
    return Session(
        session_id=f"{i:032x}",
        skill_hash="ab" * 16,
        model="gpt-4o-mini",
        harness="openai-agents",
        variant_id="cd" * 16,
        turns=i,
    )


def _measure(label: str, n: int, call: Callable[[int], object]) -> None:
    samples = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        call(i)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    median = statistics.median(samples) / 1000
    p99 = samples[int(len(samples) * 0.99)] / 1000
    print(f"{label:<34} median {median:8.2f} us   p99 {p99:8.2f} us   (n={n})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    n: int = args.n
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "store")
        keys = [join_key(f"{i:032x}", "gpt-4o-mini", "openai-agents") for i in range(n)]
        records = [_record(i) for i in range(n)]
        store.prepare(SESSIONS)

        _measure(
            "put_later (queue + encode)",
            n,
            lambda i: store.put_later(SESSIONS, keys[i], records[i]),
        )
        _measure("get, queued (read-your-writes)", n, lambda i: store.get(SESSIONS, keys[i]))
        t0 = time.perf_counter()
        store.flush()
        print(f"{'flush of the rest':<34} {1000 * (time.perf_counter() - t0):8.1f} ms")
        _measure("get, committed hit", n, lambda i: store.get(SESSIONS, keys[i]))
        _measure("get, miss", n, lambda i: store.get(SESSIONS, keys[i] + "x"))
        m = min(n, 300)
        _measure("put (synchronous, fsync)", m, lambda i: store.put(SESSIONS, keys[i], records[i]))
        store.close()


if __name__ == "__main__":
    main()
