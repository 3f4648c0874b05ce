"""Differential test of "exact or absent": simulated consistent models against the real pipeline.

Hypothesis draws a model (which tools it calls, how it quotes, what it answers), the phrasing of
its task and the shape of its file names (blanks, quotes, unicode, words inside other words,
numbers), and the perturbations to try. Each scenario runs through ``skvm_shim.patch`` with a
fresh store: four sessions in one phrasing (learn, then three shadow predictions: promotion), two
control sessions in the same phrasing with new parameters, then sessions whose task says the
same in other words (plural, synonyms, another sentence order, an extra sentence, the other
language, another way of quoting the file name). Every step the shim answers must be the step
the model writes for that task; anything else is a counterexample. When the names are plain,
the second control session must be replayed whole, so the suite also fails if replay stops
working.

The budget is fixed (``SKVM_JIT_DIFF_EXAMPLES``, default 30 scenarios) so it fits in CI; the
number of scenarios run is printed in pytest's summary. Counterexamples hypothesis found are
kept below as explicit examples.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openai
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import skvm_shim
from skvm_shim.testing.upstream import ScriptedUpstream
from tests.jit import simulated
from tests.jit.simulated import (
    EXTRAS,
    PERTURBATIONS,
    STATS,
    Model,
    Params,
    Phrasing,
    perturb,
    run_session,
)

SKILL_DIR = Path(__file__).resolve().parent / "skills" / "csv-lines"
SYSTEM = (
    "You are an agent. Use this skill when it applies.\n\n<skill>\n"
    + (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    + "\n</skill>"
)
BUDGET = int(os.environ.get("SKVM_JIT_DIFF_EXAMPLES", "30"))
TRAINING = (1, 2, 3, 4)
CONTROL = (7, 10)
_PLAIN = re.compile(r"[A-Za-z_]*")
_PLAIN_WORD = re.compile(r"[a-z]{5,12}")


@dataclass(frozen=True)
class Scenario:
    model: Model
    base: Phrasing
    prefix: str
    suffix: str
    n: int
    n_varies: bool
    words: tuple[str, ...]
    tests: tuple[tuple[str, str, int], ...]
    """(perturbation, extra sentence, session index) of each perturbed session."""

    def params(self, i: int) -> Params:
        return Params(
            file=f"{self.prefix}{i}{self.suffix}",
            n=self.n + (i if self.n_varies else 0),
            word=self.words[i % len(self.words)],
        )

    @property
    def plain(self) -> bool:
        """Names, words and phrasing the shim must be able to replay in the learned phrasing.

        Not necessarily in the first control session: where the task varies in a part the
        first template (learned from one trace) took for fixed text (a word the model ignores,
        a short word it does not guess), that template predicts nothing in the next session
        and promotion comes one session later. By the second control session it must replay.
        Plain words are lowercase ASCII of five letters or more: shorter ones are not guessed
        from one trace, and words of several classes (``2``, ``ª``, ``sales``) widen the slot's
        class as traces come, each time a session later.
        """
        return (
            _PLAIN.fullmatch(self.prefix) is not None
            and self.suffix == ".csv"
            and self.base.extra is None
            and all(_PLAIN_WORD.fullmatch(w) for w in self.words)
        )


_NAME_CHARS = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\x00\n\r"
)
PREFIXES = st.one_of(
    st.sampled_from(
        [
            "data_",
            "q",
            "report-",
            "",
            "north region ",
            "it's ",
            'say "hi" ',
            "données_",
            "中文 ",
            "lines_",
            "skill ",
            "a`b ",
            "of ",
            "-x",
        ]
    ),
    st.text(_NAME_CHARS, max_size=6),
)
SUFFIXES = st.sampled_from([".csv", ".txt", "", " final.csv", ".csv.bak", "_lines.csv", "."])
WORDS = st.one_of(
    st.sampled_from(["sales", "line", "lines", "skill", "csv", "the", "of", "über", "Zeilen"]),
    st.text(st.characters(categories=("L", "Nd")), min_size=1, max_size=6),
)
MODELS = st.builds(
    Model,
    steps=st.lists(st.sampled_from(["count", "head", "grep", "read"]), min_size=1, max_size=3).map(
        tuple
    ),
    quoting=st.sampled_from(["double", "single", "shlex"]),
    answer=st.sampled_from(["count", "grep", "fixed", "name"]),
)
PHRASINGS = st.builds(
    Phrasing,
    lang=st.sampled_from(["en", "de"]),
    order=st.permutations([0, 1, 2]).map(tuple),
    synonyms=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    plural=st.booleans(),
    mention=st.sampled_from(["bare", "backquote", "double"]),
    extra=st.one_of(st.none(), st.none(), st.sampled_from(EXTRAS)),
    extra_first=st.booleans(),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    word_list = st.lists(WORDS, min_size=4, max_size=4, unique=True).map(tuple)
    words = draw(st.one_of(WORDS.map(lambda w: (w,)), word_list))
    tests = draw(
        st.lists(
            st.tuples(
                st.sampled_from(PERTURBATIONS),
                st.sampled_from(EXTRAS),
                st.sampled_from([1, 8, 9]),
            ),
            min_size=2,
            max_size=4,
        ).map(tuple)
    )
    return Scenario(
        model=draw(MODELS),
        base=draw(PHRASINGS),
        prefix=draw(PREFIXES),
        suffix=draw(SUFFIXES),
        n=draw(st.integers(1, 30)),
        n_varies=draw(st.booleans()),
        words=words,
        tests=tests,
    )


def check(scenario: Scenario, upstream: ScriptedUpstream) -> None:
    """Run one scenario; fail on any replayed step the model would not have written."""
    STATS.scenarios += 1
    with tempfile.TemporaryDirectory(prefix="skvm-diff-") as home:
        skvm_shim.patch(skills=[SKILL_DIR], home=Path(home), jit="on")
        try:
            client = openai.OpenAI(
                base_url=upstream.openai_base_url, api_key="sk-test", max_retries=0
            )

            def session(phrasing: Phrasing, i: int) -> simulated.Session:
                params = scenario.params(i)
                done = run_session(
                    client,
                    upstream,
                    system=SYSTEM,
                    model=scenario.model,
                    params=params,
                    task=phrasing.task(params),
                )
                assert done.mismatch is None, f"{done.mismatch}\ntask: {done.task!r}"
                return done

            for i in TRAINING:
                session(scenario.base, i)
            for i in CONTROL:
                control = session(scenario.base, i)
                STATS.replayed += len(control.replayed)
            if scenario.plain:
                everything = list(range(len(scenario.model.steps) + 1))
                assert control.replayed == everything, (
                    f"a plain task in the learned phrasing was not replayed whole: "
                    f"{control.replayed} of {everything}\ntask: {control.task!r}"
                )
            for how, extra, i in scenario.tests:
                phrasing = perturb(scenario.base, how, extra)
                done = session(phrasing, i)
                STATS.replayed += len(done.replayed)
                STATS.replayed_perturbed += len(done.replayed)
                STATS.absent_perturbed += len(scenario.model.steps) + 1 - len(done.replayed)
        finally:
            skvm_shim.unpatch()


# Counterexamples hypothesis found, kept as regressions.
SKILLS = Scenario(
    # The csv-lines `wc -ls` bug (found again by this test on the code before the fix): the `-l` of
    # `wc -l` was bound to the end of "skill", and "skills" replayed `wc -ls data_1.csv`.
    model=Model(steps=("count",), quoting="double", answer="count"),
    base=Phrasing(),
    prefix="data_",
    suffix=".csv",
    n=1,
    n_varies=False,
    words=("sales",),
    tests=(("plural", "Thanks!", 1),),
)
NORTH_REGION = Scenario(
    # A name with blanks between plain words, then the same name in backquotes: the value took
    # the backquotes in (`wc -l '`north region 1.csv`'`). Blanks now bind only between quotes.
    model=Model(steps=("count",), quoting="double", answer="count"),
    base=Phrasing(),
    prefix="north region ",
    suffix=".csv",
    n=1,
    n_varies=False,
    words=("sales",),
    tests=(("plural", "Thanks!", 1), ("mention", "Thanks!", 1)),
)
SHARED_PREFIX = Scenario(
    # Unused words "lines" then "linen": the text that varied was cut after "line", so "skill"
    # did not match and promotion came late. What varies is cut at word boundaries now.
    model=Model(steps=("count",)),
    base=Phrasing(),
    prefix="data_",
    suffix=".csv",
    n=1,
    n_varies=False,
    words=("sales", "lines", "linen", "skill"),
    tests=(("plural", "Thanks!", 1),),
)
ADJACENT = Scenario(
    # `grep -c WORD FILE` with both varying: two adjacent varying words were one region that
    # could not be bound, so nothing replayed. They are one slot each now.
    model=Model(steps=("grep",), quoting="double", answer="count"),
    base=Phrasing(lang="de", order=(1, 0, 2), synonyms=(False, True, True)),
    prefix="data_",
    suffix=".csv",
    n=1,
    n_varies=False,
    words=("sales", "lines", "linen", "skill"),
    tests=(("extra-first", "Danke!", 9), ("synonyms", "Use the csv-lines skill on {word}.", 9)),
)


@settings(
    max_examples=BUDGET,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
@example(scenario=SKILLS)
@example(scenario=NORTH_REGION)
@example(scenario=SHARED_PREFIX)
@example(scenario=ADJACENT)
def test_every_replayed_step_is_the_models_step(
    scenario: Scenario, scripted_upstream_server: ScriptedUpstream
) -> None:
    check(scenario, scripted_upstream_server)
