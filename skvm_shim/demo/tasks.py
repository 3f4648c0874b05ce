"""The demo's tasks (how many lines does a file have?) and its own checker.

Each task gets a fresh work directory holding one generated file; the checker knows the true
count, so it grades the answer without trusting anything the model or the shim said.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path

_NAMES = (
    "sales_q1.csv",
    "visits.csv",
    "inventory.csv",
    "notes.txt",
    "cities.csv",
    "orders_2024.csv",
    "survey.csv",
    "todo.txt",
    "prices.csv",
    "readings.csv",
    "guests.txt",
    "stock.csv",
)
_NUMBER = re.compile(r"(?<![\w.])\d+(?![\w])")
"""A standalone number: not part of a name like ``sales_q1.csv`` or ``v2``."""


@dataclass(frozen=True, slots=True)
class Task:
    file: str
    lines: int

    @property
    def text(self) -> str:
        return f"How many lines does {self.file} have?"

    def write(self, workdir: Path) -> str:
        """Create the task's file in ``workdir``; returns its content's digest (for grading)."""
        rows = [f"row {i},{(i * 37) % 101}" for i in range(1, self.lines)]
        content = "\n".join(["id,value", *rows]) + "\n"
        (workdir / self.file).write_text(content, encoding="utf-8")
        return hashlib.sha256(content.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Grade:
    completed: bool
    correct: bool
    why: str


def make_tasks(count: int, *, seed: int, start: int = 0) -> list[Task]:
    """``count`` tasks on distinct files (cycling through the names with a suffix when needed)."""
    rng = random.Random(seed)
    tasks = []
    for i in range(start, start + count):
        base = _NAMES[i % len(_NAMES)]
        if i >= len(_NAMES):
            stem, dot, ext = base.rpartition(".")
            base = f"{stem}_{i // len(_NAMES) + 1}{dot}{ext}"
        tasks.append(Task(file=base, lines=rng.randint(4, 40)))
    return tasks


def grade(task: Task, answer: str, *, finished: bool, workdir: Path, digest: str) -> Grade:
    """Correct: the loop ended with an answer whose only standalone number is the true count,
    and the input file is unchanged."""
    if not finished:
        return Grade(False, False, "no answer: the model was still calling tools at the limit")
    path = workdir / task.file
    try:
        unchanged = hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        unchanged = False
    if not unchanged:
        return Grade(True, False, f"{task.file} was changed or removed")
    numbers = set(_NUMBER.findall(answer))
    if numbers == {str(task.lines)}:
        return Grade(True, True, f"says {task.lines}")
    if not numbers:
        return Grade(True, False, "the answer gives no count")
    return Grade(True, False, f"says {', '.join(sorted(numbers))}, the file has {task.lines}")
