"""Detection index: find registered skills in prompt text without scanning more than needed.

A prompt part is first tested against *anchor lines* (distinctive stripped lines of each skill
body) with one set intersection, which costs about as much as splitting the text into lines and
does not grow with the number of skills. Only skills whose anchors hit are matched precisely:
exact text, then whitespace-normalised, then as a line-numbered file read.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from skvm_shim.skills.model import Skill

MatchKind = Literal["file", "body", "partial"]

_MIN_ANCHOR_LEN = 12
_TRIVIAL_LINES = frozenset({"```", "---", "***", "</skill>", "<skill>"})
_DECORATION_PREFIX = r"[ ]*\d+(?:\t|\u2192|: |\|)"
"""Line-number gutters of file-read tools: ``{n:>6}\\t`` (cat -n), ``{n}\\t`` (Claude Code),
``{n:>6}\u2192``, ``{n}: `` (opencode), ``{n}|`` (hermes)."""


@dataclass(frozen=True, slots=True)
class LineDecoration:
    """How a file-read tool prefixed each line: ``{n:>width}{sep}`` from ``first`` on.

    ``width`` 0 means unpadded numbers (Claude Code's Read writes ``12\\tline``).
    ``trailing_blank`` counts the empty numbered lines after the text (a file ending in a newline
    reads as one more, empty, numbered line), which the replacement must renumber too.
    """

    first: int
    width: int
    sep: str
    trailing_blank: int = 0

    def apply(self, text: str) -> str:
        lines = text.split("\n") + [""] * self.trailing_blank
        return "\n".join(
            f"{self.first + i:>{self.width}}{self.sep}{line}" for i, line in enumerate(lines)
        )


@dataclass(frozen=True, slots=True)
class PartMatch:
    """A skill found in one text: where, how, and whether it can be replaced in place."""

    skill_hash: str
    kind: MatchKind
    start: int = 0
    end: int = 0
    normalized: bool = False
    decoration: LineDecoration | None = None

    @property
    def rewritable(self) -> bool:
        return self.kind in ("file", "body")


class _SkillMatcher:
    """Precise matchers of one skill, compiled on first use (only skills that anchor-hit)."""

    def __init__(self, skill: Skill) -> None:
        self.skill = skill

    @cached_property
    def _file_ws(self) -> re.Pattern[str]:
        return _ws_pattern(self.skill.text)

    @cached_property
    def _body_ws(self) -> re.Pattern[str]:
        return _ws_pattern(self.skill.body)

    @cached_property
    def _file_decorated(self) -> re.Pattern[str]:
        return _decorated_pattern(self.skill.text)

    @cached_property
    def _body_decorated(self) -> re.Pattern[str]:
        return _decorated_pattern(self.skill.body)

    def match(self, text: str) -> PartMatch:
        h = self.skill.hash
        for kind, exact in (("file", self.skill.text), ("body", self.skill.body)):
            if exact:
                pos = text.find(exact)
                if pos >= 0:
                    return PartMatch(h, kind, pos, pos + len(exact))  # type: ignore[arg-type]
        for kind, pattern in (("file", self._file_ws), ("body", self._body_ws)):
            m = pattern.search(text)
            if m is not None:
                return PartMatch(h, kind, m.start(), m.end(), normalized=True)  # type: ignore[arg-type]
        for kind, pattern in (("file", self._file_decorated), ("body", self._body_decorated)):
            m = pattern.search(text)
            if m is not None:
                found = _reproducible_decoration(text[m.start() : m.end()], text[m.end() :])
                if found is not None:
                    deco, extra = found
                    end = m.end() + extra
                    return PartMatch(h, kind, m.start(), end, decoration=deco)  # type: ignore[arg-type]
                return PartMatch(h, "partial", m.start(), m.end())
        return PartMatch(h, "partial")


def _ws_pattern(text: str) -> re.Pattern[str]:
    tokens = text.split()
    return re.compile(r"\s+".join(re.escape(t) for t in tokens)) if tokens else re.compile(r"(?!)")


def _decorated_pattern(text: str) -> re.Pattern[str]:
    lines = text.split("\n")
    if not any(line.strip() for line in lines):
        return re.compile(r"(?!)")
    parts = [_DECORATION_PREFIX + re.escape(line) + r"[ \t]*" for line in lines]
    return re.compile(r"(?m)^" + r"\r?\n".join(parts))


_PREFIX_RE = re.compile(r"(?m)^([ ]*)(\d+)(\t|\u2192|: |\|)")
_BLANK_NUMBERED = re.compile(r"\r?\n([ ]*)(\d+)(\t|\u2192|: |\|)[ \t]*(?=\r?\n|\Z)")


def _reproducible_decoration(region: str, after: str = "") -> tuple[LineDecoration, int] | None:
    """(decoration, extra chars) of a numbered region whose lines all follow one format exactly.

    ``after`` is the text following the region: empty numbered lines there that continue the
    numbering are absorbed (their length is the second item) so the replacement renumbers them.
    """
    prefixes = _PREFIX_RE.findall(region)
    if not prefixes or len(prefixes) != region.count("\n") + 1:
        return None
    pad, num, sep = prefixes[0]
    first = int(num)
    padded = bool(pad)
    width = len(pad) + len(num) if padded else 0
    for i, (p, n, s) in enumerate(prefixes):
        if s != sep or int(n) != first + i:
            return None
        if padded and len(p) + len(n) != width:
            return None
        if not padded and p:
            return None
    blank = 0
    extra = 0
    expected = first + len(prefixes)
    while True:
        m = _BLANK_NUMBERED.match(after, extra)
        if m is None or int(m.group(2)) != expected or m.group(3) != sep:
            break
        blank += 1
        expected += 1
        extra = m.end()
    return LineDecoration(first=first, width=width, sep=sep, trailing_blank=blank), extra


_VERSIONS = itertools.count(1)
"""Index versions: cached scan results are valid only for the index version they were made with."""


def stripped_lines(text: str) -> frozenset[str]:
    """The set of stripped lines of ``text``: one pass that serves every line-level test."""
    return frozenset(map(str.strip, text.splitlines()))


class SkillIndex:
    """Immutable detection index over a set of skills (rebuilt when the set changes)."""

    def __init__(
        self,
        skills: dict[str, Skill],
        anchors: dict[str, tuple[str, ...]],
        anchor_counts: dict[str, int],
    ) -> None:
        self.skills = skills
        self._anchors = anchors
        self._anchor_keys = frozenset(anchors)
        self._anchor_counts = anchor_counts
        self._matchers: dict[str, _SkillMatcher] = {}
        self.version = next(_VERSIONS)
        self.by_name: dict[str, list[Skill]] = defaultdict(list)
        for skill in skills.values():
            self.by_name[skill.name].append(skill)

    @classmethod
    def build(cls, skills: Iterable[Skill]) -> SkillIndex:
        by_hash = {s.hash: s for s in skills}
        owners: dict[str, set[str]] = defaultdict(set)
        for skill in by_hash.values():
            for line in skill.body.split("\n"):
                key = line.strip()
                if len(key) >= _MIN_ANCHOR_LEN and key not in _TRIVIAL_LINES:
                    owners[key].add(skill.hash)
        anchors = {k: tuple(sorted(v)) for k, v in owners.items() if len(v) == 1}
        counts: dict[str, int] = defaultdict(int)
        for hashes in anchors.values():
            counts[hashes[0]] += 1
        return cls(by_hash, anchors, dict(counts))

    def __len__(self) -> int:
        return len(self.skills)

    def candidates(self, text: str, lines: frozenset[str] | None = None) -> list[str]:
        """Hashes of skills with enough anchor lines present in ``text``.

        ``lines`` is the set of stripped lines of ``text`` when the caller already has it.
        """
        if not self._anchor_keys:
            return []
        if lines is None:
            lines = stripped_lines(text)
        hits: Set[str] = self._anchor_keys & lines
        if not hits:
            hits = self._decorated_hits(text)
            if not hits:
                return []
        per_skill: dict[str, int] = defaultdict(int)
        for key in hits:
            for h in self._anchors[key]:
                per_skill[h] += 1
        return [h for h, n in per_skill.items() if n >= min(2, self._anchor_counts.get(h, 1))]

    def _decorated_hits(self, text: str) -> set[str]:
        # Only numbered file reads need this second look; test the first line before paying for it.
        head = text.lstrip()[:16]
        if not _PREFIX_RE.match(head):
            return set()
        stripped = _PREFIX_RE.sub("", text)
        return set(self._anchor_keys.intersection(map(str.strip, stripped.splitlines())))

    def match(self, skill_hash: str, text: str) -> PartMatch:
        matcher = self._matchers.get(skill_hash)
        if matcher is None:
            matcher = self._matchers.setdefault(skill_hash, _SkillMatcher(self.skills[skill_hash]))
        return matcher.match(text)
