"""Running a profile: plan the instances, skip those already recorded, run the rest (K at a time),
append each result to the raw file as it finishes.

Resuming is the same call again: the raw file says what is done. Instances recorded under the
same settings for the same probe are kept, skipped ones (the endpoint was down) are retried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime

from skvm_shim import __version__
from skvm_shim.profiler.execute import ProbeOutcome, run_probe
from skvm_shim.profiler.harness import ProbeHarness
from skvm_shim.profiler.probe import Generator, Probe
from skvm_shim.profiler.results import (
    Header,
    InstanceRecord,
    RawResults,
    RunSettings,
    TokenCounts,
)

ANSWER_CHARS = 2000


class SettingsMismatch(ValueError):
    """The raw results file was written under other settings (model, harness, seed...)."""


@dataclass(frozen=True, slots=True)
class Planned:
    generator: Generator
    index: int
    probe: Probe


@dataclass
class RunReport:
    """What one invocation did (a resumed run counts only its own work)."""

    planned: int = 0
    reused: int = 0
    ran: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    records: list[InstanceRecord] = field(default_factory=list)


def plan(generators: Sequence[Generator], seed: int, instances: int) -> list[Planned]:
    return [Planned(g, i, g.instance(seed, i)) for g in generators for i in range(instances)]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_profile(
    generators: Sequence[Generator],
    harness: ProbeHarness,
    raw: RawResults,
    *,
    settings: RunSettings,
    endpoint: str,
    instances: int,
    concurrency: int = 1,
    fresh: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_record: Callable[[InstanceRecord], None] | None = None,
    stop: threading.Event | None = None,
) -> RunReport:
    """Run what is missing from ``raw``; returns what this call did.

    ``on_start(to_run, reused)`` is called once the plan is known; ``on_record`` after each
    instance is written. Setting ``stop`` (or Ctrl-C) lets running instances finish and starts
    no new ones. Raises :class:`SettingsMismatch` when ``raw`` holds another run's results and
    ``fresh`` is not set.
    """
    started = time.monotonic()
    header, existing = raw.read()
    if header is not None and not fresh and header.settings != settings:
        raise SettingsMismatch(_mismatch(header.settings, settings))
    if header is None or fresh:
        raw.start(
            Header(
                settings=settings, endpoint=endpoint, shim_version=__version__, started_at=now_iso()
            )
        )
        existing = []
    else:
        raw.repair_tail()
    done = {r.key: r.probe for r in existing if r.verdict != "skipped"}
    planned = plan(generators, settings.seed, instances)
    todo = [
        p
        for p in planned
        if done.get((p.generator.primitive, p.generator.level, p.index)) != p.probe.fingerprint()
    ]
    report = RunReport(planned=len(planned), reused=len(planned) - len(todo))
    if on_start is not None:
        on_start(len(todo), report.reused)
    stop = stop or threading.Event()

    def one(item: Planned) -> InstanceRecord:
        outcome = run_probe(item.probe, harness, timeout=settings.timeout_s)
        record = _record(item, outcome)
        raw.append([record])
        return record

    pending = list(reversed(todo))
    running: set[Future[InstanceRecord]] = set()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="probe") as pool:
        try:
            while pending or running:
                while pending and len(running) < max(1, concurrency) and not stop.is_set():
                    running.add(pool.submit(one, pending.pop()))
                if not running:
                    break
                finished, running = _wait(running)
                for future in finished:
                    record = future.result()
                    report.ran += 1
                    report.records.append(record)
                    if on_record is not None:
                        on_record(record)
        except KeyboardInterrupt:
            stop.set()
            for future in running:
                future.result()  # a running instance ends within its timeout
            report.interrupted = True
    report.interrupted = report.interrupted or bool(pending)
    report.wall_s = time.monotonic() - started
    return report


def _wait(
    running: set[Future[InstanceRecord]],
) -> tuple[set[Future[InstanceRecord]], set[Future[InstanceRecord]]]:
    finished, still = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
    return set(finished), set(still)


def _record(item: Planned, outcome: ProbeOutcome) -> InstanceRecord:
    run = outcome.run
    answer = run.answer if run else ""
    return InstanceRecord(
        primitive=item.generator.primitive,
        level=item.generator.level,
        instance=item.index,
        probe=item.probe.fingerprint(),
        description=item.generator.description,
        verdict=outcome.verdict,
        detail=outcome.detail,
        checks=[{"name": c.name, "ok": c.ok, "detail": c.detail} for c in outcome.checks],
        status=run.status if run else "not run",
        answer=answer if len(answer) <= ANSWER_CHARS else answer[:ANSWER_CHARS] + "...",
        steps=run.steps if run else 0,
        llm_calls=run.llm_calls if run else 0,
        tool_calls=run.tool_calls if run else 0,
        tokens=TokenCounts(
            input=run.usage.input_tokens,
            output=run.usage.output_tokens,
            cache_read=run.usage.cache_read_tokens,
            cache_write=run.usage.cache_write_tokens,
        )
        if run
        else TokenCounts(),
        duration_ms=round(run.duration_ms, 1) if run else 0.0,
        llm_ms=round(run.llm_ms, 1) if run else 0.0,
        finished_at=now_iso(),
        transcript=run.transcript if run and outcome.verdict != "passed" else None,
    )


def _mismatch(old: RunSettings, new: RunSettings) -> str:
    diffs = [
        f"{name}: {getattr(old, name)!r} there, {getattr(new, name)!r} now"
        for name in RunSettings.model_fields
        if getattr(old, name) != getattr(new, name)
    ]
    return "the raw results were recorded with other settings (" + "; ".join(diffs) + ")"
