"""Benchmark: deciding which skills a large prompt carries.

Goal: a 200 KB prompt with 100 registered skills is decided in under 1 ms; a message
already scanned in an earlier turn is not scanned again (cache hit). Run:

    python -m tests.bench.bench_detect
"""

from __future__ import annotations

from collections.abc import Iterator

from adapters.ir import Message, Request, TextPart, WireFormat
from skvm_shim.skills.detect import Detector
from skvm_shim.skills.model import Skill
from skvm_shim.skills.registry import SkillRegistry
from tests.bench.stats import median, ms, p99, sample, table
from tests.runtime.skillgen import filler, make_skill


def _request(system: str) -> Request:
    return Request(
        format=WireFormat.CHAT_COMPLETIONS,
        model="m",
        stream=False,
        messages=(
            Message("system", (TextPart(system, ("messages", 0, "content")),)),
            Message("user", (TextPart("do the task", ("messages", 1, "content")),)),
        ),
    )


def main() -> None:
    skills = [Skill.parse(make_skill(f"skill-{i}", lines=40)) for i in range(100)]
    registry = SkillRegistry(skills)
    registry.index  # noqa: B018 - build once, as the runtime does at start-up
    rows = []
    cases = {
        "200 KB, no skill": filler(200_000),
        "200 KB, one skill body": filler(100_000) + "\n" + skills[7].body + "\n" + filler(96_000),
        "200 KB, catalogue of 100": "<available_skills>\n"
        + "\n".join(
            f"<skill><name>{s.name}</name><description>{s.description}</description></skill>"
            for s in skills
        )
        + "\n</available_skills>\n"
        + filler(190_000),
    }
    for label, text in cases.items():
        counter = iter(range(10**9))

        def fresh(text: str = text, counter: Iterator[int] = counter) -> None:
            # A new string object each time and an empty cache: the first sight of this prompt.
            Detector(registry).scan(_request(text + f"\n{next(counter)}"))

        detector = Detector(registry)
        detector.scan(_request(text))

        def cached(text: str = text, detector: Detector = detector) -> None:
            detector.scan(_request(text))

        first = sample(fresh, n=200)
        again = sample(cached, n=500)
        rows.append(
            [label, len(text), ms(median(first)), ms(p99(first)), ms(median(again)), ms(p99(again))]
        )
    print(
        table(
            [
                "prompt (100 skills registered)",
                "chars",
                "first scan median ms",
                "first p99 ms",
                "rescan median ms",
                "rescan p99 ms",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
