"""Word pools the generators draw from (fixed, so a seed always gives the same instances)."""

from __future__ import annotations

import random

NOUNS = (
    "apple", "river", "candle", "garden", "window", "rocket", "pencil", "forest", "bridge",
    "castle", "engine", "planet", "violin", "harbor", "meadow", "lantern", "mirror", "tunnel",
    "falcon", "marble", "pepper", "saddle", "quartz", "walnut", "cobalt", "glacier", "orchid",
    "beacon", "canyon", "kettle",
)  # fmt: skip
NAMES = (
    "Alice", "Bruno", "Chen", "Dara", "Emil", "Farah", "Gita", "Hugo", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
)  # fmt: skip
REGIONS = ("north", "south", "east", "west", "central")
DEPARTMENTS = ("sales", "research", "support", "finance", "legal", "design")
TOPICS = (
    "urban gardening", "solar power", "deep sea exploration", "public libraries",
    "bicycle commuting", "bird migration", "volcanoes", "coral reefs", "tea cultivation",
    "railway history",
)  # fmt: skip


def pick(rng: random.Random, pool: tuple[str, ...], k: int) -> list[str]:
    """``k`` distinct items of ``pool`` in random order."""
    return rng.sample(pool, k)


def money(rng: random.Random, low: int, high: int) -> float:
    return rng.randint(low * 100, high * 100) / 100


_FILLER = (
    "method", "pattern", "result", "question", "detail", "record", "system", "effect", "change",
    "reason", "source", "measure",
)  # fmt: skip
"""Words of the filler sentences: none of them is in another pool, so filler text never
satisfies (or breaks) a check by accident."""


def filler(rng: random.Random, topic: str, n: int) -> str:
    """``n`` plain sentences about ``topic`` (for scripted answers)."""
    out = []
    for _ in range(n):
        a, b = pick(rng, _FILLER, 2)
        out.append(f"The study of {topic} often compares the {a} with the {b} in careful detail.")
    return " ".join(out)
