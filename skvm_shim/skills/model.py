"""What a skill is to the runtime: SKILL.md text split into frontmatter and body, content-hashed."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

SkillSource = Literal["path", "patch", "traffic"]

_FRONTMATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)


class SkillParseError(ValueError):
    """SKILL.md text that is not a skill (no or broken frontmatter, no name)."""


def normalize_text(text: str) -> str:
    """The canonical form hashes and anchors are computed on.

    Line endings unified, trailing whitespace and surrounding blank lines dropped, so a harness
    that re-wraps nothing but whitespace still maps to the same skill.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Skill(BaseModel):
    """A registered skill. ``hash`` is the content hash of the normalised SKILL.md text."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    hash: str
    text: str
    frontmatter: str
    body: str
    source: SkillSource = "path"
    location: str | None = None

    @classmethod
    def parse(
        cls, text: str, *, source: SkillSource = "path", location: str | None = None
    ) -> Skill:
        """Parse SKILL.md text; raises SkillParseError naming what is wrong."""
        norm = normalize_text(text)
        match = _FRONTMATTER.match(norm)
        if match is None:
            raise SkillParseError("no YAML frontmatter (a leading '---' block) found")
        try:
            meta: Any = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            raise SkillParseError(f"frontmatter is not valid YAML: {exc}") from exc
        if not isinstance(meta, dict):
            raise SkillParseError("frontmatter is not a mapping")
        name = meta.get("name")
        if not isinstance(name, str) or not name.strip():
            raise SkillParseError("frontmatter has no 'name'")
        description = meta.get("description")
        if description is None:
            description = ""
        return cls(
            name=name.strip(),
            description=str(description).strip(),
            hash=content_hash(norm),
            text=norm,
            frontmatter=norm[: match.end()].rstrip("\n"),
            body=norm[match.end() :].strip("\n"),
            source=source,
            location=location,
        )

    @property
    def short_hash(self) -> str:
        return self.hash[:12]


def split_variant(text: str) -> tuple[str, str]:
    """(frontmatter, body) of a variant's SKILL.md text; frontmatter is '' when absent."""
    norm = normalize_text(text)
    match = _FRONTMATTER.match(norm)
    if match is None:
        return "", norm
    return norm[: match.end()].rstrip("\n"), norm[match.end() :].strip("\n")
