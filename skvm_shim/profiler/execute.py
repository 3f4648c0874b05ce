"""One instance, start to finish: a fresh work directory, the loopback server if the probe
needs one, the harness run, the check, and a verdict."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from skvm_shim.profiler.harness import HarnessRun, ProbeHarness
from skvm_shim.profiler.probe import Attempt, Check, InfraError, Probe
from skvm_shim.profiler.webserver import ProbeServer

log = logging.getLogger("skvm_shim.profiler")

Verdict = Literal["passed", "failed", "skipped"]


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    verdict: Verdict
    detail: str
    """Why it failed or was skipped (SkVM's ``failureDetails`` line); ``tainted: ...`` marks a
    run that carries no evidence (the harness ran out of time)."""
    checks: list[Check] = field(default_factory=list)
    run: HarnessRun | None = None


def missing_requirements(requires: tuple[str, ...]) -> list[str]:
    missing = []
    for need in requires:
        if need.startswith("python:"):
            if importlib.util.find_spec(need.removeprefix("python:")) is None:
                missing.append(need)
        elif shutil.which(need) is None:
            missing.append(need)
    return missing


def run_probe(
    probe: Probe,
    harness: ProbeHarness,
    *,
    timeout: float,
    before_run: Callable[[Probe], None] | None = None,
) -> ProbeOutcome:
    """Run and check one instance. ``before_run`` sees the probe with its server address
    filled in (tests script their upstream from its answers)."""
    missing = missing_requirements(probe.requires)
    if missing:
        return ProbeOutcome("skipped", f"not available on this machine: {', '.join(missing)}")
    with tempfile.TemporaryDirectory(prefix="skvm-probe-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        for name, content in probe.files.items():
            path = workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
        with _served(probe) as live:
            if before_run is not None:
                before_run(live)
            run = harness.attempt(live.prompt, workdir, timeout=timeout)
        if run.outcome == "infra":
            return ProbeOutcome("skipped", f"infra: {run.error or run.status}", run=run)
        try:
            checks = live.grade(Attempt(workdir, run.answer))
        except InfraError as exc:
            return ProbeOutcome("skipped", f"infra: {exc}", run=run)
        except Exception as exc:  # a check that crashes says nothing about the model
            log.exception("check crashed")
            return ProbeOutcome("skipped", f"check error: {type(exc).__name__}: {exc}", run=run)
    passed = bool(checks) and all(c.ok for c in checks)
    summary = f"{run.steps} steps, {run.tool_calls} tool calls, {run.status}" + (
        f": {run.error[:160]}" if run.error else ""
    )
    if run.outcome == "timeout":
        return ProbeOutcome(
            "failed", f"tainted: timed out after {timeout:.0f}s | {summary}", checks, run
        )
    if passed:
        return ProbeOutcome("passed", summary, checks, run)
    failed = "; ".join(c.render() for c in checks if not c.ok)
    return ProbeOutcome("failed", f"{failed} | {summary}", checks, run)


@contextlib.contextmanager
def _served(probe: Probe) -> Iterator[Probe]:
    if not probe.routes:
        yield probe
        return
    with ProbeServer(probe.routes) as server:
        yield probe.with_base_url(server.base_url)
