"""Find skills in a parsed request: bodies, whole files, catalogues, structured fields.

Results are cached per text, so a message that earlier turns of a conversation already carried is
not scanned again: every harness resends the whole history on each call.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from adapters.harnesses import profiles
from adapters.ir import Path, Request, ToolResult
from skvm_shim.skills.index import LineDecoration, PartMatch, SkillIndex, stripped_lines
from skvm_shim.skills.model import Skill, SkillParseError
from skvm_shim.skills.registry import SkillRegistry

DetectionKind = Literal["file", "body", "partial", "catalogue", "structured"]

_MIN_SCAN_CHARS = 48


def _catalogue_lines() -> frozenset[str]:
    """Lines that open a skills catalogue: each harness profile's marker, plus generic headings.

    The harness profiles are the one record of how each harness lists its skills; the detector
    takes the marker's last line (the distinctive one, e.g. Claude Code's "The following skills
    are available..." after its ``<system-reminder>``).
    """
    lines = {"## Skills", "# Skills"}
    for harness in profiles():
        for catalog in harness.catalogs:
            marker = [line.strip() for line in catalog.start.splitlines() if line.strip()]
            if marker:
                lines.add(marker[-1])
    return frozenset(lines)


_CATALOGUE_LINES = _catalogue_lines()
_CATALOGUE_SUBSTRINGS = ("<available_skills>", "<skills_instructions>", "skills are available")
_SMALL_TEXT = 16_384
_CATALOGUE_WINDOW = 65_536
_ENTRY_XML = re.compile(
    r"<name>\s*([^<\s]{1,80})\s*</name>\s*<description>\s*(.{0,2048}?)\s*</description>",
    re.DOTALL,
)
_ENTRY_BULLET = re.compile(
    r"(?m)^[ \t]*[-*][ \t]+\**`?([A-Za-z0-9][\w.:-]{0,79})`?\**[ \t]*:[ \t]*(.{0,2048})$"
)
_SKILL_TAG = re.compile(r"<skill>(.*?)</skill>", re.DOTALL)
_NUMBERED_LINE = re.compile(r"(?m)^[ ]*\d+(?:\t|\u2192|: |\|)")
_TRUNCATION_HINTS = ("truncat", "more lines", "[showing", "lines omitted")


@dataclass(frozen=True, slots=True)
class Detection:
    """One skill found in one place of a request."""

    skill_hash: str
    skill_name: str | None
    kind: DetectionKind
    message_index: int = -1
    role: str = ""
    path: Path = ()
    start: int = 0
    end: int = 0
    normalized: bool = False
    decoration: LineDecoration | None = None
    in_tool_result: bool = False

    @property
    def rewritable(self) -> bool:
        """True when the whole skill text sits in one part and can be replaced exactly."""
        return self.kind in ("file", "body")


@dataclass(frozen=True, slots=True)
class _TextResult:
    index_version: int
    matches: tuple[PartMatch, ...]
    catalogue: tuple[str, ...]


class Detector:
    """Scans requests for registered skills; registers SKILL.md files it sees in traffic."""

    def __init__(
        self,
        registry: SkillRegistry,
        *,
        on_new_skill: Callable[[Skill], None] | None = None,
        cache_chars: int = 64_000_000,
    ) -> None:
        self.registry = registry
        self._on_new_skill = on_new_skill
        self._cache: OrderedDict[str, _TextResult] = OrderedDict()
        self._cache_chars = 0
        self._cache_limit = cache_chars
        self._lock = threading.Lock()

    def scan(self, request: Request) -> list[Detection]:
        """Every skill in ``request``.

        A skill first seen in this request (a SKILL.md in a tool result) is registered during the
        scan; the request is then scanned once more, so that catalogues earlier in the same
        request are reported too.
        """
        version = self.registry.index.version
        found = self._scan_once(request)
        if self.registry.index.version != version:
            found = self._scan_once(request)
        return found

    def _scan_once(self, request: Request) -> list[Detection]:
        found: list[Detection] = []
        for i, message in enumerate(request.messages):
            for part in message.parts:
                in_result = isinstance(part, ToolResult)
                texts = part.content if isinstance(part, ToolResult) else (part,)
                for text_part in texts:
                    if not hasattr(text_part, "text"):
                        continue
                    text = text_part.text
                    if len(text) < _MIN_SCAN_CHARS:
                        continue
                    result = self._scan_text(text)
                    index = self.registry.index
                    for m in result.matches:
                        skill = index.skills.get(m.skill_hash) or self.registry.get(m.skill_hash)
                        found.append(
                            Detection(
                                skill_hash=m.skill_hash,
                                skill_name=skill.name if skill else None,
                                kind=m.kind,
                                message_index=i,
                                role=message.role,
                                path=text_part.path,
                                start=m.start,
                                end=m.end,
                                normalized=m.normalized,
                                decoration=m.decoration,
                                in_tool_result=in_result,
                            )
                        )
                    for skill_hash in result.catalogue:
                        skill = self.registry.get(skill_hash)
                        found.append(
                            Detection(
                                skill_hash=skill_hash,
                                skill_name=skill.name if skill else None,
                                kind="catalogue",
                                message_index=i,
                                role=message.role,
                                path=text_part.path,
                                in_tool_result=in_result,
                            )
                        )
        for s in request.structured_skills:
            ident = s.skill_id or s.name or "?"
            found.append(
                Detection(
                    skill_hash=f"{s.source}:{ident}",
                    skill_name=s.name or s.skill_id,
                    kind="structured",
                    path=s.path,
                )
            )
        return found

    def _scan_text(self, text: str) -> _TextResult:
        index = self.registry.index
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None and cached.index_version == index.version:
                self._cache.move_to_end(text)
                return cached
        lines = stripped_lines(text)
        if self._register_from_traffic(text, lines):
            index = self.registry.index
        matches = tuple(index.match(h, text) for h in index.candidates(text, lines))
        whole = {m.skill_hash for m in matches}
        catalogue = tuple(h for h in _catalogue_hits(text, lines, index) if h not in whole)
        result = _TextResult(index.version, matches, catalogue)
        with self._lock:
            if text not in self._cache:
                self._cache_chars += len(text)
            self._cache[text] = result
            while self._cache_chars > self._cache_limit and self._cache:
                old, _ = self._cache.popitem(last=False)
                self._cache_chars -= len(old)
        return result

    def _register_from_traffic(self, text: str, lines: frozenset[str]) -> bool:
        added = False
        for candidate in _skill_file_candidates(text, lines):
            try:
                skill = Skill.parse(candidate, source="traffic")
            except SkillParseError:
                continue
            if self.registry.add(skill):
                added = True
                if self._on_new_skill is not None:
                    self._on_new_skill(skill)
        return added


def _skill_file_candidates(text: str, lines: frozenset[str]) -> list[str]:
    """Texts that look like a whole SKILL.md file: a `<skill>` block or a read of the file."""
    out: list[str] = []
    if "<skill>" in lines or (len(text) < _SMALL_TEXT and "<skill>" in text):
        for m in _SKILL_TAG.finditer(text):
            inner = m.group(1)
            start = inner.find("---")
            if start >= 0:
                out.append(inner[start:])
    head = text.lstrip()[:24]
    if head.startswith("---"):
        out.append(text)
    elif _NUMBERED_LINE.match(head) and "---" in head:
        out.append(_NUMBERED_LINE.sub("", text))
    tail = text[-200:].lower()
    return [c for c in out if "name:" in c[:2000] and not any(h in tail for h in _TRUNCATION_HINTS)]


def _catalogue_hits(text: str, lines: frozenset[str], index: SkillIndex) -> list[str]:
    """Registered skills listed (name + description) in a skills catalogue inside ``text``.

    The catalogue is found by its opening line (free: the line set is already built); small
    texts, such as a reminder block, are also searched for the markers as substrings.
    """
    if not index.by_name:
        return []
    markers = lines & _CATALOGUE_LINES
    if markers:
        pos = min(text.find(m) for m in markers)
    elif len(text) < _SMALL_TEXT:
        found = [p for p in (text.find(m) for m in _CATALOGUE_SUBSTRINGS) if p >= 0]
        if not found:
            return []
        pos = min(found)
    else:
        return []
    region = text[pos : pos + _CATALOGUE_WINDOW]
    hits: set[str] = set()
    for pattern in (_ENTRY_XML, _ENTRY_BULLET):
        for name, description in pattern.findall(region):
            listed = " ".join(description.split())
            for skill in index.by_name.get(name, ()):
                probe = " ".join(skill.description.split()[:8])
                if listed.startswith(probe) or (probe and probe in listed):
                    hits.add(skill.hash)
    return sorted(hits)
