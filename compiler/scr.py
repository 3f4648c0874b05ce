"""Skill Capability Requirements: purposes -> primitives at a minimum level, with evidence.

Shape follows SkVM's SCR (purposes, a current path, alternative paths) with two additions: every
requirement carries evidence *spans* (file, 1-based line range, quoted text, the rule that fired)
so pass 1 can anchor its edits, and alternative paths carry the instruction that realises them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from compiler.levels import Level

LevelField = Annotated[
    Level,
    BeforeValidator(Level.parse),
    PlainSerializer(str, return_type=str),
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Span(_Frozen):
    file: str = "SKILL.md"
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    quote: str

    def contains(self, other: Span) -> bool:
        return (
            self.file == other.file
            and self.start_line <= other.start_line
            and other.end_line <= self.end_line
        )


class Evidence(_Frozen):
    span: Span
    rule: str  # the signal/rule id that fired ("llm" for the LLM extractor)
    level: LevelField
    note: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)


class Need(_Frozen):
    primitive: str
    min_level: LevelField


class Requirement(_Frozen):
    primitive: str
    min_level: LevelField
    evidence: tuple[Evidence, ...] = ()


class AlternativePath(_Frozen):
    id: str
    replaces: str  # the primitive this path avoids
    needs: tuple[Need, ...]
    note: str
    evidence: Evidence | None = None  # the span the substitution would edit


class Purpose(_Frozen):
    id: str
    description: str
    requirements: tuple[Requirement, ...]
    alternatives: tuple[AlternativePath, ...] = ()


class SCR(_Frozen):
    skill_name: str
    purposes: tuple[Purpose, ...]
    extractor: str = "rules"
    unmatched: tuple[str, ...] = ()

    def requirements(self) -> list[tuple[Purpose, Requirement]]:
        return [(p, r) for p in self.purposes for r in p.requirements]
