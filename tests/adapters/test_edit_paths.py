"""Copy-on-write edits at IR paths: exact replacement, untouched originals, shared siblings."""

from __future__ import annotations

import copy
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from adapters.edit import get_at, replace_at, replace_many
from adapters.ir import Path

BODY: dict[str, Any] = {
    "model": "m",
    "system": [{"type": "text", "text": "sys", "cache_control": {"type": "ephemeral"}}],
    "messages": [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
    ],
}


def test_get_at() -> None:
    assert get_at(BODY, ()) is BODY
    assert get_at(BODY, ("messages", 1, "content", 1, "text")) == "b"
    assert get_at(BODY, ["system", 0, "cache_control"]) == {"type": "ephemeral"}


@pytest.mark.parametrize(
    ("path", "error"),
    [
        (("nope",), KeyError),
        (("messages", 2), IndexError),
        (("messages", -1), IndexError),
        (("messages", "0"), TypeError),
        ((0,), TypeError),
        (("messages", True), TypeError),
        (("model", 0), TypeError),  # a string is not a container
        (("messages", 0, "content", 0), TypeError),
        (("messages", 0, "role", "x"), TypeError),
    ],
)
def test_missing_paths_raise(path: Path, error: type[Exception]) -> None:
    with pytest.raises(error):
        get_at(BODY, path)
    with pytest.raises(error):
        replace_at(BODY, path, "x")
    with pytest.raises(error):
        replace_many(BODY, {("system", 0, "text"): "y", path: "x"})


def test_replace_at_copies_only_the_path() -> None:
    snapshot = copy.deepcopy(BODY)
    new = replace_at(BODY, ("messages", 1, "content", 0, "text"), "A")
    assert snapshot == BODY
    assert get_at(new, ("messages", 1, "content", 0, "text")) == "A"
    assert new is not BODY
    assert new["messages"] is not BODY["messages"]
    assert new["messages"][1]["content"][0] is not BODY["messages"][1]["content"][0]
    # Everything off the path is the same object.
    assert new["system"] is BODY["system"]
    assert new["messages"][0] is BODY["messages"][0]
    assert new["messages"][1]["content"][1] is BODY["messages"][1]["content"][1]
    assert list(new) == list(BODY)  # key order (and so serialised bytes) preserved


def test_replace_at_edge_cases() -> None:
    assert replace_at(BODY, (), "whole") == "whole"
    with pytest.raises(KeyError):
        replace_at(BODY, ("messages", 0, "name"), "x")  # replaces, never inserts
    frozen = MappingProxyType({"a": [1, 2]})
    assert replace_at(frozen, ("a", 1), 3) == {"a": [1, 3]}
    assert frozen["a"] == [1, 2]


def test_replace_many_one_copy_per_container() -> None:
    snapshot = copy.deepcopy(BODY)
    edits = {
        ("messages", 1, "content", 0, "text"): "A",
        ("messages", 1, "content", 1, "text"): "B",
        ("system", 0, "text"): "S",
    }
    new = replace_many(BODY, edits)
    assert snapshot == BODY
    assert [get_at(new, p) for p in edits] == ["A", "B", "S"]
    assert new["messages"][0] is BODY["messages"][0]
    assert new["system"][0]["cache_control"] is BODY["system"][0]["cache_control"]
    assert new == replace_at(
        replace_at(replace_at(BODY, *_pair(edits, 0)), *_pair(edits, 1)), *_pair(edits, 2)
    )
    assert replace_many(BODY, {}) is BODY
    assert replace_many(BODY, {(): 1}) == 1


def _pair(edits: dict[Path, Any], i: int) -> tuple[Path, Any]:
    return list(edits.items())[i]


@pytest.mark.parametrize(
    "edits",
    [
        {("messages",): [], ("messages", 0, "content"): "x"},
        {("messages", 0, "content"): "x", ("messages", 0): {}},
        {(): {}, ("model",): "x"},
    ],
)
def test_replace_many_rejects_overlaps(edits: dict[Path, Any]) -> None:
    with pytest.raises(ValueError, match="overlap"):
        replace_many(BODY, edits)


# --- properties --------------------------------------------------------------------------------

json_doc = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def doc_and_paths(draw: st.DrawFn) -> tuple[Any, list[Path]]:
    doc = draw(json_doc.filter(lambda d: isinstance(d, (dict, list)) and bool(d)))
    paths: list[Path] = []
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        node: Any = doc
        path: Path = ()
        while isinstance(node, (dict, list)) and node:
            keys: list[Any] = list(node) if isinstance(node, dict) else list(range(len(node)))
            key = draw(st.sampled_from(keys))
            path = (*path, key)
            node = node[key]
            if not draw(st.booleans()):
                break
        paths.append(path)
    return doc, paths


def _containers(value: Any) -> list[Any]:
    out = []
    if isinstance(value, (dict, list)):
        out.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            out.extend(_containers(child))
    return out


@given(case=doc_and_paths(), value=json_doc)
def test_replace_at_properties(case: tuple[Any, list[Path]], value: Any) -> None:
    doc, paths = case
    path = paths[0]
    snapshot = copy.deepcopy(doc)
    new = replace_at(doc, path, value)
    assert doc == snapshot
    assert get_at(new, path) is value
    for depth in range(len(path)):
        prefix = path[:depth]
        old_node, new_node = get_at(doc, prefix), get_at(new, prefix)
        assert new_node is not old_node  # copied along the path
        keys = old_node if isinstance(old_node, dict) else range(len(old_node))
        for key in keys:
            if key != path[depth]:
                assert new_node[key] is old_node[key]  # shared off the path


@given(case=doc_and_paths(), values=st.lists(st.integers(), min_size=4, max_size=4))
def test_replace_many_matches_sequential_edits(
    case: tuple[Any, list[Path]], values: list[int]
) -> None:
    doc, paths = case
    unique = list(dict.fromkeys(paths))
    assume(
        not any(a != b and b[: len(a)] == a for a in unique for b in unique)  # no overlaps
    )
    edits = dict(zip(unique, values, strict=False))
    snapshot = copy.deepcopy(doc)
    new = replace_many(doc, edits)
    assert doc == snapshot
    expected = doc
    for path, v in edits.items():
        expected = replace_at(expected, path, v)
    assert new == expected
    # One copy per container on the edited paths, none elsewhere.
    old_ids = {id(c) for c in _containers(doc)}
    fresh = [c for c in _containers(new) if id(c) not in old_ids]
    prefixes = {p[:d] for p in edits for d in range(len(p))}
    assert len(fresh) == len(prefixes)
