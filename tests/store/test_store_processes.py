"""Several threads and processes on one store; fork; crash durability (SIGKILL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from skvm_shim.store import Store, StoreUnavailable, check_store
from tests.store._support import LOG, NOTES, PRELUDE, Note, run_py


def _wait_child(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_processes_and_threads_share_one_store(store_path: Path) -> None:
    code = (
        PRELUDE
        + """
import threading
s = Store.open(sys.argv[1])
def work():
    for _ in range(50):
        s.update(NOTES, "counter", lambda c: Note(text="c", n=(c.n if c else 0) + 1))
        s.append_later(LOG, Note(text=str(os.getpid())))
threads = [threading.Thread(target=work) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
s.close()
"""
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(store_path)]) for _ in range(4)]
    with Store.open(store_path) as mine:
        for _ in range(50):
            mine.update(NOTES, "counter", lambda c: Note(text="c", n=(c.n if c else 0) + 1))
        for p in procs:
            assert p.wait(120) == 0
        counter = mine.get(NOTES, "counter")
        assert counter is not None
        assert counter.n == 4 * 2 * 50 + 50
        assert mine.count(LOG) == 4 * 2 * 50  # every log key unique across processes


def test_readers_do_not_wait_for_a_writer_in_another_process(store_path: Path) -> None:
    with Store.open(store_path) as s:
        s.put(NOTES, "k", Note(text="committed"))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PRELUDE
            + """
s = Store.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
t0 = time.perf_counter()
print(s.get(NOTES, "k").text, time.perf_counter() - t0, flush=True)
""",
            str(store_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None
    assert reader.stdout is not None
    try:
        assert reader.stdout.readline().strip() == "ready"
        with Store.open(store_path) as s, s.transaction() as txn:
            txn.put(NOTES, "k", Note(text="uncommitted"))
            reader.stdin.write("go\n")
            reader.stdin.flush()
            text, seconds = reader.stdout.readline().split()
        assert text == "committed"  # and it did not wait for the transaction to end
        assert float(seconds) < 1.0
    finally:
        reader.kill()
        reader.wait()


def test_forked_child_reopens_and_parent_keeps_working(store: Store) -> None:
    store.put(NOTES, "parent", Note(text="from parent"))
    store.put_later(NOTES, "queued", Note(text="queued in parent"))
    pid = os.fork()
    if pid == 0:  # child: the same handle must reopen the environment for this process
        code = 1
        try:
            got = store.get(NOTES, "parent")
            store.put(NOTES, "child", Note(text="from child"))
            store.append_later(LOG, Note(text="child event"))
            store.flush(10)
            ok = got == Note(text="from parent") and store.count(LOG) == 1
            code = 0 if ok else 2
        finally:
            os._exit(code)
    assert _wait_child(pid) == 0
    assert store.get(NOTES, "child") == Note(text="from child")
    assert store.count(LOG) == 1
    store.put(NOTES, "parent2", Note(text="parent after fork"))
    assert store.flush(10)
    assert store.get(NOTES, "queued") == Note(text="queued in parent")
    assert store.available
    # The parent's reader slots survived the child closing its copy of the environment.
    for _ in range(3):
        assert store.get(NOTES, "parent2") == Note(text="parent after fork")


def test_forking_repeatedly_while_other_threads_use_the_store(store: Store) -> None:
    stop = threading.Event()
    errors: list[BaseException] = []

    def busy() -> None:
        i = 0
        try:
            while not stop.is_set():
                store.put_later(NOTES, f"bg{i % 50}", Note(text="bg", n=i))
                store.get(NOTES, f"bg{(i * 7) % 50}")
                if i % 20 == 0:
                    store.update(
                        NOTES, "bg-counter", lambda c: Note(text="c", n=(c.n if c else 0) + 1)
                    )
                i += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for round_ in range(5):
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    store.put(NOTES, f"child{round_}", Note(text="child", n=round_))
                    code = 0 if store.get(NOTES, f"child{round_}") is not None else 2
                except StoreUnavailable:
                    code = 3
                finally:
                    os._exit(code)
            assert _wait_child(pid) == 0
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert store.flush(10)
    assert [store.get(NOTES, f"child{i}") for i in range(5)] == [
        Note(text="child", n=i) for i in range(5)
    ]


def test_fork_inside_a_transaction_body_disables_only_the_child(store: Store) -> None:
    """The child cannot safely take over an environment with a transaction in flight; it
    fails open (StoreUnavailable) instead of corrupting the parent's locks."""
    store.put(NOTES, "k", Note(text="v"))
    with store.transaction() as txn:
        txn.put(NOTES, "in-txn", Note(text="parent txn"))
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                store.get(NOTES, "k")
                code = 2
            except StoreUnavailable:
                code = 0
            finally:
                os._exit(code)
        assert _wait_child(pid) == 0
    assert store.get(NOTES, "in-txn") == Note(text="parent txn")
    store.put(NOTES, "after", Note(text="parent still writes"))
    assert store.available


_WRITE_UNTIL_KILLED = """
s = Store.open(sys.argv[1])
i = 0
while True:
    with s.transaction() as txn:  # a pair that must never be half-written
        txn.put(NOTES, f"a{i:06d}", Note(text="a", n=i))
        txn.put(NOTES, f"b{i:06d}", Note(text="b" * 500, n=i))
    s.put_later(LOG, f"{i:06d}", Note(text="later", n=i))
    if i % 10 == 0:
        s.flush()
        print("flushed", i, flush=True)
    print("committed", i, flush=True)
    i += 1
"""


def test_committed_data_survives_sigkill(store_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + _WRITE_UNTIL_KILLED, str(store_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = flushed = -1
    deadline = time.monotonic() + 60
    while committed < 150 and time.monotonic() < deadline:
        kind, n = proc.stdout.readline().split()
        if kind == "committed":
            committed = int(n)
        else:
            flushed = int(n)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert committed >= 150
    assert check_store(store_path) == []  # structurally sound after the kill
    out = run_py(
        """
        s = Store.open(sys.argv[1])
        a = {v.n for _, v in s.scan(NOTES, "a")}
        b = {v.n for _, v in s.scan(NOTES, "b")}
        logs = sorted(v.n for _, v in s.scan(LOG))
        print(json.dumps({"available": s.available, "a": sorted(a), "b": sorted(b), "log": logs}))
        """,
        str(store_path),
    )
    result = json.loads(out.stdout)
    assert result["available"] is True
    assert result["a"] == result["b"]  # every pair whole
    assert set(range(committed + 1)) <= set(result["a"])  # everything reported committed
    assert set(range(flushed + 1)) <= set(result["log"])  # everything reported flushed
    assert result["log"] == list(range(len(result["log"])))  # queued writes land in order


@pytest.mark.parametrize("mode", ["put", "put_later+flush"])
def test_write_then_sigkill_then_read_back(store_path: Path, mode: str) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PRELUDE
            + """
s = Store.open(sys.argv[1])
for i in range(200):
    if sys.argv[2] == "put":
        s.put(NOTES, f"k{i:04d}", Note(text="x", n=i))
    else:
        s.put_later(NOTES, f"k{i:04d}", Note(text="x", n=i))
s.flush()
print("done", flush=True)
time.sleep(60)
""",
            str(store_path),
            mode,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "done"
    proc.kill()
    proc.wait()
    with Store.open(store_path) as s:
        assert [v.n for _, v in s.scan(NOTES)] == list(range(200))
