"""Fail open: damaged files, permissions, a full disk. The store disables itself with one log
line, every call then raises StoreUnavailable quickly, and nothing is half-written."""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from skvm_shim.store import Store, StoreUnavailable, check_store
from tests.store._support import NOTES, Note, run_py

# Opens the store, tries every kind of call and reports what happened as JSON. Runs in a child
# so that a crash (SIGBUS, SIGSEGV) fails the test instead of killing pytest.
_PROBE = """
import logging
logging.basicConfig(level=logging.ERROR, format="LOG %(levelname)s %(message)s")
s = Store.open(sys.argv[1])
results = {}
for name, call in [
    ("get", lambda: s.get(NOTES, "k00001")),
    ("scan", lambda: list(s.scan(NOTES))),
    ("count", lambda: s.count(NOTES)),
    ("put", lambda: s.put(NOTES, "new", Note(text="x"))),
    ("put_later", lambda: s.put_later(NOTES, "new2", Note(text="x"))),
    ("flush", lambda: s.flush(5)),
]:
    try:
        call()
        results[name] = "ok"
    except StoreUnavailable as exc:
        results[name] = "unavailable"
print(json.dumps({"available": s.available, "reason": s.info().disabled_reason, **results}))
"""

_FILL = """
s = Store.open(sys.argv[1])
with s.transaction() as txn:  # one transaction: the same page layout every run
    for i in range(300):
        txn.put(NOTES, f"k{i:05d}", Note(text="x" * 200, n=i))
s.close()
"""


def _scramble_pages(data: Path, seed: int) -> None:
    """Overwrite part of every page after the two meta pages (seeded, so reproducible)."""
    rng = random.Random(seed)
    size = data.stat().st_size
    with data.open("r+b") as f:
        for page in range(2, size // 4096):
            f.seek(page * 4096 + rng.randint(0, 64))
            f.write(rng.randbytes(rng.randint(100, 4000)))


def _probe(path: Path) -> tuple[dict[str, object], str]:
    proc = run_py(_PROBE, str(path))
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def _all_unavailable(result: dict[str, object]) -> bool:
    return all(result[k] == "unavailable" for k in ("get", "scan", "count", "put", "put_later"))


@pytest.mark.parametrize(
    "damage",
    [
        "random bytes",
        "zeroed meta pages",
        "truncated",
        "empty file",
        "scrambled pages 1",
        "scrambled pages 2",
        "scrambled pages 3",
    ],
)
def test_damaged_data_file_disables_without_crashing(store_path: Path, damage: str) -> None:
    run_py(_FILL, str(store_path))
    data = store_path / "data.mdb"
    size = data.stat().st_size
    with data.open("r+b") as f:
        if damage == "random bytes":
            f.write(os.urandom(size))
        elif damage == "zeroed meta pages":
            f.write(b"\0" * 8192)
        elif damage == "truncated":
            f.truncate(3 * 4096)
        elif damage == "empty file":
            f.truncate(0)
    if damage.startswith("scrambled pages"):
        _scramble_pages(data, int(damage[-1]))
    result, stderr = _probe(store_path)  # the child exiting normally is the first check
    if damage == "empty file":
        # LMDB treats an empty data file as a new environment: a fresh, working store.
        assert result["available"] is True
        assert result["put"] == "ok"
        return
    assert result["available"] is False
    if damage.startswith("scrambled pages"):
        # Detected on the first page LMDB finds inconsistent; a scan reads them all.
        assert result["scan"] == "unavailable"
        assert result["put"] == "unavailable"
    else:  # detected when opening
        assert _all_unavailable(result)
    assert result["flush"] == "unavailable"
    log_lines = [line for line in stderr.splitlines() if line.startswith("LOG ERROR")]
    assert len(log_lines) == 1, stderr
    assert str(store_path) in log_lines[0]
    assert "disabled" in log_lines[0]


def test_check_store_finds_damage_offline(store_path: Path) -> None:
    run_py(_FILL, str(store_path))
    assert check_store(store_path) == []
    _scramble_pages(store_path / "data.mdb", 1)
    assert check_store(store_path) != []
    assert check_store(store_path / "missing") != []


def _run_as_other_user(code: str, path: Path) -> dict[str, object]:
    """As root, chmod does not stop us; drop to nobody in the child after imports."""
    if os.geteuid() == 0:
        code = "os.setgid(65534); os.setuid(65534)\n" + code
    result: dict[str, object] = json.loads(run_py(code, str(path)).stdout.strip().splitlines()[-1])
    return result


_OPEN_AND_TRY = """
import logging
logging.basicConfig(level=logging.ERROR, format="LOG %(message)s")
s = Store.open(sys.argv[1])
try:
    s.get(NOTES, "k00001")
    got = "ok"
except StoreUnavailable:
    got = "unavailable"
print(json.dumps({"available": s.available, "reason": s.info().disabled_reason, "get": got}))
"""


def test_unwritable_store_directory_disables(store_path: Path) -> None:
    run_py(_FILL, str(store_path))
    if os.geteuid() != 0:
        store_path.chmod(0o500)
        for child in store_path.iterdir():
            child.chmod(0o400)
    try:
        result = _run_as_other_user(_OPEN_AND_TRY, store_path)
    finally:
        store_path.chmod(0o700)
        for child in store_path.iterdir():
            child.chmod(0o600)
    assert result["available"] is False
    assert result["get"] == "unavailable"
    assert "ermission" in str(result["reason"])


def test_uncreatable_store_directory_disables(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir(mode=0o500)
    try:
        result = _run_as_other_user(_OPEN_AND_TRY, parent / "store")
    finally:
        parent.chmod(0o700)
    assert result["available"] is False
    assert result["get"] == "unavailable"


_UNDER_FILE_SIZE_LIMIT = """
import resource, signal
import logging
logging.basicConfig(level=logging.ERROR, format="LOG %(message)s")
s = Store.open(sys.argv[1])
for i in range(20):
    s.put(NOTES, f"k{i:05d}", Note(text="kept", n=i))
size = os.path.getsize(os.path.join(sys.argv[1], "data.mdb"))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 8192, size + 8192))
"""

_COUNT_IN_ANOTHER_PROCESS = """
s = Store.open(sys.argv[1])
print(json.dumps([k for k, _ in s.scan(NOTES)]))
"""


def test_full_disk_disables_and_a_transaction_writes_nothing(store_path: Path) -> None:
    """A file-size limit stands in for a full disk: writes past it fail with EFBIG."""
    out = run_py(
        _UNDER_FILE_SIZE_LIMIT
        + """
try:
    with s.transaction() as txn:
        for i in range(200):
            txn.put(NOTES, f"txn{i:05d}", Note(text="y" * 3000, n=i))
    outcome = "committed"
except StoreUnavailable:
    outcome = "unavailable"
t0 = time.perf_counter()
fast = 0
for _ in range(1000):
    try:
        s.get(NOTES, "k00001")
    except StoreUnavailable:
        fast += 1
per_call = (time.perf_counter() - t0) / 1000
print(json.dumps({"outcome": outcome, "reason": s.info().disabled_reason,
                  "fast": fast, "per_call": per_call}))
""",
        str(store_path),
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["outcome"] == "unavailable"
    assert "commit failed" in result["reason"]  # LMDB reports the short write as EIO
    assert result["fast"] == 1000
    assert result["per_call"] < 1e-3  # disabled calls fail fast
    assert out.stderr.count("is disabled") == 1
    keys = json.loads(run_py(_COUNT_IN_ANOTHER_PROCESS, str(store_path)).stdout)
    assert keys == [f"k{i:05d}" for i in range(20)]  # all before, nothing of the transaction


def test_full_disk_during_write_behind_loses_only_uncommitted_batches(store_path: Path) -> None:
    out = run_py(
        _UNDER_FILE_SIZE_LIMIT
        + """
for i in range(200):
    s.put_later(NOTES, f"q{i:05d}", Note(text="y" * 3000, n=i))
try:
    s.flush(10)
    flushed = "ok"
except StoreUnavailable:
    flushed = "unavailable"
try:
    s.put_later(NOTES, "after", Note(text="x"))
    later = "ok"
except StoreUnavailable:
    later = "unavailable"
print(json.dumps({"flushed": flushed, "later": later}))
""",
        str(store_path),
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"flushed": "unavailable", "later": "unavailable"}
    keys = json.loads(run_py(_COUNT_IN_ANOTHER_PROCESS, str(store_path)).stdout)
    queued = [k for k in keys if k.startswith("q")]
    # Batches commit whole and in order: what survived is a prefix of the queue, never a gap.
    assert queued == [f"q{i:05d}" for i in range(len(queued))]
    assert len(queued) < 200
    assert [k for k in keys if k.startswith("k")] == [f"k{i:05d}" for i in range(20)]


def test_disabled_store_raises_for_every_call_and_logs_once(
    store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store_path.mkdir()
    (store_path / "data.mdb").write_bytes(os.urandom(64 * 1024))
    with caplog.at_level(logging.ERROR, logger="skvm_shim.store"):
        s = Store.open(store_path)
        assert not s.available
        calls: list[Callable[[], object]] = [
            lambda: s.get(NOTES, "k"),
            lambda: s.scan(NOTES),
            lambda: s.count(NOTES),
            lambda: s.put(NOTES, "k", Note(text="x")),
            lambda: s.put_later(NOTES, "k", Note(text="x")),
            lambda: s.append(NOTES, Note(text="x")),
            lambda: s.append_later(NOTES, Note(text="x")),
            lambda: s.delete(NOTES, "k"),
            lambda: s.update(NOTES, "k", lambda cur: cur),
            s.flush,
            lambda: s.prepare(NOTES),
            lambda: s.transaction().__enter__(),
        ]
        t0 = time.perf_counter()
        for _ in range(100):
            for call in calls:
                with pytest.raises(StoreUnavailable):
                    call()
        elapsed = time.perf_counter() - t0
        s2 = Store.open(store_path)  # another handle on the same broken store
        with pytest.raises(StoreUnavailable):
            s2.get(NOTES, "k")
        s.close()
        s2.close()
    assert elapsed < 1.0
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    message = errors[0].getMessage()
    assert str(store_path.resolve()) in message
    assert "not an LMDB file" in message or "Invalid" in message
