"""Every generator's instances: the known-good answer passes, the known-bad one fails.

Each answer is replayed as scripted tool calls and text through the real bare-agent loop
(openai SDK, scripted upstream on loopback); the check then judges the work directory and the
final text exactly as in a real profile.
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from skvm_shim.profiler.execute import missing_requirements, run_probe
from skvm_shim.profiler.generators import CATALOGUE
from skvm_shim.profiler.harness import BareAgentHarness
from skvm_shim.profiler.probe import Generator, Probe
from skvm_shim.testing import ScriptedUpstream
from tests.profiler.scripted import turns

SEEDS = ((7, 0), (7, 1), (20260411, 2))


@pytest.fixture(scope="module")
def upstream() -> Iterator[ScriptedUpstream]:
    with ScriptedUpstream() as up:
        yield up


def _verdict(up: ScriptedUpstream, probe: Probe, which: str) -> tuple[str, str]:
    client = openai.OpenAI(base_url=up.openai_base_url, api_key="x", max_retries=0)
    harness = BareAgentHarness(client, "scripted", max_steps=20)

    def script(live: Probe) -> None:
        up.reset()
        up.script(*turns(live.good if which == "good" else live.bad))

    outcome = run_probe(probe, harness, timeout=60, before_run=script)
    return outcome.verdict, outcome.detail


@pytest.mark.parametrize("gen", CATALOGUE, ids=lambda g: g.key)
@pytest.mark.parametrize(("seed", "index"), SEEDS, ids=str)
def test_good_answer_passes_bad_answer_fails(
    upstream: ScriptedUpstream, gen: Generator, seed: int, index: int
) -> None:
    probe = gen.instance(seed, index)
    missing = missing_requirements(probe.requires)
    if missing:
        pytest.skip(f"{gen.key} needs {', '.join(missing)} on this machine")
    verdict, detail = _verdict(upstream, probe, "good")
    assert verdict == "passed", detail
    verdict, detail = _verdict(upstream, probe, "bad")
    assert verdict == "failed", detail
