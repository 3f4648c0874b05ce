"""Rule-based SCR extraction: hits grouped into purposes, one requirement per primitive.

A purpose is a level-1/2 section of SKILL.md (its heading is the description); hits before the
first heading belong to the purpose ``skill``. A requirement's level is the highest level any of
its hits demands; its evidence is those hits, strongest first (at most ``MAX_EVIDENCE``).
Alternative paths come from ``compiler.alternatives``.
"""

from __future__ import annotations

import re
from typing import Protocol

from compiler.alternatives import alternatives_for
from compiler.levels import Level
from compiler.markdown import Document
from compiler.scr import SCR, Evidence, Purpose, Requirement, Span
from compiler.scr_rules import RULES, Hit, Rule, run_rules
from compiler.skill import SkillSource

MAX_EVIDENCE = 4
_QUOTE_CHARS = 240


class ScrExtractor(Protocol):
    """Skill -> SCR. The rule-based and the LLM-backed extractors both implement it."""

    name: str

    def extract(self, skill: SkillSource) -> SCR: ...


def slug(text: str) -> str:
    s = re.sub(r"[`*_\[\]()]", "", text.lower())
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:60] or "section"


def quote_lines(doc: Document, start: int, end: int) -> str:
    lines = doc.lines[start : end + 1]
    text = "\n".join(lines).strip()
    return text if len(text) <= _QUOTE_CHARS else text[: _QUOTE_CHARS - 1] + "…"


def evidence_of(doc: Document, hit: Hit) -> Evidence:
    span = Span(
        start_line=hit.start + 1, end_line=hit.end + 1, quote=quote_lines(doc, hit.start, hit.end)
    )
    return Evidence(span=span, rule=hit.rule, level=hit.level, note=hit.note, detail=hit.detail)


class RuleScrExtractor:
    name = "rules"

    def __init__(self, rules: tuple[Rule, ...] = RULES) -> None:
        self.rules = rules

    def extract(self, skill: SkillSource) -> SCR:
        return scr_from_hits(skill, run_rules(skill, self.rules))

    def extract_with_hits(self, skill: SkillSource) -> tuple[SCR, list[Hit]]:
        """The SCR and the rule hits it came from (the explicit path reads them per step)."""
        hits = run_rules(skill, self.rules)
        return scr_from_hits(skill, hits), hits


def scr_from_hits(skill: SkillSource, hits: list[Hit]) -> SCR:
    doc = skill.document
    groups: dict[int, list[Hit]] = {}
    for hit in hits:
        heading = doc.purpose_heading(hit.start)
        groups.setdefault(heading.line if heading is not None else -1, []).append(hit)
    purposes: list[Purpose] = []
    used_ids: set[str] = set()
    for key in sorted(groups):
        heading = next((h for h in doc.headings if h.line == key), None)
        description = heading.text if heading else (skill.description or skill.name)
        pid = slug(heading.text) if heading else "skill"
        base, n = pid, 2
        while pid in used_ids:
            pid, n = f"{base}-{n}", n + 1
        used_ids.add(pid)
        by_primitive: dict[str, list[Hit]] = {}
        for hit in groups[key]:
            by_primitive.setdefault(hit.primitive, []).append(hit)
        requirements = []
        for primitive in sorted(by_primitive):
            ranked = sorted(by_primitive[primitive], key=lambda h: (-h.level, h.start, h.rule))
            level = Level(ranked[0].level)
            evidence = tuple(evidence_of(doc, h) for h in _distinct(ranked)[:MAX_EVIDENCE])
            requirements.append(
                Requirement(primitive=primitive, min_level=level, evidence=evidence)
            )
        purposes.append(
            Purpose(
                id=pid,
                description=description,
                requirements=tuple(requirements),
                alternatives=tuple(alternatives_for(requirements)),
            )
        )
    return SCR(skill_name=skill.name, purposes=tuple(purposes), extractor="rules")


def _distinct(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[int, int]] = set()
    out = []
    for h in hits:
        if (h.start, h.end) in seen:
            continue
        seen.add((h.start, h.end))
        out.append(h)
    return out
