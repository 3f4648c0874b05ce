"""The script a :class:`~skvm_shim.testing.upstream.ScriptedUpstream` answers from.

A script is a FIFO queue of :class:`Turn` objects. Each model is pydantic so the same script can be
written in Python, posted as JSON to ``/_script`` or loaded from a file by ``python -m
skvm_shim.testing.upstream --script FILE.json``. Anywhere a turn is expected, a plain string is a
text turn and an integer ``error`` is an error with that status.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

Endpoint: TypeAlias = Literal["chat", "responses", "messages"]
"""Which API a generation request used: Chat Completions, Responses or Anthropic Messages."""

# The project's WireFormat spellings are accepted too, so scripts can use either vocabulary.
_ENDPOINT_ALIASES = {
    "openai.chat_completions": "chat",
    "chat_completions": "chat",
    "openai.responses": "responses",
    "anthropic.messages": "messages",
}

NO_TURN_TEXT = "(scripted upstream: no turn scripted)"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ToolCall(_Model):
    """A tool call the scripted model makes.

    ``arguments`` as a dict is JSON-encoded; as a string it is sent verbatim (so a test can send
    arguments that are not valid JSON). ``kind="custom"`` is an OpenAI custom (free-form) tool call
    whose input is ``arguments`` as text; Anthropic has no such kind and gets a ``tool_use``.
    """

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None
    kind: Literal["function", "custom"] = "function"


class ErrorSpec(_Model):
    """An HTTP error answer. Without ``body``, the body is the endpoint's own error shape."""

    status: int = Field(ge=400, le=599)
    body: Any = None
    message: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)


class Usage(_Model):
    """Token counts to report; unset counts are estimated from the request and answer sizes."""

    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    cached_tokens: int = Field(default=0, ge=0)
    reasoning_tokens: int = Field(default=0, ge=0)


class Turn(_Model):
    """One scripted answer.

    Content: ``text`` and/or ``tool_calls``, or ``error``. Timing and faults: ``delay_ms`` before
    the response headers, ``chunk_delay_ms`` between stream events, ``cut_after_events`` (send
    that many events, then drop the connection — ``cut_mode="abort"`` — or end the body cleanly
    without the terminator — ``cut_mode="eof"``; a non-streaming answer is cut halfway through its
    body). Overrides: ``usage``, ``finish_reason`` (verbatim in the endpoint's field; for Responses
    ``length``/``max_tokens``/``max_output_tokens``/``content_filter`` make it ``incomplete``),
    ``model``. Routing: ``endpoint`` and ``match`` (substring) / ``match_regex`` must all accept the
    request; they are tested against the raw body and against every string value in the JSON
    body. ``repeat`` turns stay in the queue.
    """

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    error: ErrorSpec | None = None

    delay_ms: float = Field(default=0, ge=0)
    chunk_delay_ms: float = Field(default=0, ge=0)
    cut_after_events: int | None = Field(default=None, ge=0)
    cut_mode: Literal["abort", "eof"] = "abort"
    stream_deltas: int = Field(default=3, ge=1)
    """How many deltas the text and each tool call's arguments are split into when streamed."""

    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None

    endpoint: Endpoint | None = None
    match: str | None = None
    match_regex: str | None = None
    repeat: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"text": data}
        if isinstance(data, dict):
            if isinstance(data.get("error"), int):
                data = {**data, "error": {"status": data["error"]}}
            endpoint = data.get("endpoint")
            if isinstance(endpoint, str) and endpoint in _ENDPOINT_ALIASES:
                data = {**data, "endpoint": _ENDPOINT_ALIASES[endpoint]}
        return data

    @field_validator("match_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid match_regex: {error}") from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Turn:
        if self.error is not None and (self.text is not None or self.tool_calls):
            raise ValueError("an error turn cannot also carry text or tool calls")
        return self


TurnLike: TypeAlias = Turn | str | dict[str, Any]
"""What the convenience APIs accept as a turn: a Turn, a text string or a JSON-shaped dict."""


class Script(_Model):
    """A whole script: queued turns plus the answer used when none is left (or none matches)."""

    turns: tuple[Turn, ...] = ()
    default: Turn | None = None


_TURN = TypeAdapter(Turn)
_SCRIPT_OR_TURNS: TypeAdapter[Script | list[Turn]] = TypeAdapter(Script | list[Turn])


def as_turn(value: TurnLike) -> Turn:
    """Coerce a turn-like value (see :data:`TurnLike`) to a :class:`Turn`."""
    return value if isinstance(value, Turn) else _TURN.validate_python(value)


def load_script(data: Any) -> Script:
    """Validate a script given as ``{"turns": [...], "default": ...}`` or as a list of turns."""
    parsed = _SCRIPT_OR_TURNS.validate_python(data)
    return parsed if isinstance(parsed, Script) else Script(turns=tuple(parsed))
