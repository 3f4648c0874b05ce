"""The demo's own checker: the right count and nothing else, the input file untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from skvm_shim.demo.tasks import Task, grade, make_tasks


@pytest.fixture
def task() -> Task:
    return Task(file="sales_q1.csv", lines=17)


def _grade(task: Task, workdir: Path, answer: str, *, finished: bool = True) -> tuple[bool, bool]:
    digest = task.write(workdir)
    g = grade(task, answer, finished=finished, workdir=workdir, digest=digest)
    return g.completed, g.correct


def test_the_written_file_has_the_tasks_line_count(task: Task, tmp_path: Path) -> None:
    task.write(tmp_path)
    assert (tmp_path / task.file).read_text(encoding="utf-8").count("\n") == 17


@pytest.mark.parametrize(
    ("answer", "correct"),
    [
        ("sales_q1.csv has 17 lines.", True),  # the 1 of q1 is part of a name, not a count
        ("17", True),
        ("The file has 17 lines (16 rows and a header).", False),
        ("sales_q1.csv has 16 lines.", False),
        ("sales_q1.csv has many lines.", False),
        ("It has 170 lines.", False),
    ],
)
def test_only_the_true_count_is_correct(
    task: Task, tmp_path: Path, answer: str, correct: bool
) -> None:
    assert _grade(task, tmp_path, answer) == (True, correct)


def test_an_unfinished_session_is_neither_completed_nor_correct(task: Task, tmp_path: Path) -> None:
    assert _grade(task, tmp_path, "17", finished=False) == (False, False)


def test_a_changed_input_file_fails_even_with_the_right_number(task: Task, tmp_path: Path) -> None:
    digest = task.write(tmp_path)
    (tmp_path / task.file).write_text("clobbered\n", encoding="utf-8")
    g = grade(task, "17", finished=True, workdir=tmp_path, digest=digest)
    assert (g.completed, g.correct) == (True, False)
    assert "changed" in g.why


def test_generated_tasks_are_distinct_and_reproducible() -> None:
    tasks = make_tasks(30, seed=3)
    assert len({t.file for t in tasks}) == 30
    assert make_tasks(30, seed=3) == tasks
    assert all(4 <= t.lines <= 40 for t in tasks)
