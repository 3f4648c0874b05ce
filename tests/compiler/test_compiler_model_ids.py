from __future__ import annotations

import pytest

from compiler import ModelAliases, model_key


@pytest.mark.parametrize(
    "spelling",
    [
        "qwen3.5-35b-a3b",
        "qwen/qwen3.5-35b-a3b",
        "openrouter/qwen/qwen3.5-35b-a3b",
        "openrouter:qwen/qwen3.5-35b-a3b",
        "qwen/qwen3.5-35b-a3b:free",
        "openrouter--qwen--qwen3.5-35b-a3b",
        "  Qwen/Qwen3.5-35B-A3B ",
    ],
)
def test_spellings_of_one_model_share_a_key(spelling: str) -> None:
    assert model_key(spelling) == model_key("openrouter/qwen/qwen3.5-35b-a3b")


def test_anthropic_api_ids_match_profile_spellings() -> None:
    assert model_key("claude-opus-4-6") == model_key("openrouter/anthropic/claude-opus-4.6")
    assert model_key("claude-haiku-4-5-20251001") == model_key("anthropic/claude-haiku-4.5")
    assert model_key("gpt-4o-2024-08-06") == model_key("openai/gpt-4o")


def test_different_models_stay_different() -> None:
    assert model_key("qwen3.5-9b") != model_key("qwen3.5-35b-a3b")
    assert model_key("gpt-4.1") != model_key("gpt-4.1-mini")
    # an ollama size tag is part of the model, a provider prefix is not
    assert model_key("qwen3:30b") == model_key("ollama:qwen3:30b")
    assert model_key("qwen3:30b") != model_key("qwen3:8b")


def test_aliases_apply_before_normalisation_and_chain() -> None:
    aliases = ModelAliases({"fast": "cheap", "cheap": "openrouter/qwen/qwen3.5-9b"})
    assert aliases.resolve("fast") == model_key("qwen3.5-9b")
    assert aliases.resolve("unrelated/model-x") == model_key("model-x")


def test_alias_cycles_terminate() -> None:
    aliases = ModelAliases({"a": "b", "b": "a"})
    assert aliases.resolve("a") in {"a", "b"}
