"""Model id normalisation, so a request's model finds the profile measured under another spelling.

``qwen3.5-35b-a3b``, ``qwen/qwen3.5-35b-a3b``, ``openrouter/qwen/qwen3.5-35b-a3b``,
``openrouter:qwen/qwen3.5-35b-a3b``, ``qwen/qwen3.5-35b-a3b:free`` and the profile folder spelling
``openrouter--qwen--qwen3.5-35b-a3b`` all normalise to the same key. The key is the model's own
name (the last path segment) with routing prefixes, OpenRouter variant suffixes, date stamps and
``-latest`` removed, lower-cased, and dots between digits spelled as dashes (Anthropic's API says
``claude-opus-4-6`` where the profiles say ``claude-opus-4.6``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# OpenRouter routing variants: the same weights behind a different route.
_VARIANT_SUFFIXES = frozenset(
    {"free", "beta", "thinking", "nitro", "floor", "online", "extended", "exacto"}
)
_DATE_SUFFIX = re.compile(r"-(?:\d{8}|\d{4}-\d{2}-\d{2})$")
# Prefixes that name a route or an SDK provider, not a model (``ollama:qwen3:30b``).
_PROVIDERS = frozenset(
    {
        "openrouter",
        "openai",
        "anthropic",
        "azure",
        "bedrock",
        "vertex",
        "vertex_ai",
        "google",
        "gemini",
        "ollama",
        "together",
        "together_ai",
        "fireworks",
        "fireworks_ai",
        "groq",
        "deepinfra",
        "litellm",
        "mistral",
        "deepseek",
        "xai",
        "cohere",
        "perplexity",
        "lmstudio",
    }
)
_DIGIT_DOT = re.compile(r"(?<=\d)\.(?=\d)")


def model_key(model: str) -> str:
    """The normalised key under which profiles are matched."""
    text = model.strip().lower().replace("--", "/")
    # "provider:vendor/model" and "provider:model" prefixes.
    head, sep, rest = text.partition(":")
    if sep and "/" not in head and rest and ("/" in rest or head in _PROVIDERS):
        text = f"{head}/{rest}"
    name = text.rstrip("/").rsplit("/", 1)[-1]
    base, sep, suffix = name.rpartition(":")
    if sep and suffix in _VARIANT_SUFFIXES:
        name = base
    if name.endswith("-latest"):
        name = name[: -len("-latest")]
    name = _DATE_SUFFIX.sub("", name)
    return _DIGIT_DOT.sub("-", name)


class ModelAliases:
    """User-defined aliases applied before normalisation (``"fast" -> "qwen/qwen3.5-9b"``)."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self._aliases = {model_key(k): v for k, v in (aliases or {}).items()}

    def resolve(self, model: str) -> str:
        """The key of ``model`` after following aliases (a chain is followed, cycles stop)."""
        key = model_key(model)
        seen: set[str] = set()
        while key in self._aliases and key not in seen:
            seen.add(key)
            key = model_key(self._aliases[key])
        return key
