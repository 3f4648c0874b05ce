"""End to end in patch mode: real SDK clients, the scripted upstream as a consistent model.

After one learning session and three exact shadow predictions the template is promoted; the next
session's steps never reach the upstream (its request log proves it), the harness gets responses
of the same types as from the model, and runs commands that carry the new file name quoted. A
failing replayed command falls back to the model; a second one demotes the template.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest

import skvm_shim
from skvm_shim.jit.replayer import ATTR_REPLAYED, ATTR_TEMPLATE, ATTR_TOKENS_SAVED
from skvm_shim.shim import Shim
from skvm_shim.testing.script import Turn
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.jit.agent import Endpoint
from tests.jit.conftest import JitSpans, templates
from tests.jit.scenario import (
    HOSTILE,
    LEARN_NAMES,
    SKILL_DIR,
    Outcome,
    Runner,
    events_named,
    model_turns,
)

CASES = [
    ("chat", False),
    ("chat", True),
    ("responses", False),
    ("responses", True),
    ("messages", False),
    ("messages", True),
]


def make_client(endpoint: Endpoint, upstream: ScriptedUpstream) -> Any:
    if endpoint == "messages":
        import anthropic

        return anthropic.Anthropic(base_url=upstream.base_url, api_key="sk-test", max_retries=0)
    import openai

    return openai.OpenAI(base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0)


def run_scenario(runner: Runner, store: Any, spans: JitSpans, cwd: Path) -> None:
    """The whole scenario; shared with the proxy-mode test."""
    learned: list[Outcome] = []
    for name in LEARN_NAMES:
        outcome = runner.session(name, script=model_turns(name, 12))
        assert outcome.requests == 3, "every step of a learning session goes to the model"
        assert outcome.log.answer == f"The file {name} has 12 lines."
        learned.append(outcome)
    [record] = templates(store)
    assert record.state == "promoted", record.events
    assert (record.hits, record.misses, record.streak) == (3, 0, 3)
    assert [e.kind for e in record.events] == ["learned", "promoted"]

    # Promoted: the whole session is replayed, including the final answer.
    replayed = runner.session(HOSTILE, lines=7, script=[])
    assert replayed.requests == 0, "no step of a replayed session may reach the upstream"
    quoted = shlex.quote(HOSTILE)
    assert [e.command for e in replayed.log.executed] == [
        f"head -n 2 {quoted}",
        f"wc -l < {quoted}",
    ]
    assert shlex.split(replayed.log.executed[0].command)[-1] == HOSTILE
    assert not any(e.failed for e in replayed.log.executed)
    assert f"row 0 of {HOSTILE}" in replayed.log.executed[0].output
    assert replayed.log.answer == f"The file {HOSTILE} has 7 lines."
    assert not (cwd / "PWNED1").exists()
    assert not (cwd / "PWNED2").exists()
    assert set(replayed.log.response_types) == set(learned[0].log.response_types)
    jit_spans = [s for s in spans.llm() if (s.attributes or {}).get(ATTR_REPLAYED)]
    assert len(jit_spans) == 3
    for span in jit_spans:
        attributes = span.attributes or {}
        assert attributes[ATTR_TEMPLATE] == record.id
        assert attributes["skvm.synthetic"] is True
        tokens = attributes[ATTR_TOKENS_SAVED]
        assert isinstance(tokens, int)
        assert tokens > 0
    assert events_named(spans.llm(), "skvm.jit.promoted")

    # A replayed command fails: the model takes over with the real output, once.
    failed = runner.session(
        "missing one.csv",
        create=False,
        script=[Turn(text="The file missing one.csv does not exist.")],
    )
    assert failed.requests == 1
    assert failed.log.executed[0].failed
    assert failed.log.answer == "The file missing one.csv does not exist."
    [record] = templates(store)
    assert (record.state, record.failures, record.replay_failures) == ("promoted", 1, 1)

    # A second consecutive failure demotes the template.
    failed = runner.session(
        "missing two.csv",
        create=False,
        script=[Turn(text="The file missing two.csv does not exist.")],
    )
    assert failed.requests == 1
    [record] = templates(store)
    assert record.state == "shadow"
    assert record.demotions == 1
    assert events_named(spans.llm(), "skvm.jit.demoted")

    # Demoted: the model answers every step again.
    again = runner.session("q9 sales.csv", script=model_turns("q9 sales.csv", 5))
    assert again.requests == 3
    assert again.log.answer == "The file q9 sales.csv has 5 lines."


@pytest.mark.parametrize(
    ("endpoint", "stream"), CASES, ids=[f"{e}-{'stream' if s else 'json'}" for e, s in CASES]
)
def test_patch_mode_learns_promotes_replays_and_demotes(
    endpoint: Endpoint,
    stream: bool,
    upstream: ScriptedUpstream,
    tmp_path: Path,
    work_dir: Path,
    jit_spans: JitSpans,
) -> None:
    shim: Shim = skvm_shim.patch(
        skills=[SKILL_DIR], home=tmp_path / "home", tracer_provider=jit_spans.provider, jit="on"
    )
    try:
        assert shim.store is not None
        runner = Runner(
            make_client=lambda: make_client(endpoint, upstream),
            upstream=upstream,
            endpoint=endpoint,
            stream=stream,
            cwd=work_dir,
        )
        run_scenario(runner, shim.store, jit_spans, work_dir)
    finally:
        skvm_shim.unpatch()
