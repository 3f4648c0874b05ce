"""Tokenising argument values: shell words (spans, static or not), Python, plain text."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skvm_shim.jit.shell import ShellSyntaxError, canonical_shell, tokenize_shell
from skvm_shim.jit.tokens import canonical_leaf, tokenize_leaf

NO_NUL = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


def words(src: str) -> list[tuple[str, str, str | None]]:
    return [(t.kind, t.raw, t.value) for t in tokenize_shell(src)]


def test_words_operators_and_spans() -> None:
    src = "cat 'a b.csv' | grep -v \"x y\" && wc -l < out.txt 2>&1; echo done # note"
    tokens = tokenize_shell(src)
    assert [(t.kind, t.value) for t in tokens if t.kind == "word"] == [
        ("word", "cat"),
        ("word", "a b.csv"),
        ("word", "grep"),
        ("word", "-v"),
        ("word", "x y"),
        ("word", "wc"),
        ("word", "-l"),
        ("word", "out.txt"),
        ("word", "1"),
        ("word", "echo"),
        ("word", "done"),
    ]
    assert [t.raw for t in tokens if t.kind == "op"] == ["|", "&&", "<", "2>&", ";"]
    assert tokens[-1].kind == "comment"
    for t in tokens:
        assert src[t.start : t.end] == t.raw


@pytest.mark.parametrize(
    ("word", "static"),
    [
        ("plain.csv", True),
        ("'single $(quoted)'", True),
        ('"double"', True),
        ('"$HOME/x"', False),
        ("$(ls)", False),
        ("`id`", False),
        ("${x:-y}", False),
        ("$((1+2))", False),
        ("*.csv", False),
        ("a?b", False),
        ("[ab]", False),
        ("~/data", False),
        ("x~y", True),
        ("{a,b}", False),
        ("FOO=bar", False),
        ("--out=stats.json", True),
        ("$'\\n'", False),
        ("<(ls)", False),
        ("back\\ slash", True),
        ("'it'\"'\"'s'", True),
    ],
)
def test_static_words(word: str, static: bool) -> None:
    [token] = tokenize_shell(word)
    assert token.kind == "word"
    assert (token.value is not None) is static


def test_here_document_bodies_are_tokens() -> None:
    src = "python3 - <<'EOF'\nprint('data.csv')\nEOF\necho ok"
    kinds = [t.kind for t in tokenize_shell(src)]
    assert kinds == ["word", "word", "op", "word", "newline", "heredoc", "word", "word", "word"]
    body = next(t for t in tokenize_shell(src) if t.kind == "heredoc")
    assert body.value == "print('data.csv')\n"
    assert body.heredoc_quoted


def test_substitutions_nest_with_quotes() -> None:
    src = 'echo "$(printf "%s" "a b")" next'
    assert [t.raw for t in tokenize_shell(src)] == ["echo", '"$(printf "%s" "a b")"', "next"]


@pytest.mark.parametrize("src", ["echo 'open", 'echo "open', "echo $(open", "echo `open"])
def test_unterminated_quotes_refuse(src: str) -> None:
    with pytest.raises(ShellSyntaxError):
        tokenize_shell(src)
    assert canonical_shell(src) is None


def test_canonical_form_ignores_quoting_style_but_not_operators() -> None:
    assert canonical_shell('head -n 2 "q1 sales.csv"') == canonical_shell(
        "head -n 2 'q1 sales.csv'"
    )
    assert canonical_shell("head  -n 2 q1\\ sales.csv") == canonical_shell(
        "head -n 2 'q1 sales.csv'"
    )
    assert canonical_shell("a && b") != canonical_shell("a '&&' b")
    assert canonical_shell("echo $HOME") != canonical_shell("echo '$HOME'")


@given(st.lists(NO_NUL, min_size=1, max_size=6))
def test_shlex_join_lexes_back_to_the_same_static_words(values: list[str]) -> None:
    src = shlex.join(values)
    tokens = [t for t in tokenize_shell(src) if t.kind == "word"]
    assert [t.value for t in tokens] == values
    assert [t.kind for t in tokenize_shell(src)] == ["word"] * len(values)


@given(
    st.lists(
        st.sampled_from(["a", "'b c'", '"d"', "|", "&&", ";", "$(e f)", "\\ g", ">"]), max_size=8
    )
)
def test_spans_cover_the_source(parts: list[str]) -> None:
    src = " ".join(parts)
    for t in tokenize_shell(src):
        assert src[t.start : t.end] == t.raw


def test_python_tokens_keep_string_literal_values_and_quotes() -> None:
    code = "import pandas as pd\ndf = pd.read_csv('data 1.csv')\nprint(df.shape[0], \"rows\")\n"
    tokens = tokenize_leaf("python", code)
    strings = [(t.value, t.quote) for t in tokens if t.role == "py_string"]
    assert strings == [("data 1.csv", "'"), ("rows", '"')]
    names = [t.value for t in tokens if t.role == "py_name" and t.value]
    assert "pandas" in names
    assert "import" not in names
    assert canonical_leaf("python", code) == canonical_leaf(
        "python", code.replace("\n", "   \n") + "\n\n"
    )
    assert canonical_leaf("python", code) != canonical_leaf("python", code.replace("data", "dota"))


@pytest.mark.parametrize("literal", ["f'{x}'", "b'x'", "'a\\nb'", "'''x'''"])
def test_python_literals_that_cannot_be_slots(literal: str) -> None:
    [token, *_] = tokenize_leaf("python", f"x = {literal}\n")[2:]
    assert token.role == "py_string"
    assert token.value is None


def test_broken_python_falls_back_to_text() -> None:
    tokens = tokenize_leaf("python", "def f(:\n  'open")
    assert {t.role for t in tokens} == {"text"}


def test_text_tokens_split_paths_from_trailing_punctuation() -> None:
    tokens = [t.value for t in tokenize_leaf("prose", "Wrote data1.csv, then /tmp/x.")]
    assert tokens == ["Wrote", " ", "data1.csv", ",", " ", "then", " ", "/tmp/x", "."]
