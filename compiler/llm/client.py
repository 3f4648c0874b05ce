"""Minimal JSON-answer clients over the ``openai`` and ``anthropic`` SDKs (imported lazily).

``compiler_model`` is ``provider/model``: ``openai/gpt-4.1``, ``anthropic/claude-sonnet-4-5``.
Any OpenAI-compatible server works through ``base_url`` (``OPENAI_BASE_URL`` by default). Every
request carries ``X-Skvm-Internal: 1`` so the shim never intercepts its own compiler calls.
"""

from __future__ import annotations

import importlib
import json
from typing import Any, Protocol

from compiler.marker import INTERNAL_HEADERS


class LlmError(RuntimeError):
    """The provider could not be called (configuration, transport or API error)."""


class JsonLlm(Protocol):
    """Sends one conversation and returns the model's JSON answer as text."""

    name: str

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
    ) -> str: ...


def split_model(compiler_model: str) -> tuple[str, str]:
    provider, sep, model = compiler_model.partition("/")
    if not sep or not model or provider not in ("openai", "anthropic"):
        raise LlmError(
            f"compiler model {compiler_model!r} must be 'openai/<model>' or 'anthropic/<model>'"
        )
    return provider, model


_DROP: Any = object()


def _adaptation(exc: Exception, params: dict[str, Any]) -> dict[str, Any] | None:
    """The parameter change an "unsupported parameter" 400 asks for, if that is what it is."""
    if getattr(exc, "status_code", None) != 400:
        return None
    text = str(exc).lower()
    if "temperature" in text and "temperature" in params:
        return {"temperature": _DROP}
    if "max_tokens" in text and "max_completion_tokens" in text and "max_tokens" in params:
        return {"max_tokens": _DROP, "max_completion_tokens": params["max_tokens"]}
    return None


class OpenAIJsonLlm:
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 4096,
        max_retries: int = 2,
        client: Any = None,
    ) -> None:
        self.name = f"openai/{model}"
        self._model = model
        self._adapted: dict[str, Any] = {}
        self._max_tokens = max_tokens
        self._client = client or _sdk_client(
            "openai",
            "OpenAI",
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
        )

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
    ) -> str:
        instructions = (
            f"{system}\n\nAnswer with one JSON object only (no prose, no code fence), matching "
            f"this JSON schema named {schema_name}:\n{json.dumps(schema, separators=(',', ':'))}"
        )
        params: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": "system", "content": instructions}, *messages],
            "temperature": 0,
            "max_tokens": self._max_tokens,
            "response_format": {"type": "json_object"},
            "extra_headers": INTERNAL_HEADERS,
        }
        params.update(self._adapted)
        params = {k: v for k, v in params.items() if v is not _DROP}
        for _ in range(3):
            try:
                resp = self._client.chat.completions.create(**params)
                break
            except Exception as exc:
                # Reasoning models refuse `temperature` and want `max_completion_tokens`: adapt
                # once per client and try again; anything else is the provider's answer.
                change = _adaptation(exc, params)
                if change is None:
                    raise LlmError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
                self._adapted.update(change)
                params.update(change)
                params = {k: v for k, v in params.items() if v is not _DROP}
        else:
            raise LlmError(f"{self.name}: request parameters rejected")
        choices = getattr(resp, "choices", None) or []
        content = choices[0].message.content if choices else None
        return content or ""


class AnthropicJsonLlm:
    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 4096,
        max_retries: int = 2,
        client: Any = None,
    ) -> None:
        self.name = f"anthropic/{model}"
        self._model = model
        self._max_tokens = max_tokens
        self._client = client or _sdk_client(
            "anthropic",
            "Anthropic",
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
        )

    def complete(
        self,
        *,
        system: str,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
    ) -> str:
        try:
            resp = self._client.messages.create(
                model=self._model,
                system=system,
                messages=messages,
                max_tokens=self._max_tokens,
                tools=[
                    {
                        "name": schema_name,
                        "description": "Submit the answer.",
                        "input_schema": schema,
                    }
                ],
                tool_choice={"type": "tool", "name": schema_name},
                extra_headers=INTERNAL_HEADERS,
            )
        except Exception as exc:
            raise LlmError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        for block in getattr(resp, "content", None) or []:
            if getattr(block, "type", None) == "tool_use":
                return json.dumps(block.input)
        texts = [getattr(b, "text", "") for b in getattr(resp, "content", None) or []]
        return "".join(t for t in texts if t)


def make_llm(
    compiler_model: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 120.0,
    max_retries: int = 2,
) -> JsonLlm:
    """A client for ``provider/model``; base URL and key default to the SDK's environment
    variables (``OPENAI_BASE_URL``/``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL``/...)."""
    provider, model = split_model(compiler_model)
    kwargs: dict[str, Any] = {
        "base_url": base_url,
        "api_key": api_key,
        "timeout": timeout,
        "max_retries": max_retries,
    }
    if provider == "openai":
        return OpenAIJsonLlm(model, **kwargs)
    return AnthropicJsonLlm(model, **kwargs)


def _sdk_client(package: str, cls: str, **kwargs: Any) -> Any:
    """An SDK client whose every request carries the shim-internal marker (never intercepted)."""
    try:
        module = importlib.import_module(package)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise LlmError(f"the {package} package is not installed") from exc
    return getattr(module, cls)(default_headers=INTERNAL_HEADERS, **kwargs)
