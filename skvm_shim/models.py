"""Model ids as the runtime keys them (variants, compile requests)."""

from __future__ import annotations


def normalize_model(model: str | None) -> str:
    """Canonical model id: provider/router prefixes dropped, lower case.

    ``openrouter/qwen/qwen3.5-35b-a3b``, ``qwen/qwen3.5-35b-a3b`` and ``Qwen3.5-35B-A3B`` all key as
    ``qwen3.5-35b-a3b``, so a variant compiled for one spelling serves the others.
    """
    if not model:
        return "unknown"
    return model.strip().lower().rsplit("/", 1)[-1].replace("--", "/").rsplit("/", 1)[-1]
