"""Learning templates: alignment, slot typing, binding (extractors), truncation, instantiation."""

from __future__ import annotations

import json
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.jit.extract import learn_extractor
from skvm_shim.jit.instantiate import Binder, history_matches, predict_final, predict_step
from skvm_shim.jit.learn import learn
from skvm_shim.jit.records import TemplateSpec
from skvm_shim.jit.trace import view_of
from tests.jit.tracekit import bash, request, trace, view


def profile_trace(name: str, rows: int, session: str = "s") -> object:
    quoted = '"' + name + '"'
    return trace(
        f"Profile the file `{name}` please.",
        [
            ([bash(f"head -n 3 {quoted}")], ["a,b\n1,2\n"]),
            ([bash(f"python3 profile.py {quoted} --out stats.json")], [f"rows: {rows}\n"]),
        ],
        f"Profiled {name}: {rows} rows.",
        session,
    )


def command(spec: TemplateSpec, step: int, task: str, steps: list = []) -> str | None:  # noqa: B006
    predicted = predict_step(spec, step, Binder(spec, view(task, steps)), "generic")
    if predicted is None:
        return None
    [call] = predicted
    return str(json.loads(call.arguments)["command"])


# -- extractors ---------------------------------------------------------------------------------


def test_extractor_from_the_word_before() -> None:
    ex = learn_extractor(["data1.csv"], ["Please profile data1.csv now."], "path", source="task")
    assert ex is not None
    assert ex.apply("Please profile sales.csv now.") == "sales.csv"
    assert ex.apply("Please profile sales.csv.") == "sales.csv"
    assert ex.apply("Please summarise sales.csv.") is None


def test_extractor_delimited_for_values_with_blanks() -> None:
    ex = learn_extractor(
        ["q1 sales.csv", "north region.csv"],
        ["Profile `q1 sales.csv` now.", "Profile `north region.csv` now."],
        "string",
        source="task",
    )
    assert ex is not None
    assert ex.after == "literal"
    assert ex.apply("Profile `it's $(id).csv` now.") == "it's $(id).csv"


def test_extractor_must_hold_in_every_trace() -> None:
    assert (
        learn_extractor(
            ["a.csv", "b.csv"], ["profile a.csv", "summarise b.csv"], "path", source="task"
        )
        is None
    )


def test_extractor_anchored_at_a_result_line() -> None:
    ex = learn_extractor(["17"], ["17\n"], "number", source="result", step=1, call=0)
    assert ex is not None
    assert ex.apply("123\n") == "123"
    assert ex.apply("no number") is None


@given(
    st.lists(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}\.(csv|txt)", fullmatch=True),
        min_size=3,
        max_size=3,
        unique=True,
    )
)
def test_extractor_generalises_to_a_new_task(names: list[str]) -> None:
    tasks = [f"Profile {n} and report." for n in names]
    ex = learn_extractor(names[:2], tasks[:2], "path", source="task")
    assert ex is not None
    assert ex.apply(tasks[2]) == names[2]


# -- one trace ----------------------------------------------------------------------------------


def test_one_trace_slots_what_the_task_holds() -> None:
    spec = learn([profile_trace("q1 sales.csv", 11)], "generic")
    assert spec.stopped == ""
    assert [s.cls for s in spec.slots] == ["string", "number"]
    assert spec.slots[1].extractor.source == "result"
    assert command(spec, 0, "Profile the file `q9 x.csv` please.") == "head -n 3 'q9 x.csv'"
    assert command(spec, 0, "Summarise something else.") is None


def test_one_trace_keeps_the_rest_constant() -> None:
    spec = learn([profile_trace("data1.csv", 11)], "generic")
    assert (
        command(
            spec,
            1,
            "Profile the file `other.csv` please.",
            [([bash("head -n 3 other.csv")], ["x"])],
        )
        == "python3 profile.py other.csv --out stats.json"
    )


# -- several traces -----------------------------------------------------------------------------


def test_alignment_turns_differing_tokens_into_typed_slots() -> None:
    spec = learn([profile_trace("q1 sales.csv", 11), profile_trace("north.csv", 230)], "generic")
    [name, rows] = spec.slots
    assert (name.cls, rows.cls) == ("string", "number")
    assert sorted(name.examples) == ["north.csv", "q1 sales.csv"]
    assert spec.final is not None
    assert spec.final.determined
    steps = [
        ([bash("head -n 3 'z z.csv'")], ["a"]),
        ([bash("python3 profile.py 'z z.csv' --out stats.json")], ["rows: 5\n"]),
    ]
    final = predict_final(spec, Binder(spec, view("Profile the file `z z.csv` please.", steps)))
    assert final == "Profiled z z.csv: 5 rows."


def test_slot_ids_stay_the_same_as_traces_accumulate() -> None:
    traces = [
        profile_trace(n, r, str(i))
        for i, (n, r) in enumerate([("a b.csv", 10), ("c.csv", 20), ("d e.csv", 30)])
    ]
    specs = [learn(traces[: i + 1], "generic") for i in range(3)]
    assert specs[0].same_prediction(specs[1])
    assert specs[1].same_prediction(specs[2])


def test_an_unbindable_difference_ends_the_template_there() -> None:
    def t(name: str, tmp: str) -> object:
        return trace(
            f"Profile `{name}`.",
            [
                ([bash(f"cp '{name}' /tmp/{tmp}")], [""]),
                ([bash(f"wc -l /tmp/{tmp}")], ["3"]),
            ],
            "done",
        )

    spec = learn([t("a.csv", "tmp.x81Kq"), t("b.csv", "tmp.Zq02p")], "generic")
    assert len(spec.steps) == 0
    assert spec.stopped.startswith("step 0")
    assert spec.final is None


def test_a_value_from_an_earlier_result_binds() -> None:
    def t(found: str) -> object:
        return trace(
            "Show the newest log file.",
            [
                ([bash("ls -t logs | head -n 1")], [f"{found}\n"]),
                ([bash(f"tail logs/{found}")], ["..."]),
            ],
            "ok",
        )

    spec = learn([t("app-2024-01-02.log"), t("app-2024-03-09.log")], "generic")
    assert len(spec.steps) == 2
    [slot] = spec.slots
    assert slot.extractor.source == "result"
    steps = [([bash("ls -t logs | head -n 1")], ["app-2025-12-31.log\n"])]
    assert command(spec, 1, "Show the newest log file.", steps) == "tail logs/app-2025-12-31.log"


def test_part_of_a_command_word_binds_to_a_whole_word_of_the_task() -> None:
    def t(city: str) -> object:
        return trace(
            f"What is the weather in {city}?",
            [([bash(f"curl -s 'wttr.in/{city}?format=3'")], ["sunny"])],
            "sunny",
        )

    spec = learn([t("Paris"), t("Oslo")], "generic")
    assert command(spec, 0, "What is the weather in Lima?") == "curl -s 'wttr.in/Lima?format=3'"
    # The constant text around it stays, and the value is checked against its class.
    assert command(spec, 0, "What is the weather in $(id)?") is None
    # A city of several words is not the one token the traces had there: the model would not
    # write 'wttr.in/Rio', so nothing is predicted (exact or absent).
    assert command(spec, 0, "What is the weather in Rio de Janeiro?") is None


def test_json_numbers_and_python_string_literals() -> None:
    def t(name: str, n: int) -> object:
        code = f"import pandas as pd\nprint(pd.read_csv('{name}').head({n}))\n"
        return trace(
            f"Show {n} rows of {name}.",
            [([("python", {"code": code, "timeout": n * 10})], ["..."])],
            "ok",
        )

    spec = learn([t("a.csv", 3), t("b.csv", 5)], "generic")
    roles = sorted(h.role for h in spec.steps[0].calls[0].holes)
    assert roles == ["json_number", "py_number", "py_string"]
    predicted = predict_step(spec, 0, Binder(spec, view("Show 7 rows of c.csv.")), "generic")
    assert predicted is not None
    args = json.loads(predicted[0].arguments)
    assert args["timeout"] == 70  # "30"/"50": the varying digit is the task's number
    assert "pd.read_csv('c.csv').head(7)" in args["code"]
    # A value that would need escaping in the Python literal is refused, not escaped.
    assert predict_step(spec, 0, Binder(spec, view("Show 7 rows of it's.csv.")), "generic") is None


def test_history_must_match_before_the_next_step_applies() -> None:
    spec = learn([profile_trace("a b.csv", 1), profile_trace("c.csv", 2)], "generic")
    task = "Profile the file `x.csv` please."
    good = view_of(request(task, [([bash("head -n 3 x.csv")], ["a"])]))
    bad = view_of(request(task, [([bash("head -n 4 x.csv")], ["a"])]))
    assert history_matches(spec, good, Binder(spec, good), "generic")
    assert not history_matches(spec, bad, Binder(spec, bad), "generic")


@pytest.mark.parametrize(
    "name",
    ["; rm -rf ~", "$(rm -rf ~)", "x`id`.csv", "a\nb.csv", 'it\'s "q".csv', "données.csv"],
)
def test_hostile_names_are_quoted_or_refused(name: str) -> None:
    spec = learn([profile_trace("q1 sales.csv", 1), profile_trace("north.csv", 2)], "generic")
    task = f"Profile the file `{name}` please."
    got = command(spec, 0, task)
    if "`" in name or "\n" in name:
        # The extractor cannot find the whole value (it stops at the backquote / line end),
        # or the value is outside the learned class: the model answers instead.
        assert got is None or shlex.split(got)[-1] != name
        return
    assert got is not None
    assert shlex.split(got) == ["head", "-n", "3", name]


def test_a_heredoc_delimiter_value_cannot_end_the_document_early() -> None:
    def t(name: str) -> object:
        cmd = f"python3 - <<'EOF'\nprint(open('{name}').read())\nEOF"
        return trace(f"Print {name}.", [([bash(cmd)], ["..."])], "ok")

    spec = learn([t("a.txt"), t("b.txt")], "generic")
    assert command(spec, 0, "Print c.txt.") is not None
    assert command(spec, 0, "Print EOF.") is not None  # inside the line, not a line of its own


def test_a_value_that_would_end_a_here_document_is_refused() -> None:
    def t(name: str) -> object:
        return trace(f"Print {name}.", [([bash(f"cat <<'EOF'\n{name}\nEOF")], ["..."])], "ok")

    spec = learn([t("a.txt"), t("b.txt")], "generic")
    assert command(spec, 0, "Print c.txt.") == "cat <<'EOF'\nc.txt\nEOF"
    assert command(spec, 0, "Print EOF.") is None


NAMES = st.text(
    st.characters(blacklist_characters="\x00`\n\r", blacklist_categories=("Cs",)), min_size=1
)


@given(NAMES)
def test_no_task_value_can_change_a_command_s_words(name: str) -> None:
    spec = learn([profile_trace("q1 sales.csv", 1), profile_trace("north.csv", 2)], "generic")
    got = command(spec, 0, f"Profile the file `{name}` please.")
    if got is not None:
        words = shlex.split(got)
        assert words[:3] == ["head", "-n", "3"]
        assert len(words) == 4
        assert words[3] == name.strip() or words[3] in name
