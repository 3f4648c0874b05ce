"""What the three renderers share: the resolved answer, SSE framing, ids and error bodies.

Deliberately independent of ``adapters.wire``: the test double renders the wire formats with its
own small code, so a bug in the project's renderers cannot be masked by the double reusing them.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from skvm_shim.testing.script import Turn

Family = Literal["openai", "anthropic"]


@dataclass(frozen=True, slots=True)
class Call:
    """A tool call with its arguments already encoded as the text the wire carries."""

    name: str
    arguments: str
    id: str | None
    kind: Literal["function", "custom"]

    def input_object(self) -> Any:
        """The arguments as a JSON value (Anthropic ``tool_use.input``); raw text if not JSON."""
        try:
            return json.loads(self.arguments) if self.arguments else {}
        except ValueError:
            return self.arguments


@dataclass(frozen=True, slots=True)
class Answer:
    """A turn resolved against one request: everything a renderer needs, nothing more."""

    text: str | None
    calls: tuple[Call, ...]
    model: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    finish_reason: str | None
    deltas: int
    created: int


def resolve(turn: Turn, body: Any, body_size: int) -> Answer:
    """Resolve ``turn`` for a request whose parsed body is ``body`` (``body_size`` raw bytes)."""
    calls = tuple(
        Call(
            name=c.name,
            arguments=c.arguments if isinstance(c.arguments, str) else dumps(c.arguments),
            id=c.id,
            kind=c.kind,
        )
        for c in turn.tool_calls
    )
    requested = body.get("model") if isinstance(body, Mapping) else None
    model = turn.model or (requested if isinstance(requested, str) else None) or "scripted-model"
    usage = turn.usage
    out_chars = len(turn.text or "") + sum(len(c.arguments) + len(c.name) for c in calls)
    input_tokens = usage.input_tokens if usage and usage.input_tokens is not None else None
    output_tokens = usage.output_tokens if usage and usage.output_tokens is not None else None
    return Answer(
        text=turn.text,
        calls=calls,
        model=model,
        input_tokens=estimate_tokens(body_size) if input_tokens is None else input_tokens,
        output_tokens=max(1, out_chars // 4) if output_tokens is None else output_tokens,
        cached_tokens=usage.cached_tokens if usage else 0,
        reasoning_tokens=usage.reasoning_tokens if usage else 0,
        finish_reason=turn.finish_reason,
        deltas=turn.stream_deltas,
        created=int(time.time()),
    )


def estimate_tokens(body_size: int) -> int:
    """A deterministic stand-in for a tokenizer: about four bytes per token."""
    return max(1, body_size // 4)


def dumps(value: Any) -> str:
    """Compact JSON with UTF-8 text left unescaped, as the real APIs send it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse(data: Mapping[str, Any], event: str | None = None) -> bytes:
    """One SSE event; OpenAI Chat Completions sends no ``event:`` line, the others do."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {dumps(data)}\n\n".encode()


def new_id(prefix: str) -> str:
    return prefix + uuid.uuid4().hex[:24]


def split(text: str, parts: int) -> list[str]:
    """Split ``text`` into at most ``parts`` contiguous non-empty pieces of similar length."""
    if not text:
        return []
    size = -(-len(text) // min(parts, len(text)))
    return [text[i : i + size] for i in range(0, len(text), size)]


_OPENAI_ERRORS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("permission_error", None),
    404: ("invalid_request_error", "model_not_found"),
    409: ("invalid_request_error", "conflict"),
    422: ("invalid_request_error", None),
    429: ("requests", "rate_limit_exceeded"),
}
_ANTHROPIC_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}


def error_body(
    family: Family, status: int, message: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """The error body each API family sends for ``status``."""
    text = message or f"scripted upstream error {status}"
    if family == "anthropic":
        kind = _ANTHROPIC_ERRORS.get(
            status, "api_error" if status >= 500 else "invalid_request_error"
        )
        return {
            "type": "error",
            "error": {"type": kind, "message": text},
            "request_id": request_id or new_id("req_"),
        }
    kind, code = _OPENAI_ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", None)
    )
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}
