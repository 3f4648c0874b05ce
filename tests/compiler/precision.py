"""Precision and recall of the rule-based SCR extraction (pass 1) and of pass 2's dependency
extraction, against the labelled passages in ``fixtures/precision/passages.yaml``.

    python -m tests.compiler.precision [--split all|dev|holdout] [--json]

prints the tables docs/compiler-precision.md shows. Counting:

- **SCR, per primitive**: a (passage, primitive) pair is a true positive when the SCR has a
  requirement for the primitive and the label lists it, a false positive when only the SCR has
  it, a false negative when only the label has it. Levels are compared on true positives only
  (exact / higher / lower than the label).
- **SCR, per rule**: each (passage, rule, primitive) triple a rule produced counts once, true when
  the label lists the primitive. A rule's recall is the share of labelled pairs it found.
- **Dependencies**: (passage, dependency key) pairs, ``kind:name`` as pass 2 reports them; per
  source (``how``: python-import, shell-command, ...), each (passage, source, key) once.

The split is by a hash of the passage id, so nobody picks which passages are held out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from compiler import parse_skill
from compiler.deps import extract_dependencies
from compiler.levels import Level
from compiler.primitives import PRIMITIVE_IDS
from compiler.scr_extract import scr_from_hits
from compiler.scr_rules import run_rules

PASSAGES = Path(__file__).parent / "fixtures" / "precision" / "passages.yaml"
Split = Literal["all", "dev", "holdout"]


class Passage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    text: str
    bundle: dict[str, str] = Field(default_factory=dict)
    needs: dict[str, Level] = Field(default_factory=dict)
    deps: tuple[str, ...] = ()

    @field_validator("needs", mode="before")
    @classmethod
    def _levels(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("needs must map primitive ids to levels")
        unknown = sorted(k for k in value if k not in PRIMITIVE_IDS)
        if unknown:
            raise ValueError(f"unknown primitive ids: {unknown}")
        return {k: Level.parse(v) for k, v in value.items()}

    @field_validator("deps")
    @classmethod
    def _dep_keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [d for d in value if d.split(":", 1)[0] not in ("python", "binary", "npm")]
        if bad:
            raise ValueError(f"dependency keys must be python:, binary: or npm:, got {bad}")
        return value

    @property
    def split(self) -> Literal["dev", "holdout"]:
        return split_of(self.id)

    def skill_md(self) -> str:
        if self.text.startswith("---"):
            return self.text
        return f"---\nname: {self.id}\ndescription: labelled passage {self.id}\n---\n\n{self.text}"


def split_of(passage_id: str) -> Literal["dev", "holdout"]:
    """One passage in three is held out, chosen by the id's hash."""
    digest = hashlib.sha256(passage_id.encode()).hexdigest()
    return "holdout" if int(digest[:8], 16) % 3 == 0 else "dev"


def load_passages(path: Path = PASSAGES) -> list[Passage]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    passages = [Passage.model_validate(p) for p in data["passages"]]
    ids = [p.id for p in passages]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: duplicate passage ids")
    return passages


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


@dataclass
class Mistake:
    passage: str
    what: str  # "fp" or "fn"
    item: str  # primitive or dependency key
    by: str = ""  # the rules/sources that produced it (false positives)


@dataclass
class Score:
    passages: int = 0
    scr: Counts = field(default_factory=Counts)
    per_primitive: dict[str, Counts] = field(default_factory=dict)
    per_rule: dict[str, Counts] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=lambda: {"exact": 0, "higher": 0, "lower": 0})
    deps: Counts = field(default_factory=Counts)
    per_source: dict[str, Counts] = field(default_factory=dict)
    mistakes: list[Mistake] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "passages": self.passages,
            "scr": self.scr.to_dict(),
            "levels": dict(self.levels),
            "per_primitive": {k: v.to_dict() for k, v in sorted(self.per_primitive.items())},
            "per_rule": {k: v.to_dict() for k, v in sorted(self.per_rule.items())},
            "deps": self.deps.to_dict(),
            "per_source": {k: v.to_dict() for k, v in sorted(self.per_source.items())},
        }


def rule_group(rule: str) -> str:
    """Rules generated from one table row per library read as one rule."""
    return "library.*" if rule.startswith("library.") else rule


def score(passages: Iterable[Passage]) -> Score:
    out = Score()
    fired_by_passage: list[tuple[set[tuple[str, str]], Passage]] = []
    for p in passages:
        out.passages += 1
        skill = parse_skill(p.skill_md(), {k: v.encode() for k, v in p.bundle.items()})
        hits = run_rules(skill)
        scr = scr_from_hits(skill, hits)
        found: dict[str, Level] = {}
        for _, req in scr.requirements():
            found[req.primitive] = max(found.get(req.primitive, Level.L0), req.min_level)
        by_primitive: dict[str, set[str]] = {}
        for h in hits:
            by_primitive.setdefault(h.primitive, set()).add(rule_group(h.rule))
        for prim in set(found) | set(p.needs):
            c = out.per_primitive.setdefault(prim, Counts())
            if prim in found and prim in p.needs:
                out.scr.tp += 1
                c.tp += 1
                want, got = p.needs[prim], found[prim]
                out.levels["exact" if got == want else "higher" if got > want else "lower"] += 1
            elif prim in found:
                out.scr.fp += 1
                c.fp += 1
                rules = ", ".join(sorted(by_primitive.get(prim, ())))
                out.mistakes.append(Mistake(p.id, "fp", prim, rules))
            else:
                out.scr.fn += 1
                c.fn += 1
                out.mistakes.append(Mistake(p.id, "fn", prim))
        fired_by_passage.append(({(rule_group(h.rule), h.primitive) for h in hits}, p))

        manifest = extract_dependencies(skill)
        got_deps = {d.key for d in manifest.dependencies}
        want_deps = set(p.deps)
        out.deps.tp += len(got_deps & want_deps)
        out.deps.fp += len(got_deps - want_deps)
        out.deps.fn += len(want_deps - got_deps)
        for key in sorted(got_deps - want_deps):
            dep = next(d for d in manifest.dependencies if d.key == key)
            how = ", ".join(sorted({s.how for s in dep.sources}))
            out.mistakes.append(Mistake(p.id, "fp", key, how))
        for key in sorted(want_deps - got_deps):
            out.mistakes.append(Mistake(p.id, "fn", key))
        for dep in manifest.dependencies:
            for how in sorted({s.how for s in dep.sources}):
                c = out.per_source.setdefault(how, Counts())
                if dep.key in want_deps:
                    c.tp += 1
                else:
                    c.fp += 1
    _score_rules(out, fired_by_passage)
    return out


def _score_rules(out: Score, fired_by_passage: list[tuple[set[tuple[str, str]], Passage]]) -> None:
    """Per rule: each (passage, rule, primitive) it produced; its misses are the labelled pairs
    of a primitive it can produce (by its table, or seen anywhere in this set) that it did not."""
    can = set(_rule_primitives())
    for fired, _ in fired_by_passage:
        can |= fired
    for fired, p in fired_by_passage:
        for rule, prim in can:
            c = out.per_rule.setdefault(rule, Counts())
            if (rule, prim) in fired:
                if prim in p.needs:
                    c.tp += 1
                else:
                    c.fp += 1
            elif prim in p.needs:
                c.fn += 1


def _rule_primitives() -> set[tuple[str, str]]:
    """(rule group, primitive) pairs the table-driven rules can produce."""
    from compiler.signals import FILE_FORMATS, LIBRARIES, PATTERN_SIGNALS, SHELL_COMMANDS

    out = {(s.id, s.primitive) for s in PATTERN_SIGNALS}
    out |= {(f"format.{f.id}", f.primitive) for f in FILE_FORMATS}
    out |= {("library.*", lib.primitive) for lib in LIBRARIES}
    out |= {(f"shell.{c.word}", c.primitive) for c in SHELL_COMMANDS}
    return out


def select(passages: list[Passage], split: Split) -> list[Passage]:
    return passages if split == "all" else [p for p in passages if p.split == split]


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def render(score_by_split: Mapping[str, Score]) -> str:
    """Markdown tables: overall, per primitive, per rule, per dependency source."""
    lines = [
        "| split | passages | SCR precision | SCR recall | levels exact/higher/lower | "
        "deps precision | deps recall |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, s in score_by_split.items():
        lv = s.levels
        lines.append(
            f"| {name} | {s.passages} | {_pct(s.scr.precision)} | {_pct(s.scr.recall)} | "
            f"{lv['exact']}/{lv['higher']}/{lv['lower']} | {_pct(s.deps.precision)} | "
            f"{_pct(s.deps.recall)} |"
        )
    s = score_by_split.get("all") or next(iter(score_by_split.values()))
    lines += ["", "| primitive | TP | FP | FN | precision | recall |", "|---|---|---|---|---|---|"]
    for prim, c in sorted(s.per_primitive.items()):
        lines.append(
            f"| {prim} | {c.tp} | {c.fp} | {c.fn} | {_pct(c.precision)} | {_pct(c.recall)} |"
        )
    lines += ["", "| rule | TP | FP | FN | precision | recall |", "|---|---|---|---|---|---|"]
    for rule, c in sorted(s.per_rule.items()):
        lines.append(
            f"| `{rule}` | {c.tp} | {c.fp} | {c.fn} | {_pct(c.precision)} | {_pct(c.recall)} |"
        )
    lines += ["", "| dependency source | TP | FP | precision |", "|---|---|---|---|"]
    for how, c in sorted(s.per_source.items()):
        lines.append(f"| {how} | {c.tp} | {c.fp} | {_pct(c.precision)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("all", "dev", "holdout"), default=None)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    parser.add_argument("--mistakes", action="store_true", help="list every FP and FN")
    args = parser.parse_args(argv)
    passages = load_passages()
    splits: list[Split] = [args.split] if args.split else ["all", "dev", "holdout"]
    scores: dict[str, Score] = {name: score(select(passages, name)) for name in splits}
    if args.json:
        print(json.dumps({k: v.to_dict() for k, v in scores.items()}, indent=2))
    else:
        print(render(scores))
    if args.mistakes:
        for m in scores[splits[0]].mistakes:
            print(f"{m.what} {m.passage}: {m.item}" + (f" ({m.by})" if m.by else ""))


if __name__ == "__main__":
    main()
