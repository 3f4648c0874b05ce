"""Models and a subprocess runner shared by the store tests.

Cross-process behaviour (durability, map growth by another process, permissions, disk full) is
tested with real child interpreters, which get the same models through ``PRELUDE``.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

from pydantic import BaseModel

from skvm_shim.store import Store, Table

PRELUDE = """
import json, os, sys, time
from pathlib import Path
from pydantic import BaseModel
from skvm_shim.store import Store, StoreUnavailable, Table, join_key, key_prefix

class Note(BaseModel):
    text: str
    n: int = 0

NOTES = Table("notes", Note, 1)
LOG = Table("log", Note, 1)
"""


class Note(BaseModel):
    text: str
    n: int = 0


NOTES: Table[Note] = Table("notes", Note, 1)
LOG: Table[Note] = Table("log", Note, 1)


def run_py(
    code: str, *args: str, timeout: float = 60, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``PRELUDE + code`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"child exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@contextlib.contextmanager
def writer_held(store: Store) -> Iterator[None]:
    """Hold the store's write lock from another thread, so queued writes stay queued."""
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.transaction():
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert entered.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)
