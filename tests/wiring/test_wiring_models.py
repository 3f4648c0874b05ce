"""One model-id normalisation for compile and serve, with the user's aliases from the store."""

from __future__ import annotations

import pytest

from compiler.model_ids import model_key
from skvm_shim.models import (
    UNKNOWN,
    ModelKeys,
    add_alias,
    load_aliases,
    normalize_model,
    remove_alias,
)
from skvm_shim.store import Store


@pytest.mark.parametrize(
    "spelling",
    [
        "qwen3.5-35b-a3b",
        "qwen/qwen3.5-35b-a3b",
        "openrouter/qwen/qwen3.5-35b-a3b",
        "openrouter:qwen/qwen3.5-35b-a3b",
        "qwen/qwen3.5-35b-a3b:free",
        "openrouter--qwen--qwen3.5-35b-a3b",
        "Qwen3.5-35B-A3B",
    ],
)
def test_runtime_keys_every_spelling_like_the_compiler(spelling: str) -> None:
    assert normalize_model(spelling) == model_key("openrouter/qwen/qwen3.5-35b-a3b")
    assert normalize_model(spelling) == "qwen3-5-35b-a3b"


def test_empty_model_is_unknown() -> None:
    assert normalize_model(None) == UNKNOWN
    assert normalize_model("  ") == UNKNOWN


def test_aliases_apply_before_normalisation(store: Store) -> None:
    add_alias(store, "fast", "qwen/qwen3.5-9b")
    aliases = load_aliases(store)
    assert aliases == {"fast": "qwen/qwen3.5-9b"}
    assert normalize_model("fast", aliases) == "qwen3-5-9b"
    assert normalize_model("FAST", aliases) == "qwen3-5-9b"
    assert normalize_model("fast") == "fast"  # without the aliases: its own key


def test_alias_cycles_and_no_ops_are_refused(store: Store) -> None:
    add_alias(store, "a-model", "b-model")
    with pytest.raises(ValueError, match="cycle"):
        add_alias(store, "b-model", "a-model")
    with pytest.raises(ValueError, match="same key"):
        add_alias(store, "qwen/qwen3.5-9b", "openrouter/qwen/qwen3.5-9b")
    assert load_aliases(store) == {"a-model": "b-model"}
    assert remove_alias(store, "A-Model")
    assert load_aliases(store) == {}


def test_model_keys_pick_up_a_new_alias_after_the_ttl(store: Store) -> None:
    now = [0.0]
    keys = ModelKeys(store, ttl_seconds=5.0, clock=lambda: now[0])
    assert keys.key("fast") == "fast"
    add_alias(store, "fast", "qwen/qwen3.5-9b")  # another process adds it
    now[0] = 4.0
    assert keys.key("fast") == "fast"  # memoised until the aliases are re-read
    now[0] = 5.5
    assert keys.key("fast") == "qwen3-5-9b"
    assert keys.key(None) == UNKNOWN


def test_model_keys_without_a_store() -> None:
    assert ModelKeys(None).key("openrouter/acme/small-9b") == "small-9b"
