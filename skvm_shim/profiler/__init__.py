"""The capability profiler: measure a (model, harness) pair on the 26 primitives, three levels
each, and write its Target Capability Profile in SkVM-data's format.

One generator per primitive and level makes seeded instances (a prompt, setup files, a check);
a harness runs them (``bare-agent`` in process, or ``pi`` through the proxy); every result is
appended to a raw JSONL file that doubles as the checkpoint; the profile is assembled from that
file with the compiler's monotone rule (``isotonic-0.75``). ``skvm-shim profile`` is the command;
docs/profiler.md explains the design.
"""

from __future__ import annotations

from skvm_shim.profiler.assemble import build_profile, decide_levels
from skvm_shim.profiler.execute import ProbeOutcome, run_probe
from skvm_shim.profiler.generators import CATALOGUE, generator, primitives, select
from skvm_shim.profiler.harness import BareAgentHarness, HarnessRun, ProbeHarness
from skvm_shim.profiler.probe import Answer, Attempt, Check, Generator, InfraError, Probe
from skvm_shim.profiler.results import Header, InstanceRecord, RawResults, RunSettings
from skvm_shim.profiler.runner import RunReport, SettingsMismatch, run_profile

__all__ = [
    "CATALOGUE",
    "Answer",
    "Attempt",
    "BareAgentHarness",
    "Check",
    "Generator",
    "HarnessRun",
    "Header",
    "InfraError",
    "InstanceRecord",
    "Probe",
    "ProbeHarness",
    "ProbeOutcome",
    "RawResults",
    "RunReport",
    "RunSettings",
    "SettingsMismatch",
    "build_profile",
    "decide_levels",
    "generator",
    "primitives",
    "run_probe",
    "run_profile",
    "select",
]
