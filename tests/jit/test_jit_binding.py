"""Binding rules: whole tokens only, constants stay constant, the task guard,
witnesses, and the streak kept when a relearned template predicts the same."""

from __future__ import annotations

import json

from skvm_shim.jit import guard
from skvm_shim.jit.extract import is_whole, learn_extractor
from skvm_shim.jit.instantiate import Binder, predict_final, predict_step, same_predictions
from skvm_shim.jit.learn import learn
from skvm_shim.jit.records import TemplateRecord, TemplateSpec, Trace
from skvm_shim.jit.state import on_relearn
from tests.jit.tracekit import bash, trace, view


def count_trace(n: int, word: str = "skill", session: str = "s") -> Trace:
    file = f"data_{n}.csv"
    return trace(
        f"Use the csv-lines {word} to count the lines of {file}",
        [([bash(f"wc -l {file}")], [f"{n + 2} {file}\n"])],
        f"{file} has {n + 2} lines.",
        session,
    )


def command(spec: TemplateSpec, task: str, step: int = 0, steps: list = []) -> str | None:  # noqa: B006
    predicted = predict_step(spec, step, Binder(spec, view(task, steps)), "generic")
    if predicted is None:
        return None
    [call] = predicted
    return str(json.loads(call.arguments)["command"])


# -- whole tokens -------------------------------------------------------------------------------


def test_a_value_is_never_part_of_a_word() -> None:
    text = "Use the csv-lines skill to count"
    assert not is_whole(text, text.index("skill") + 4, text.index("skill") + 5)  # the last l
    assert not is_whole(text, text.index("-lines"), text.index("-lines") + 2)  # -l of csv-lines
    assert is_whole(text, text.index("skill"), text.index("skill") + 5)
    assert is_whole("of data.csv.", 3, 11), "trailing punctuation ends a token"
    assert not is_whole("of data.csv.bak", 3, 11)
    assert learn_extractor(["l"], [text], "identifier", source="task") is None
    assert learn_extractor(["-l"], [text], "path", source="task") is None


def test_the_issue_scenario_keeps_the_flag_constant() -> None:
    """Six sessions promoted ``wc -{{s0}} {{s1}}`` with s0 from 'skil' + <identifier>."""
    traces = [count_trace(n, session=str(n)) for n in range(1, 7)]
    for k in range(1, 7):
        spec = learn(traces[:k], "generic")
        [call] = spec.steps[0].calls
        assert [h.slot for h in call.holes] == ["s0"]
        assert spec.slot("s0") is not None
        assert command(spec, "Use the csv-lines skill to count the lines of data_9.csv") == (
            "wc -l data_9.csv"
        )
        assert command(spec, "Use the csv-lines skills to count the lines of data_7.csv") in (
            None,
            "wc -l data_7.csv",
        )


def test_the_context_starts_at_a_word_boundary() -> None:
    ex = learn_extractor(["a.csv"], ["Open file a.csv now"], "path", source="task")
    assert ex is not None
    assert ex.apply("Open file b.csv now") == "b.csv"
    assert ex.apply("Open profile b.csv now") is None


def test_blanks_only_between_quotes() -> None:
    bare = ["Use the skill on north region 1.csv.", "Use the skill on north region 2.csv."]
    values = ["north region 1.csv", "north region 2.csv"]
    assert learn_extractor(values, bare, "string", source="task") is None
    quoted = [f"Use the skill on `{v}`." for v in values]
    ex = learn_extractor(values, quoted, "string", source="task")
    assert ex is not None
    assert ex.apply("Use the skill on `south région 9.csv`.") == "south région 9.csv"
    # A value learned without blanks never takes them in a new task.
    plain = learn_extractor(
        ["it's1.csv", "it's2.csv"],
        ["Use the skill on it's1.csv.", "Use the skill on it's2.csv."],
        "string",
        source="task",
    )
    assert plain is not None
    assert plain.apply("Use the skill on it's9.csv.") == "it's9.csv"
    assert plain.apply("Use the skill on the file it's9.csv.") is None


def test_quotes_around_a_value_are_not_taken_into_it() -> None:
    tasks = ["Use the skill on it's1.csv.", "Use the skill on it's2.csv."]
    ex = learn_extractor(["it's1.csv", "it's2.csv"], tasks, "string", source="task")
    assert ex is not None
    assert ex.apply("Use the skill on `it's9.csv`.") is None
    assert ex.apply('Use the skill on "it\'s9.csv".') is None


# -- constants ----------------------------------------------------------------------------------


def grep_trace(n: int) -> Trace:
    file = f"data_{n}.csv"
    return trace(
        f"Count the sales rows of {file} with the csv-lines skill.",
        [([bash(f"grep -c sales {file}")], [f"{n}\n"])],
        f"{file} has {n} sales rows.",
        str(n),
    )


def test_a_constant_found_in_the_task_stays_constant() -> None:
    one = learn([grep_trace(1)], "generic")
    [call] = one.steps[0].calls
    assert len(call.holes) == 2, "from one trace, 'sales' is guessed from the task"
    two = learn([grep_trace(1), grep_trace(2)], "generic")
    [call] = two.steps[0].calls
    assert [h.slot for h in call.holes] == ["s0"], "the same in both traces: constant"
    assert command(two, "Count the sales rows of x.csv with the csv-lines skill.") == (
        "grep -c sales x.csv"
    )
    # The constant's word is fixed text of the task guard: another word is another task.
    assert command(two, "Count the error rows of x.csv with the csv-lines skill.") is None


def test_a_constant_found_in_a_result_of_every_trace_is_bound() -> None:
    def t(name: str) -> Trace:
        return trace(
            f"Summarise `{name}`.",
            [([bash(f"wc -l < '{name}'")], ["12\n"])],
            f"{name} has 12 lines.",
        )

    spec = learn([t("a b.csv"), t("c.csv")], "generic")
    steps = [([bash("wc -l < 'z.csv'")], ["7\n"])]
    assert predict_final(spec, Binder(spec, view("Summarise `z.csv`.", steps))) == (
        "z.csv has 7 lines."
    )


# -- witnesses -----------------------------------------------------------------------------------


def test_a_value_found_in_the_task_and_a_result_must_agree() -> None:
    """The task's number and the tool's count were equal in every trace: which one the model
    copies is unknown, so a session where they differ gets no answer."""

    def t(n: int) -> Trace:
        return trace(
            f"Check that data_{n}.csv has {n} lines.",
            [([bash(f"wc -l < data_{n}.csv")], [f"{n}\n"])],
            f"It has {n} lines.",
            str(n),
        )

    spec = learn([t(3), t(5), t(8)], "generic")
    task = "Check that data_9.csv has 9 lines."
    agree = [([bash("wc -l < data_9.csv")], ["9\n"])]
    differ = [([bash("wc -l < data_9.csv")], ["4\n"])]
    assert predict_final(spec, Binder(spec, view(task, agree))) == "It has 9 lines."
    assert predict_final(spec, Binder(spec, view(task, differ))) is None


# -- the task guard ------------------------------------------------------------------------------


def test_the_guard_takes_only_the_learned_phrasing() -> None:
    spec = learn([count_trace(n, session=str(n)) for n in (1, 2, 3)], "generic")
    assert guard.describe(spec.task) == "Use the csv-lines skill to count the lines of {{s0}}"
    same = "Use the csv-lines skill to count the lines of data_9.csv"
    assert command(spec, same) == "wc -l data_9.csv"
    for other in (
        "Use the csv-lines skill to count the number of lines of data_9.csv",
        "Count the lines of data_9.csv. Use the csv-lines skill",
        "Use the csv-lines skill to count the lines of data_9.csv. Thanks!",
        "Nutze den csv-lines Skill, um die Zeilen von data_9.csv zu zählen",
    ):
        assert command(spec, other) is None, other


def test_text_that_varied_between_traces_may_vary() -> None:
    def t(n: int, who: str) -> Trace:
        return trace(
            f"Count the lines of data_{n}.csv for {who}, please.",
            [([bash(f"wc -l data_{n}.csv")], [f"{n} data_{n}.csv\n"])],
            "done",
            str(n),
        )

    spec = learn([t(1, "Alice"), t(2, "Bob")], "generic")
    assert command(spec, "Count the lines of data_3.csv for Carol, please.") == "wc -l data_3.csv"
    assert command(spec, "Count the lines of data_3.csv for Carol.") is None


def test_adjacent_varying_words_are_separate_slots() -> None:
    def t(n: int, word: str) -> Trace:
        return trace(
            f"Count rows of data_{n}.csv that mention {word}.",
            [([bash(f"grep -c {word} data_{n}.csv")], ["1\n"])],
            "done",
            str(n),
        )

    spec = learn([t(1, "sales"), t(2, "errors")], "generic")
    assert command(spec, "Count rows of data_7.csv that mention refunds.") == (
        "grep -c refunds data_7.csv"
    )


# -- the streak ----------------------------------------------------------------------------------


def test_relearning_keeps_the_streak_only_when_predictions_agree() -> None:
    traces = [grep_trace(1), grep_trace(2)]
    old, new = learn(traces[:1], "generic"), learn(traces, "generic")
    assert not new.same_prediction(old)
    assert same_predictions(old, new, traces, "generic")
    record = TemplateRecord(id="t", skills=[], harness="generic", tool_schema="x", spec=old)
    record.streak = 2
    event = on_relearn(record, new, session="s2", agrees=True)
    assert record.streak == 2
    assert event is not None
    assert "same predictions" in event.detail

    other = learn([count_trace(1)], "generic")
    assert not same_predictions(old, other, traces, "generic")
    on_relearn(record, other, session="s3", agrees=False)
    assert record.streak == 0
