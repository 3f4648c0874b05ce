"""From raw per-instance results to a profile in SkVM-data's format.

A pure function of the raw results, so the levels of a committed profile can be recomputed by
anyone. The level rule is the compiler's (``isotonic-0.75``, compiler/tcp.py and
docs/compiler.md): per-level pass counts, infra-tainted runs dropped, pass rates made
non-increasing over L1..L3 by pool-adjacent-violators, a level held at a fitted rate of at least
0.75, the level being the highest held one. It is monotone by construction (a level is never
held above one that is not), and every level keeps its pass, total and skip counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from compiler import MONOTONE_RULE, TCP
from compiler.levels import Level
from compiler.primitives import PRIMITIVE_IDS
from compiler.tcp import HOLD_THRESHOLD, LevelResult, PrimitiveDetail
from skvm_shim.profiler.output import RAW_NAME
from skvm_shim.profiler.results import Header, InstanceRecord

LEVELS = (1, 2, 3)


def decide_levels(details: Iterable[PrimitiveDetail]) -> dict[str, Level | None]:
    """The compiler's rule applied to per-level counts: the level ``TCP`` itself derives.

    The details go into a TCP whose measured levels are all L3, so no measured level caps the
    rule's answer; ``None`` means no level has evidence.
    """
    details = list(details)
    probe = TCP.model_validate(
        {
            "model": "-",
            "harness": "-",
            "profiledAt": "",
            "capabilities": {d.primitive_id: "L3" for d in details},
            "details": [d.model_dump(by_alias=True, exclude_none=True) for d in details],
        }
    )
    return {d.primitive_id: probe.level(d.primitive_id) for d in details}


def build_profile(
    header: Header, records: Iterable[InstanceRecord], *, raw_name: str = RAW_NAME
) -> TCP:
    """The profile the raw results give, every primitive measured in them included.

    ``raw_name`` is the raw file's name, recorded so a reader can find the transcripts."""
    cells: dict[tuple[str, int], list[InstanceRecord]] = defaultdict(list)
    for record in records:
        cells[(record.primitive, record.level)].append(record)
    measured = [p for p in PRIMITIVE_IDS if any((p, lv) in cells for lv in LEVELS)]
    measured += sorted({p for p, _ in cells} - set(measured))
    provisional = [_detail(p, cells, held=None) for p in measured]
    levels = decide_levels(provisional)
    details = [_detail(p, cells, held=levels[p]) for p in measured]
    everything = [r for rs in cells.values() for r in rs]
    most = max((len(rs) for rs in cells.values()), default=0)
    complete = all(len(cells.get((p, lv), [])) >= most for p in PRIMITIVE_IDS for lv in LEVELS)
    settings = header.settings
    data = {
        "version": "1.0",
        "model": settings.model,
        "harness": settings.harness,
        "profiledAt": max((r.finished_at for r in everything), default=header.started_at),
        "capabilities": {p: str(levels[p] or Level.L0) for p in measured},
        "details": [d.model_dump(by_alias=True, exclude_none=True) for d in details],
        "cost": {
            "totalUsd": 0.0,
            "totalTokens": {
                "input": sum(r.tokens.input for r in everything),
                "output": sum(r.tokens.output for r in everything),
                "cacheRead": sum(r.tokens.cache_read for r in everything),
                "cacheWrite": sum(r.tokens.cache_write for r in everything),
            },
            "durationMs": round(sum(r.duration_ms for r in everything), 1),
        },
        "isPartial": not complete,
        "profiler": {
            "levelRule": MONOTONE_RULE,
            "holdThreshold": HOLD_THRESHOLD,
            "unmeasured": sorted(p for p, lv in levels.items() if lv is None),
            "seed": settings.seed,
            "instancesPerLevel": most,
            "maxSteps": settings.max_steps,
            "timeoutS": settings.timeout_s,
            "temperature": settings.temperature,
            "maxTokens": settings.max_tokens,
            "api": settings.api,
            "endpoint": header.endpoint,
            "llmCalls": sum(r.llm_calls for r in everything),
            "instances": len(everything),
            "skipped": sum(r.verdict == "skipped" for r in everything),
            "shimVersion": header.shim_version,
            "rawResults": raw_name,
        },
    }
    return TCP.model_validate(data)


def _detail(
    primitive: str, cells: dict[tuple[str, int], list[InstanceRecord]], *, held: Level | None
) -> PrimitiveDetail:
    results = []
    for lv in LEVELS:
        rs = sorted(cells.get((primitive, lv), []), key=lambda r: r.instance)
        if not rs:
            continue
        results.append(
            LevelResult.model_validate(
                {
                    "level": f"L{lv}",
                    "passed": held is not None and lv <= held,
                    "passCount": sum(r.verdict == "passed" for r in rs),
                    "totalCount": len(rs),
                    "skipCount": sum(r.verdict == "skipped" for r in rs),
                    "durationMs": round(sum(r.duration_ms for r in rs), 1),
                    "costUsd": 0.0,
                    "testDescription": rs[0].description,
                    # Detail first: the compiler reads a leading "tainted:" as no evidence.
                    "failureDetails": [
                        f"{r.detail} [instance {r.instance}]" for r in rs if r.verdict == "failed"
                    ],
                }
            )
        )
    return PrimitiveDetail.model_validate(
        {
            "primitiveId": primitive,
            "highestLevel": str(held or Level.L0),
            "levelResults": [r.model_dump(by_alias=True, exclude_none=True) for r in results],
        }
    )
