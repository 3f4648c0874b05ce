"""Skill texts for runtime tests: our own, generated, never from the corpus."""

from __future__ import annotations

import random

CSV_STATS = """---
name: csv-stats
description: Summarise a CSV file - row count, column types, and mean/min/max of numeric columns.
---

# CSV statistics

Produce a short statistical profile of a CSV file and write it to `stats.json`.

## Steps

1. Inspect the file header and the first rows to learn the delimiter and column names.
2. Load the data with pandas (`import pandas as pd; df = pd.read_csv(path)`), inferring types.
3. For every numeric column compute count, mean, min and max; count distinct values otherwise.
4. Write the result as JSON to `stats.json` with one object per column.

## Checks

- `stats.json` parses as JSON and has one entry per column.
"""

_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
    "amber",
    "basalt",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "glacier",
    "harbor",
    "isotope",
    "jasper",
    "kelp",
    "lagoon",
    "meadow",
    "nectar",
    "orchid",
]


def make_skill(name: str, *, lines: int = 30, seed: int = 0) -> str:
    """A SKILL.md whose body lines are distinctive to ``name``."""
    rng = random.Random(f"{name}-{seed}")
    body = [f"# {name.replace('-', ' ').title()}", ""]
    for i in range(lines):
        words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14)))
        body.append(f"{i + 1}. For {name}, {words}.")
    return (
        f"---\nname: {name}\ndescription: Handle {name} tasks with care and precision.\n---\n\n"
        + "\n".join(body)
        + "\n"
    )


def filler(chars: int, *, seed: int = 1) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < chars:
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 16)))
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)[:chars]
