"""Documents link only to files inside the repository, and nothing refers to documents outside it.

The project's design lives in docs/design.md; the design notes, research and tracker it grew from
are not part of the repository, so a reader of a clone could not follow a reference to them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.docs.conftest import DOCS, ROOT
from tests.docs.markdown import anchors, links

_EXTERNAL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:|^//")
# Written so that this file does not match itself.
_OUTSIDE = re.compile(
    r"\.\./shar[e]d|/work/shar[e]d|DESIG[N]\.md|skvm-referenc[e]\.md|\b[Ii]ssues? #?\d+\b"
)
_CODE_DIRS = ("skvm_shim", "adapters", "compiler", "tests", "scripts", "examples")
_TEXT = {".py", ".md", ".sh", ".toml", ".cfg", ".txt"}


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def link_problems(path: Path, root: Path) -> tuple[list[str], int]:
    """What is wrong with ``path``'s relative links, and how many relative links it has."""
    problems: list[str] = []
    checked = 0
    for link in links(path.read_text(encoding="utf-8")):
        if _EXTERNAL.match(link.target):
            continue
        checked += 1
        file_part, _, anchor = link.target.partition("#")
        target = (path.parent / unquote(file_part)).resolve() if file_part else path
        where = f"{path.relative_to(root).as_posix()}:{link.line}: {link.target}"
        if not target.is_relative_to(root):
            problems.append(f"{where} leaves the repository")
        elif not target.exists():
            problems.append(f"{where} does not exist")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target.read_text()):
            problems.append(f"{where} names no heading of {target.name}")
    return problems, checked


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_every_relative_link_resolves_to_a_file_in_the_repository(path: Path) -> None:
    problems, checked = link_problems(path, ROOT)
    assert not problems, "\n".join(problems)
    if path.name == "README.md":
        assert checked >= 5  # the README links docs/: an extraction finding none would pass


def test_the_link_check_reports_links_out_of_the_repository_missing_files_and_headings(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("# Outside\n")
    (root / "docs" / "other.md").write_text("# Other\n\n## Running it\n")
    doc = root / "docs" / "page.md"
    doc.write_text(
        "[fine](other.md#running-it), [web](https://example.org/x.md), [self](#page)\n"
        "[out](../../outside.md) and [gone](missing.md) and [bad anchor](other.md#nope)\n"
        "`[in code](../../outside.md)` is not a link\n\n# Page\n"
    )
    problems, checked = link_problems(doc, root)
    assert checked == 5
    assert problems == [
        "docs/page.md:2: ../../outside.md leaves the repository",
        "docs/page.md:2: missing.md does not exist",
        "docs/page.md:2: other.md#nope names no heading of other.md",
    ]


@pytest.mark.parametrize("path", DOCS, ids=_name)
def test_no_document_refers_to_design_notes_outside_the_repository(path: Path) -> None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = _OUTSIDE.search(line)
        assert found is None, f"{_name(path)}:{number}: refers to {found[0]!r}"


def test_no_code_refers_to_design_notes_or_tracker_issues() -> None:
    """Comments and docstrings point at docs/, which a clone has, not at notes it lacks."""
    files = [ROOT / "pyproject.toml"]
    for folder in _CODE_DIRS:
        files.extend(
            f
            for f in sorted((ROOT / folder).rglob("*"))
            if f.suffix in _TEXT and "fixtures" not in f.parts and "__pycache__" not in f.parts
        )
    assert len(files) > 100
    found = []
    for f in files:
        for number, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            match = _OUTSIDE.search(line)
            if match:
                found.append(f"{_name(f)}:{number}: {match[0]!r}")
    assert not found, "\n".join(found)
