"""A skill as the compiler sees it: SKILL.md text, its frontmatter and the bundled files.

``parse_skill`` is pure (text and bytes in); ``load_skill_dir`` is the file-system side. Every
problem with the input is a ``SkillLoadError`` whose message names the file, so a caller can print
it and move on without a traceback.

Bundle policy: text files (by extension) must be UTF-8; other files are carried as opaque bytes
(images, spreadsheets) and never analysed. Symlinks are followed only inside the skill folder; a
symlink loop, a dangling link or a link leaving the folder is an error. ``.git``, ``__pycache__``,
``node_modules`` and virtualenvs are skipped.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from compiler.codescan import words
from compiler.markdown import Document

SKILL_FILE = "SKILL.md"
MAX_SKILL_MD_BYTES = 512 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024
MAX_FILES = 2000

TEXT_SUFFIXES = words(
    """
    .md .markdown .txt .rst .py .sh .bash .zsh .js .mjs .cjs .ts .tsx .jsx .json .jsonl .yaml
    .yml .toml .ini .cfg .conf .csv .tsv .html .htm .css .scss .xml .svg .sql .rb .go .rs .java
    .kt .php .pl .lua .r .ics .env .gitignore .tmpl .j2 .jinja .mdx .ps1 .bat .cmd
    """
)
_SKIP_DIRS = frozenset({".git", "__pycache__", "node_modules", ".venv", "venv", ".mypy_cache"})
_SKIP_FILES = frozenset({".DS_Store", "Thumbs.db"})


class SkillLoadError(ValueError):
    """The skill cannot be compiled as given. The message names the offending file."""


class BundleFile(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")

    path: str  # POSIX, relative to the skill folder
    data: bytes

    @property
    def is_text(self) -> bool:
        return is_text_path(self.path)

    @property
    def text(self) -> str | None:
        if not self.is_text:
            return None
        return self.data.decode("utf-8")

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


class SkillSource(BaseModel):
    """A loaded skill. ``content_hash`` covers SKILL.md and every bundled file."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    skill_md: str
    frontmatter: dict[str, Any] = Field(default_factory=dict)
    bundle: tuple[BundleFile, ...] = ()
    origin: str | None = None  # where it was loaded from; not part of any hash

    @cached_property
    def document(self) -> Document:
        return Document(self.skill_md)

    @cached_property
    def content_hash(self) -> str:
        return content_hash(self.skill_md, self.bundle)

    @cached_property
    def text_hash(self) -> str:
        """Hash of SKILL.md alone (what a request carries)."""
        return "sha256:" + hashlib.sha256(self.skill_md.encode("utf-8")).hexdigest()

    @property
    def description(self) -> str:
        value = self.frontmatter.get("description")
        return value if isinstance(value, str) else ""

    @cached_property
    def bundle_paths(self) -> frozenset[str]:
        return frozenset(f.path for f in self.bundle)

    def bundle_text(self, path: str) -> str | None:
        for f in self.bundle:
            if f.path == path:
                return f.text
        return None


def is_text_path(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    suffix = PurePosixPath(name).suffix
    return suffix in TEXT_SUFFIXES or name in TEXT_SUFFIXES or name in {"makefile", "dockerfile"}


def content_hash(skill_md: str, bundle: tuple[BundleFile, ...]) -> str:
    h = hashlib.sha256()
    h.update(b"SKILL.md\0")
    h.update(skill_md.encode("utf-8"))
    for f in sorted(bundle, key=lambda b: b.path):
        h.update(b"\0" + f.path.encode("utf-8") + b"\0" + f.digest.encode())
    return "sha256:" + h.hexdigest()


def parse_frontmatter(text: str, *, where: str = SKILL_FILE) -> dict[str, Any]:
    """The YAML frontmatter of a SKILL.md text, validated."""
    doc = Document(text)
    raw = doc.frontmatter_text
    if raw is None:
        if doc.lines and doc.lines[0].strip() == "---":
            raise SkillLoadError(f"{where}: frontmatter is not closed by a '---' line")
        raise SkillLoadError(
            f"{where}: no YAML frontmatter (the file must start with a '---' line, name: and "
            "description:, then '---')"
        )
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise SkillLoadError(f"{where}: broken frontmatter{at}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SkillLoadError(
            f"{where}: frontmatter must be a YAML mapping, not {type(data).__name__}"
        )
    return {str(k): v for k, v in data.items()}


def parse_skill(
    skill_md: str,
    bundle: Mapping[str, bytes] | None = None,
    *,
    name: str | None = None,
    origin: str | None = None,
) -> SkillSource:
    """Build a SkillSource from text and bundle bytes (no file system)."""
    if "\x00" in skill_md:
        raise SkillLoadError(f"{SKILL_FILE}: binary content (NUL bytes), not a Markdown file")
    front = parse_frontmatter(skill_md)
    files: list[BundleFile] = []
    for path, data in sorted((bundle or {}).items()):
        clean = PurePosixPath(path)
        if clean.is_absolute() or ".." in clean.parts:
            raise SkillLoadError(f"{path}: bundle paths must be relative and inside the skill")
        if is_text_path(path):
            _check_text(path, data)
        files.append(BundleFile(path=clean.as_posix(), data=data))
    skill_name = front.get("name")
    final_name = skill_name.strip() if isinstance(skill_name, str) and skill_name.strip() else None
    return SkillSource(
        name=final_name or name or "skill",
        skill_md=skill_md,
        frontmatter=front,
        bundle=tuple(files),
        origin=origin,
    )


def _check_text(where: str, data: bytes) -> None:
    if b"\x00" in data:
        raise SkillLoadError(f"{where}: binary content (NUL bytes) in a text file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkillLoadError(
            f"{where}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def load_skill_dir(
    path: str | Path,
    *,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_skill_md_bytes: int = MAX_SKILL_MD_BYTES,
    max_files: int = MAX_FILES,
) -> SkillSource:
    """Read a skill folder (or a SKILL.md path) into a SkillSource."""
    given = Path(path)
    try:
        root = given.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise SkillLoadError(f"{given}: cannot open skill folder: {_why(exc)}") from None
    if root.is_file() and root.name == SKILL_FILE:
        root = root.parent
    if not root.is_dir():
        raise SkillLoadError(f"{given}: not a skill folder")
    skill_file = root / SKILL_FILE
    if not skill_file.is_file():
        raise SkillLoadError(f"{skill_file}: missing (a skill folder needs a SKILL.md)")
    raw = _read(skill_file, max_skill_md_bytes, root)
    _check_text(str(skill_file), raw)
    text = raw.decode("utf-8").removeprefix("\ufeff")
    bundle = _read_bundle(root, max_total_bytes - len(raw), max_files)
    try:
        return parse_skill(text, bundle, name=root.name, origin=str(root))
    except SkillLoadError as exc:
        message = str(exc)
        if message.startswith(SKILL_FILE):
            message = str(skill_file) + message[len(SKILL_FILE) :]
        else:
            message = str(root / message)
        raise SkillLoadError(message) from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == 40:  # ELOOP
        return "symlink loop"
    return getattr(exc, "strerror", None) or str(exc)


def _read(file: Path, limit: int, root: Path) -> bytes:
    try:
        size = file.stat().st_size
        if size > limit:
            raise SkillLoadError(
                f"{file}: {size} bytes is over the {limit}-byte limit for {file.relative_to(root)}"
            )
        return file.read_bytes()
    except OSError as exc:
        raise SkillLoadError(f"{file}: cannot read: {_why(exc)}") from None


def _read_bundle(root: Path, budget: int, max_files: int) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    total = 0
    visited_dirs: set[Path] = {root}

    def walk(directory: Path, rel: PurePosixPath) -> None:
        nonlocal total
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise SkillLoadError(f"{directory}: cannot list: {_why(exc)}") from None
        for entry in entries:
            name = entry.name
            if name in _SKIP_DIRS or name in _SKIP_FILES:
                continue
            full = Path(entry.path)
            relpath = rel / name
            if relpath.as_posix() == SKILL_FILE:
                continue
            target = full
            if entry.is_symlink():
                try:
                    target = full.resolve(strict=True)
                except (OSError, RuntimeError) as exc:
                    raise SkillLoadError(f"{full}: broken symlink ({_why(exc)})") from None
                if not target.is_relative_to(root):
                    raise SkillLoadError(f"{full}: symlink points outside the skill folder")
            try:
                mode = target.stat().st_mode
            except OSError as exc:
                raise SkillLoadError(f"{full}: cannot stat: {_why(exc)}") from None
            if stat.S_ISDIR(mode):
                real = target.resolve()
                if real in visited_dirs:
                    raise SkillLoadError(f"{full}: symlink loop (directory already visited)")
                visited_dirs.add(real)
                walk(target, relpath)
            elif stat.S_ISREG(mode):
                if len(out) >= max_files:
                    raise SkillLoadError(f"{full}: more than {max_files} files in the skill")
                data = _read(target, max(0, budget - total), root)
                total += len(data)
                out[relpath.as_posix()] = data

    walk(root, PurePosixPath())
    return out
