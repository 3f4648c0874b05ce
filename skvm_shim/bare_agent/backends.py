"""The conversation in each wire format: Chat Completions (``openai``) or Messages (``anthropic``).

Each keeps its own message list in the provider's shape, so the history sent back is exactly what
the model produced (Anthropic thinking blocks included), and reads the usage the response reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from skvm_shim.bare_agent.result import ErrorKind, Usage
from skvm_shim.bare_agent.tools import anthropic_tools, openai_tools

Api = Literal["openai", "anthropic"]
ANTHROPIC_MAX_TOKENS = 4096
"""Messages requires ``max_tokens``; used when the caller gives none."""


@dataclass(frozen=True, slots=True)
class ParsedCall:
    id: str
    name: str
    arguments: dict[str, Any] | str
    """Parsed JSON object, or the raw text when the model's arguments were not one."""

    @property
    def valid(self) -> bool:
        return isinstance(self.arguments, dict)

    def signature(self) -> str:
        args = self.arguments
        body = json.dumps(args, sort_keys=True) if isinstance(args, dict) else args
        return f"{self.name}({body})"


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    calls: list[ParsedCall]
    stop_reason: str | None
    usage: Usage


@dataclass(frozen=True, slots=True)
class CallOptions:
    model: str
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    max_tokens: int | None = None
    temperature: float | None = None
    extra_body: Mapping[str, Any] = field(default_factory=dict)


class Conversation(Protocol):
    def send(self, *, timeout: float) -> Reply: ...

    def add_results(self, results: list[tuple[ParsedCall, str, bool]]) -> None: ...


def detect_api(client: object) -> Api:
    """``anthropic`` for an Anthropic SDK client, ``openai`` for an OpenAI one."""
    module = type(client).__module__.split(".", 1)[0]
    if module == "anthropic":
        return "anthropic"
    if module == "openai":
        return "openai"
    raise TypeError(f"not an openai or anthropic SDK client: {type(client).__qualname__}")


def open_conversation(
    api: Api, client: Any, options: CallOptions, system: str, task: str
) -> Conversation:
    if api == "anthropic":
        return _AnthropicConversation(client, options, system, task)
    return _OpenAIConversation(client, options, system, task)


def classify_error(exc: BaseException) -> ErrorKind:
    """``connection`` (never answered), ``status`` (answered with an error), else ``other``."""
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {"APIConnectionError", "APITimeoutError"}:
        return "connection"
    if "APIStatusError" in names:
        return "status"
    return "other"


def _common(options: CallOptions, timeout: float) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"model": options.model, "timeout": timeout}
    if options.extra_headers:
        kwargs["extra_headers"] = dict(options.extra_headers)
    if options.temperature is not None:
        kwargs["temperature"] = options.temperature
    if options.extra_body:
        kwargs["extra_body"] = dict(options.extra_body)
    return kwargs


def _parse_arguments(raw: object) -> dict[str, Any] | str:
    if isinstance(raw, dict):
        return raw
    text = raw if isinstance(raw, str) else json.dumps(raw)
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text


def _count(obj: object, name: str) -> int:
    value = getattr(obj, name, None)
    return value if isinstance(value, int) else 0


class _OpenAIConversation:
    def __init__(self, client: Any, options: CallOptions, system: str, task: str) -> None:
        self._client = client
        self._options = options
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": task},
        ]

    def send(self, *, timeout: float) -> Reply:
        kwargs = _common(self._options, timeout)
        if self._options.max_tokens is not None:
            kwargs["max_tokens"] = self._options.max_tokens
        response = self._client.chat.completions.create(
            messages=self.messages, tools=openai_tools(), **kwargs
        )
        if not response.choices:
            raise ValueError("the response has no choices")
        choice = response.choices[0]
        message = choice.message
        text = message.content or ""
        calls: list[ParsedCall] = []
        wire_calls: list[dict[str, Any]] = []
        for i, tc in enumerate(message.tool_calls or []):
            fn = getattr(tc, "function", None)
            if fn is None:  # a custom (free-form) tool call: not one of ours
                continue
            call_id = tc.id or f"call_{len(self.messages)}_{i}"
            raw = fn.arguments or ""
            calls.append(ParsedCall(call_id, fn.name, _parse_arguments(raw)))
            wire_calls.append(
                {"id": call_id, "type": "function", "function": {"name": fn.name, "arguments": raw}}
            )
        # content "" rather than null: llama.cpp's server (and others) reject a null content.
        assistant: dict[str, Any] = {"role": "assistant", "content": text}
        if wire_calls:
            assistant["tool_calls"] = wire_calls
        self.messages.append(assistant)
        usage = response.usage
        cached = _count(getattr(usage, "prompt_tokens_details", None), "cached_tokens")
        return Reply(
            text=text,
            calls=calls,
            stop_reason=choice.finish_reason,
            usage=Usage(
                # Anthropic's convention, kept for both: input excludes what the cache served.
                input_tokens=max(0, _count(usage, "prompt_tokens") - cached),
                output_tokens=_count(usage, "completion_tokens"),
                cache_read_tokens=cached,
            ),
        )

    def add_results(self, results: list[tuple[ParsedCall, str, bool]]) -> None:
        self.messages.extend(
            {"role": "tool", "tool_call_id": call.id, "content": output}
            for call, output, _ in results
        )


class _AnthropicConversation:
    def __init__(self, client: Any, options: CallOptions, system: str, task: str) -> None:
        self._client = client
        self._options = options
        self._system = system
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": task}]

    def send(self, *, timeout: float) -> Reply:
        kwargs = _common(self._options, timeout)
        kwargs["max_tokens"] = self._options.max_tokens or ANTHROPIC_MAX_TOKENS
        response = self._client.messages.create(
            system=self._system, messages=self.messages, tools=anthropic_tools(), **kwargs
        )
        texts: list[str] = []
        calls: list[ParsedCall] = []
        blocks: list[dict[str, Any]] = []
        for block in response.content:
            kind = getattr(block, "type", None)
            if kind == "text":
                texts.append(block.text)
                blocks.append({"type": "text", "text": block.text})
            elif kind == "tool_use":
                calls.append(ParsedCall(block.id, block.name, _parse_arguments(block.input)))
                blocks.append(
                    {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
                )
            else:  # thinking and other blocks go back exactly as they came
                blocks.append(block.model_dump(mode="json", exclude_none=True))
        self.messages.append({"role": "assistant", "content": blocks or ""})
        usage = response.usage
        return Reply(
            text="".join(texts),
            calls=calls,
            stop_reason=response.stop_reason,
            usage=Usage(
                input_tokens=_count(usage, "input_tokens"),
                output_tokens=_count(usage, "output_tokens"),
                cache_read_tokens=_count(usage, "cache_read_input_tokens"),
                cache_write_tokens=_count(usage, "cache_creation_input_tokens"),
            ),
        )

    def add_results(self, results: list[tuple[ParsedCall, str, bool]]) -> None:
        self.messages.append(
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": call.id,
                        "content": output,
                        **({} if ok else {"is_error": True}),
                    }
                    for call, output, ok in results
                ],
            }
        )
