"""The set of skills the runtime knows, and where they came from.

Skills come from directories (``SKVM_SKILLS_PATH``, ``patch(skills=...)``) and from traffic: any
SKILL.md text with frontmatter that the detector sees is registered, so a skill installed only in a
harness's own folder is still recognised (and compiled) next time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from skvm_shim.skills.index import SkillIndex
from skvm_shim.skills.model import Skill, SkillParseError, SkillSource

log = logging.getLogger("skvm_shim.skills")

_MAX_SKILL_BYTES = 1_000_000


class SkillLoadError(ValueError):
    """A skill folder that cannot be loaded; the message names the file."""


def load_skill_file(path: Path, *, source: SkillSource = "path") -> Skill:
    """Load one SKILL.md (or the SKILL.md inside a folder)."""
    file = path / "SKILL.md" if path.is_dir() else path
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise SkillLoadError(f"{file}: cannot read ({exc.strerror or exc})") from exc
    if len(raw) > _MAX_SKILL_BYTES:
        raise SkillLoadError(f"{file}: {len(raw)} bytes is too large for a SKILL.md")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkillLoadError(f"{file}: not UTF-8 text (byte {exc.start})") from exc
    try:
        return Skill.parse(text, source=source, location=str(file.parent.resolve()))
    except SkillParseError as exc:
        raise SkillLoadError(f"{file}: {exc}") from exc


def discover_skill_dirs(root: Path) -> list[Path]:
    """Skill folders at ``root``: the folder itself if it holds SKILL.md, else its subfolders."""
    if (root / "SKILL.md").is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "SKILL.md").is_file())


class SkillRegistry:
    """Thread-safe set of skills keyed by content hash, with a detection index kept in step."""

    def __init__(self, skills: Iterable[Skill] = ()) -> None:
        self._lock = threading.Lock()
        self._skills: dict[str, Skill] = {}
        self._index: SkillIndex | None = None
        for skill in skills:
            self._skills[skill.hash] = skill

    def add(self, skill: Skill) -> bool:
        """Register ``skill``; False when a skill with the same content is already known."""
        with self._lock:
            if skill.hash in self._skills:
                return False
            self._skills[skill.hash] = skill
            self._index = None
        return True

    def add_paths(self, paths: Iterable[Path], *, source: SkillSource = "path") -> list[str]:
        """Load every skill folder under ``paths``; returns the problems found (logged, skipped)."""
        problems: list[str] = []
        for root in paths:
            dirs = discover_skill_dirs(root)
            if not dirs:
                problems.append(f"{root}: no SKILL.md found in it or its subfolders")
            for folder in dirs:
                try:
                    self.add(load_skill_file(folder, source=source))
                except SkillLoadError as exc:
                    problems.append(str(exc))
        for problem in problems:
            log.warning("skill not loaded: %s", problem)
        return problems

    def get(self, skill_hash: str) -> Skill | None:
        return self._skills.get(skill_hash)

    def by_name(self, name: str) -> list[Skill]:
        return [s for s in self._skills.values() if s.name == name]

    def __iter__(self) -> Iterator[Skill]:
        return iter(list(self._skills.values()))

    def __len__(self) -> int:
        return len(self._skills)

    @property
    def index(self) -> SkillIndex:
        """The detection index of the current skill set (rebuilt after a change)."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = SkillIndex.build(self._skills.values())
                index = self._index
        return index
