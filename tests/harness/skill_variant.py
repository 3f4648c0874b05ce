"""The project skill the harness runs install, and the variant the store serves for it.

The variant keeps the frontmatter (so catalogues still list the skill) and replaces the body with
a short one carrying ``VARIANT_MARK``; ``original_only_line`` picks a line of the original body
the variant lacks, so a test can show the original text never reached the upstream.
"""

from __future__ import annotations

from pathlib import Path

from skvm_shim.skills.model import Skill, normalize_text, split_variant

ROOT = Path(__file__).resolve().parents[2]
SKILL_SOURCE = ROOT / "examples" / "skills" / "csv-stats"
VARIANT_MARK = "SKVM-HARNESS-VARIANT-7c1d"
ANSWER = "SKVM-HARNESS-ANSWER: data.csv has 2 rows; population has the largest mean."


def source_skill() -> Skill:
    return Skill.parse((SKILL_SOURCE / "SKILL.md").read_text(encoding="utf-8"))


def variant_for(skill: Skill) -> str:
    return (
        f"{skill.frontmatter}\n\n# {skill.name} (compiled)\n\n"
        f"{VARIANT_MARK}: follow these steps exactly.\n\n"
        "1. Run the bundled script on the file the user names.\n"
        "2. Report what it prints in one sentence.\n"
    )


def variant_body(skill: Skill) -> str:
    return split_variant(variant_for(skill))[1]


def variant_file(skill: Skill) -> str:
    return normalize_text(variant_for(skill))


def original_only_line(skill: Skill) -> str:
    """The longest line of the original body that the variant does not contain."""
    variant = variant_for(skill)
    lines = [line.strip() for line in skill.body.splitlines() if line.strip() not in variant]
    return max(lines, key=len)
